//! A system prompt too long for Lambda's 4 KB environment, from a file in the package or from a
//! Parameter Store parameter: the real handler binary under the tests' Runtime API, Bedrock and
//! `GetParameter` both served by the emulator (its request log shows what Bedrock got). The prompt
//! reaches Bedrock with its cache point where the alias caches, the parameter is read once per
//! instance (decrypted), and every way a prompt can fail to arrive fails the cold start with one
//! line naming its variable, before the first request.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bedrock_emulator::{CachePoint, Emulator, ParameterRead};
use bedrock_streamer::settings::cache::CHARS_PER_TOKEN;
use bedrock_streamer::settings::system_prompt::MAX_CHARS;
use serde_json::json;
use support::fast_emulator;
use support::runtime_api::{Function, RuntimeApi, function_url_event};

/// An alias on Claude Haiku 5.5 (512 tokens per checkpoint, config/bedrock-models.json), cached 5 minutes.
const MODELS: &str = r#"{"five": {"modelId": "us.anthropic.claude-haiku-5-5", "promptCache": "5m"}}"#;

const PARAMETER: &str = "/bedrock-streamer/chat-system-prompt";

/// A prompt over Lambda's 4 KB of environment and over the alias's minimum for a cache point.
fn long_prompt(word: &str) -> String {
    let prompt = format!("{word} ").repeat(1500);
    assert!(prompt.len() > 4096 && prompt.len() / CHARS_PER_TOKEN >= 512);
    prompt
}

/// A package root of the test's own, removed when the test ends.
struct Package(PathBuf);

