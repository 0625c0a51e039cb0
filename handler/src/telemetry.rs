//! Logs: JSON lines via `tracing` (the per-request summary line is written by `summary`; never one
//! line per token at INFO).

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// JSON logs on stdout (CloudWatch keeps each line as one record). `level` is the validated
/// `STREAMER_LOG_LEVEL`; the AWS SDK's own chatter stays at warn unless tracing everything.
/// (`Targets` rather than `EnvFilter`: no regex engine in the binary for a fixed filter.)
pub fn init(level: &str) {
    let level: Level = level.parse().unwrap_or(Level::INFO);
    let sdk = if level == Level::TRACE { Level::TRACE } else { Level::WARN };
    let filter = Targets::new()
        .with_default(level)
        .with_targets(["aws_smithy_runtime", "aws_smithy_runtime_api", "aws_config", "hyper_util"].map(|t| (t, sdk)))
        .with_targets(["h2", "rustls"].map(|t| (t, Level::WARN)));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_span_list(false)
                .with_target(false)
                .without_time(),
        )
        .with(filter)
        .init();
}
