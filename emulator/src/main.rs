//! `bedrock-emulator`: the emulator as a standalone server for local runs and scripts.

use bedrock_emulator::{Emulator, EmulatorConfig, Fault, Models};
use clap::{CommandFactory, FromArgMatches, Parser};
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

/// Serves Amazon Bedrock's ConverseStream API (POST /model/{modelId}/converse-stream) locally.
#[derive(Parser, Debug)]
#[command(name = "bedrock-emulator")]
struct Args {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on, 0 for any free one
    #[arg(long, value_name = "N", default_value_t = 4010)]
    port: u16,
    /// Delay before the first token
    #[arg(long = "first-token-ms", value_name = "N", default_value_t = 300)]
    first_token_ms: u64,
    /// Delay between tokens; each token is then flushed in its own write (its own TCP segment
    /// unless --nagle holds it)
    #[arg(long = "token-ms", value_name = "N", default_value_t = 40)]
    token_ms: u64,
    /// Words in a full story
    #[arg(long, value_name = "N", default_value_t = 60)]
    words: usize,
    /// Tell the opening and one chapter, ending with a full stop (not --words)
    #[arg(long = "whole-story")]
    whole_story: bool,
    /// Leave Nagle's algorithm on (no TCP_NODELAY), like a server that keeps it
    #[arg(long)]
    nagle: bool,
    /// any: every model id streams; strict: ids answered like Bedrock in the request's region
    /// (end of life, profile-only, unknown ids)
    #[arg(long, value_name = "any|strict", default_value = "any")]
    models: Models,
    /// Fault for every request without a scripted fault or prompt marker (N: text deltas sent
    /// first, default 3); the faults are listed below
    #[arg(long, value_name = "NAME[:N]")]
    fault: Option<Fault>,
}

impl Args {
    fn config(self) -> EmulatorConfig {
        EmulatorConfig {
            addr: SocketAddr::new(self.host, self.port),
            first_token_delay: Duration::from_millis(self.first_token_ms),
            token_interval: Duration::from_millis(self.token_ms),
            story_words: self.words,
            whole_story: self.whole_story,
            default_fault: self.fault,
            models: self.models,
            nagle: self.nagle,
        }
    }
}

/// The command with the fault list from [`Fault::documented`], the list parsing uses, after the
/// options.
fn command() -> clap::Command {
    let faults: String = Fault::documented().map(|(usage, summary)| format!("  {usage:<22} {summary}\n")).collect();
    Args::command().after_help(format!(
        "\
Faults (--fault NAME[:N]):
{faults}
A prompt word fault_NAME picks a fault per request. Prints `bedrock-emulator listening on
http://HOST:PORT` once ready, logs one line per request to stderr (RUST_LOG filters it), and
exits on SIGINT or SIGTERM."
    ))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<EmulatorConfig, clap::Error> {
    let matches = command().try_get_matches_from(std::iter::once("bedrock-emulator".to_owned()).chain(args))?;
    Ok(Args::from_arg_matches(&matches)?.config())
}

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        // --help and errors alike: clap prints them where they belong and knows the exit code.
        Err(error) => error.exit(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<EmulatorConfig, clap::Error> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn flags_override_the_watchable_defaults() {
        let config = args("--host 0.0.0.0 --port=0 --token-ms 5 --words 2000 --fault stall:7").unwrap();
        assert_eq!(config.addr, SocketAddr::from(([0, 0, 0, 0], 0)));
        assert_eq!(config.first_token_delay, Duration::from_millis(300));
        assert_eq!(config.token_interval, Duration::from_millis(5));
        assert_eq!(config.story_words, 2000);
        assert_eq!(config.default_fault, Some(Fault::Stall { after_tokens: 7 }));
        assert_eq!(args("").unwrap().addr, SocketAddr::from(([127, 0, 0, 1], 4010)));
        assert_eq!(args("").unwrap().token_interval, Duration::from_millis(40));
        assert_eq!(args("").unwrap().models, Models::Any);
        assert!(!args("").unwrap().nagle);
        assert!(args("--nagle --port 0").unwrap().nagle);
        assert!(!args("").unwrap().whole_story);
        assert!(args("--whole-story").unwrap().whole_story);
        assert_eq!(args("--models strict").unwrap().models, Models::Strict);
    }

    #[test]
    fn bad_flags_are_explained() {
        assert_eq!(args("--help").unwrap_err().kind(), clap::error::ErrorKind::DisplayHelp);
        let message = |line| args(line).unwrap_err().to_string();
        assert!(message("--verbose").contains("--verbose"));
        assert!(message("--port").contains("a value is required"));
        assert!(message("--port http").contains("--port"));
        assert!(message("--fault nope").contains("unknown fault"));
        assert!(message("--models some").contains("--models"));
    }

    #[test]
    fn help_lists_every_fault_the_parser_accepts() {
        let help = command().render_long_help().to_string();
        for (usage, summary) in Fault::documented() {
            let name = usage.trim_end_matches("[:N]");
            assert!(help.contains(&format!("{usage} ")) && help.contains(summary), "{name} is missing from --help");
            assert!(args(&format!("--fault {name}")).is_ok(), "{name} is listed but does not parse");
        }
        assert!(help.contains("hang") && help.contains("truncate[:N]"));
    }
}
