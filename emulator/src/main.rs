//! `bedrock-emulator`: the emulator as a standalone server for local runs and scripts.

use bedrock_emulator::{Emulator, EmulatorConfig, Fault, Models};
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

/// The help text; the fault list comes from [`Fault::documented`], the list parsing uses.
fn usage() -> String {
    let faults: String =
        Fault::documented().map(|(usage, summary)| format!("                       {usage:<22} {summary}\n")).collect();
    format!(
        "\
Usage: bedrock-emulator [OPTIONS]

Serves Amazon Bedrock's ConverseStream API (POST /model/{{modelId}}/converse-stream) locally.

Options:
  --host ADDR          address to listen on (default 127.0.0.1)
  --port N             port to listen on, 0 for any free one (default 4010)
  --first-token-ms N   delay before the first token (default 300)
  --token-ms N         delay between tokens (default 40)
  --words N            words in a full story (default 60)
  --whole-story        tell the opening and one chapter, ending with a full stop (not --words)
  --nagle              leave Nagle's algorithm on (no TCP_NODELAY), like a server that keeps it
  --models any|strict  any: every model id streams (default); strict: ids answered like Bedrock
                       in the request's region (end of life, profile-only, unknown ids)
  --fault NAME[:N]     fault for every request without a scripted fault or prompt marker
                       (N: text deltas sent first, default 3); one of:
{faults}  -h, --help           print this help

A prompt word fault_NAME picks a fault per request. Prints `bedrock-emulator listening on
http://HOST:PORT` once ready, logs one line per request to stderr (RUST_LOG filters it), and
exits on SIGINT or SIGTERM."
    )
}

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("bedrock-emulator: {message}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bedrock-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: EmulatorConfig) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let emulator = Emulator::start(config).await?;
    // Scripts wait for this exact line, so it must not sit in a buffer.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "bedrock-emulator listening on {}", emulator.endpoint())?;
    stdout.flush()?;
    drop(stdout);
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted?,
        _ = terminate.recv() => {}
    }
    emulator.shutdown().await;
    Ok(())
}

/// Reads `--flag value` or `--flag=value` pairs; `Ok(None)` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<EmulatorConfig>, String> {
    let mut config = EmulatorConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 4010)),
        first_token_delay: Duration::from_millis(300),
        token_interval: Duration::from_millis(40),
        ..EmulatorConfig::default()
    };
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        if arg == "--nagle" {
            config.nagle = true;
            continue;
        }
        if arg == "--whole-story" {
            config.whole_story = true;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        if !matches!(
            flag.as_str(),
            "--host" | "--port" | "--first-token-ms" | "--token-ms" | "--words" | "--models" | "--fault"
        ) {
            return Err(format!("unknown argument {flag:?}"));
        }
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--host" => config.addr.set_ip(parse::<IpAddr>(&flag, &value)?),
            "--port" => config.addr.set_port(parse(&flag, &value)?),
            "--first-token-ms" => config.first_token_delay = Duration::from_millis(parse(&flag, &value)?),
            "--token-ms" => config.token_interval = Duration::from_millis(parse(&flag, &value)?),
            "--words" => config.story_words = parse(&flag, &value)?,
            "--models" => config.models = value.parse::<Models>().map_err(|e| format!("--models: {e}"))?,
            _ => config.default_fault = Some(value.parse::<Fault>().map_err(|e| format!("--fault: {e}"))?),
        }
    }
    Ok(Some(config))
}

fn parse<T: FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: {value:?} is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Option<EmulatorConfig>, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn flags_override_the_watchable_defaults() {
        let config = args("--host 0.0.0.0 --port=0 --token-ms 5 --words 2000 --fault stall:7").unwrap().unwrap();
        assert_eq!(config.addr, SocketAddr::from(([0, 0, 0, 0], 0)));
        assert_eq!(config.first_token_delay, Duration::from_millis(300));
        assert_eq!(config.token_interval, Duration::from_millis(5));
        assert_eq!(config.story_words, 2000);
        assert_eq!(config.default_fault, Some(Fault::Stall { after_tokens: 7 }));
        assert_eq!(args("").unwrap().unwrap().addr.port(), 4010);
        assert_eq!(args("").unwrap().unwrap().models, Models::Any);
        assert!(!args("").unwrap().unwrap().nagle);
        assert!(args("--nagle --port 0").unwrap().unwrap().nagle);
        assert!(!args("").unwrap().unwrap().whole_story);
        assert!(args("--whole-story").unwrap().unwrap().whole_story);
        assert_eq!(args("--models strict").unwrap().unwrap().models, Models::Strict);
    }

    #[test]
    fn bad_flags_are_explained() {
        assert_eq!(args("--help").unwrap(), None);
        assert!(args("--verbose").unwrap_err().contains("--verbose"));
        assert!(args("--port").unwrap_err().contains("needs a value"));
        assert!(args("--port http").unwrap_err().contains("--port"));
        assert!(args("--fault nope").unwrap_err().contains("unknown fault"));
        assert!(args("--models some").unwrap_err().contains("--models"));
    }

    #[test]
    fn help_lists_every_fault_the_parser_accepts() {
        let help = usage();
        for (usage, summary) in Fault::documented() {
            let name = usage.trim_end_matches("[:N]");
            assert!(help.contains(&format!("{usage} ")) && help.contains(summary), "{name} is missing from --help");
            assert!(args(&format!("--fault {name}")).is_ok(), "{name} is listed but does not parse");
        }
        assert!(help.contains("hang") && help.contains("truncate[:N]"));
    }
}
