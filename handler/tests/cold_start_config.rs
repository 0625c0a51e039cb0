//! The real binary refuses to start, with one clear log line, when it cannot make its AWS calls as
//! asked: no credentials in its environment (the default build reads nothing else), or a FIPS or
//! dual-stack endpoint it does not build. Never a panic, and never an unsigned request.

use std::process::{Command, Output};

/// The binary started with only `vars` (and `PATH`) in its environment, no Runtime API among them.
fn start(vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bedrock-streamer"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

/// Its output's one line, as JSON: the error's `message` and `error` fields.
fn the_line(output: &Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(1, stdout.lines().count(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!("ERROR", line["level"], "{line}");
    let field = |name: &str| line["fields"][name].as_str().unwrap_or_default().to_owned();
    (field("message"), field("error"))
}

#[cfg(not(feature = "local-profiles"))]
#[test]
fn without_credentials_in_its_environment_it_does_not_start() {
    let output = start(&[("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9")]);

    assert_eq!(Some(1), output.status.code());
    let (message, error) = the_line(&output);
    assert!(message.contains("cannot start"), "{message}");
    for named in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "local-profiles"] {
        assert!(error.contains(named), "{error}");
    }
}

#[test]
fn a_fips_or_dual_stack_endpoint_is_refused_at_start() {
    for variant in ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"] {
        let output = start(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            (variant, "true"),
        ]);

        assert_eq!(Some(1), output.status.code());
        let (message, error) = the_line(&output);
        assert!(message.contains("cannot start"), "{message}");
        assert!(error.starts_with(variant) && error.contains("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"), "{error}");
    }
}
