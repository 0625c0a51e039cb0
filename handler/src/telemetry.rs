//! Logs: JSON lines via `tracing` (the per-request summary line is written by `summary`; never one
//! line per token at INFO).

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The handler's own log target: the only one that follows `STREAMER_LOG_LEVEL` all the way down.
const OWN: &str = "bedrock_streamer";

/// The AWS SDK's targets (aws-config's chain, in a `local-profiles` build) and hyper-util's: quiet
/// (warn) unless tracing, then at debug.
const SDK: [&str; 4] = ["aws_smithy_runtime", "aws_smithy_runtime_api", "aws_config", "hyper_util"];

/// JSON logs on stdout (CloudWatch keeps each line as one record). `level` is the validated
/// `STREAMER_LOG_LEVEL`; see [`filter`] for what the other crates may log.
/// (`Targets` rather than `EnvFilter`: no regex engine in the binary for a fixed filter.)
pub fn init(level: &str) {
    let level: Level = level.parse().unwrap_or(Level::INFO);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_span_list(false)
                .with_target(false)
                .without_time(),
        )
        .with(filter(level))
        .init();
}

/// What is logged at `level`: the handler's own lines at `level`; every other crate at most at
/// debug, whatever the level. At trace they write what must never reach a log: lambda_runtime
/// 1.5 each raw event ("raw JSON event received from Lambda": the caller's `Authorization`,
/// cookies, query string and body), aws-sigv4 1.6 each request it signs ("signing request",
/// with its headers), and in a `local-profiles` build aws-config's SDK clients each request they
/// send. Read in their sources (lambda_runtime `layers/api_response.rs`, aws-sigv4
/// `http_request/sign.rs`, aws-smithy-runtime `orchestrator.rs`), 2026-12-07.
pub fn filter(level: Level) -> Targets {
    let sdk = if level == Level::TRACE { Level::DEBUG } else { Level::WARN };
    Targets::new()
        .with_default(level.min(Level::DEBUG))
        .with_target(OWN, level)
        .with_targets(SDK.map(|t| (t, sdk)))
        .with_targets(["h2", "rustls"].map(|t| (t, Level::WARN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_other_crate_logs_at_trace_whatever_the_level() {
        let trace = filter(Level::TRACE);
        assert!(trace.would_enable("bedrock_streamer::service", &Level::TRACE));
        for target in ["lambda_runtime::layers::api_response", "aws_smithy_http::event_stream::receiver", "hyper"] {
            assert!(!trace.would_enable(target, &Level::TRACE), "{target}");
            assert!(trace.would_enable(target, &Level::DEBUG), "{target}");
        }
        assert!(!trace.would_enable("aws_smithy_runtime::client::orchestrator", &Level::TRACE));
        let info = filter(Level::INFO);
        assert!(!info.would_enable("lambda_runtime", &Level::DEBUG));
        assert!(!info.would_enable("aws_smithy_runtime", &Level::INFO), "the SDK stays at warn below trace");
    }
}