impl Package {
    fn new(test: &str, files: &[(&str, &str)]) -> Package {
        let root = std::env::temp_dir().join(format!("bedrock-streamer-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        for (name, text) in files {
            std::fs::write(root.join(name), text).unwrap();
        }
        Package(root)
    }

    fn root(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Package {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The function with `settings`, its package at `root` and Parameter Store at the emulator.
fn function(api: &RuntimeApi, emulator: &Emulator, root: &str, settings: &[(&str, &str)]) -> Function {
    let endpoint = emulator.endpoint();
    let mut vars = vec![("LAMBDA_TASK_ROOT", root), ("AWS_ENDPOINT_URL_SSM", endpoint.as_str())];
    vars.extend_from_slice(settings);
    api.function(emulator, &vars)
}

fn chat_event(content: &str) -> Vec<u8> {
    let body = json!({"messages": [{"role": "user", "content": content}]}).to_string();
    let mut event = function_url_event(&body, json!({"rawPath": "/chat"}));
    event["requestContext"]["http"]["path"] = json!("/chat");
    event.to_string().into_bytes()
}

fn story_event() -> Vec<u8> {
    function_url_event(r#"{"storyType":"CATS"}"#, json!({})).to_string().into_bytes()
}

fn system_point() -> CachePoint {
    CachePoint { at: "system.1".into(), kind: "default".into(), ttl: None }
}

#[tokio::test]
async fn prompts_from_a_file_in_the_package_and_from_a_parameter_reach_bedrock_with_their_cache_points() {
    let emulator = fast_emulator().await;
    let story_prompt = long_prompt("once");
    let chat_prompt = long_prompt("help");
    emulator.set_parameter(PARAMETER, &chat_prompt);
    let package = Package::new("both", &[("system-prompt.txt", &story_prompt)]);
    let api = RuntimeApi::start().await;
    let function = function(
        &api,
        &emulator,
        package.root(),
        &[
            ("STREAMER_MODELS", MODELS),
            ("STREAMER_SYSTEM_PROMPT_FILE", "system-prompt.txt"),
            ("STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER", PARAMETER),
        ],
    );

    let story = api.invoke(story_event()).await.1.streamed();
    assert_eq!(story.status(), 200, "{}", story.text());
    let sent = emulator.requests().pop().expect("a Bedrock call");
    assert_eq!(sent.system.as_deref(), Some(story_prompt.as_str()), "the file's prompt, as written");
    assert_eq!(sent.cache_points, [system_point()], "a cache point after it");

    let chat = api.invoke(chat_event("Hi")).await.1.streamed();
    assert_eq!(chat.status(), 200, "{}", chat.text());
    let (_, again) = api.invoke(chat_event("Hello again")).await;
    assert_eq!(again.streamed().status(), 200);
    let sent = emulator.requests().pop().expect("a Bedrock call");
    assert_eq!(sent.system.as_deref(), Some(chat_prompt.as_str()), "the parameter's prompt, as stored");
    assert_eq!(sent.cache_points, [system_point()]);

    assert_eq!(
        emulator.parameter_reads(),
        [ParameterRead { name: PARAMETER.into(), with_decryption: true }],
        "read once, at cold start, decrypted if it is a SecureString"
    );
    drop(function);
}

#[tokio::test]
async fn no_parameter_is_read_when_no_prompt_comes_from_one() {
    let emulator = fast_emulator().await;
    let package = Package::new("none", &[]);
    let api = RuntimeApi::start().await;
    let function = function(&api, &emulator, package.root(), &[("STREAMER_SYSTEM_PROMPT", "Be brief.")]);
    let (_, story) = api.invoke(story_event()).await;
    assert_eq!(story.streamed().status(), 200);
    assert_eq!(emulator.requests().pop().unwrap().system.as_deref(), Some("Be brief."));
    assert_eq!(emulator.parameter_reads(), []);
    drop(function);
}

/// Starts the function with `settings` and returns the one line its cold start failed with.
async fn cold_start_failure(emulator: &Emulator, package: &Package, settings: &[(&str, &str)]) -> String {
    let api = RuntimeApi::start().await;
    let mut function = function(&api, emulator, package.root(), settings);
    assert_eq!(function.exited(Duration::from_secs(20)).await, Some(1), "{}", function.log_text());
    let lines = function.logged("invalid settings; the function cannot start");
    assert_eq!(lines.len(), 1, "{}", function.log_text());
    assert_eq!(api.polls(), 0, "no invocation was taken");
    lines[0]["fields"]["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_way_a_prompt_fails_to_arrive_fails_the_cold_start_with_one_line_naming_its_variable() {
    let emulator = fast_emulator().await;
    emulator.set_parameter("/empty", " ");
    emulator.set_parameter("/huge", &"a".repeat(MAX_CHARS + 1));
    emulator.deny_parameter("/secret");
    let package = Package::new("failures", &[("blank.txt", "\n\n"), ("latin1.txt", "")]);
    std::fs::write(package.0.join("latin1.txt"), b"Ch\xe2teau").unwrap();
    let at = |name: &str| Path::new(package.root()).join(name).display().to_string();

    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (
            vec![("STREAMER_SYSTEM_PROMPT_FILE", "missing.txt")],
            format!(
                "STREAMER_SYSTEM_PROMPT_FILE: cannot read {}: No such file or directory (os error 2)",
                at("missing.txt")
            ),
        ),
        (
            vec![("STREAMER_CHAT_SYSTEM_PROMPT_FILE", "blank.txt")],
            format!("STREAMER_CHAT_SYSTEM_PROMPT_FILE: {} is empty; a system prompt needs text", at("blank.txt")),
        ),
        (
            vec![("STREAMER_SYSTEM_PROMPT_FILE", "latin1.txt")],
            format!("STREAMER_SYSTEM_PROMPT_FILE: {} is not UTF-8 text", at("latin1.txt")),
        ),
        (
            vec![("STREAMER_SYSTEM_PROMPT_PARAMETER", "/nowhere")],
            "STREAMER_SYSTEM_PROMPT_PARAMETER: parameter \"/nowhere\": SSM Parameter Store has no such parameter \
             (ParameterNotFound)"
                .into(),
        ),
        (
            vec![("STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER", "/secret")],
            "STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER: parameter \"/secret\": the function's role may not read it \
             (AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/bedrock-streamer-role/bedrock-streamer \
             is not authorized to perform: ssm:GetParameter on resource: \
             arn:aws:ssm:us-east-1:123456789012:parameter/secret because no identity-based policy allows the \
             ssm:GetParameter action); it needs ssm:GetParameter on the parameter's ARN, and kms:Decrypt on the key of \
             a SecureString encrypted with a customer managed key"
                .into(),
        ),
        (
            vec![("STREAMER_SYSTEM_PROMPT_PARAMETER", "/empty")],
            "STREAMER_SYSTEM_PROMPT_PARAMETER: parameter \"/empty\" is empty; a system prompt needs text".into(),
        ),
        (
            vec![("STREAMER_SYSTEM_PROMPT_PARAMETER", "arn:aws:ssm:us-east-1:123456789012:parameter/huge")],
            format!(
                "STREAMER_SYSTEM_PROMPT_PARAMETER: parameter \"arn:aws:ssm:us-east-1:123456789012:parameter/huge\" \
                 holds {} characters, over the {MAX_CHARS} a system prompt may have",
                MAX_CHARS + 1
            ),
        ),
        (
            vec![("STREAMER_SYSTEM_PROMPT", "Be brief."), ("STREAMER_SYSTEM_PROMPT_PARAMETER", "/huge")],
            "STREAMER_SYSTEM_PROMPT_PARAMETER: is set together with STREAMER_SYSTEM_PROMPT; the prompt comes from one \
             of STREAMER_SYSTEM_PROMPT, STREAMER_SYSTEM_PROMPT_FILE and STREAMER_SYSTEM_PROMPT_PARAMETER: set one"
                .into(),
        ),
    ];
    for (settings, line) in cases {
        assert_eq!(cold_start_failure(&emulator, &package, &settings).await, line, "{settings:?}");
    }
    let names: Vec<String> = emulator.parameter_reads().into_iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        ["/nowhere", "/secret", "/empty", "arn:aws:ssm:us-east-1:123456789012:parameter/huge"],
        "one GetParameter each (not found and denied are not retried); none when two sources are set"
    );
}
