//! Logs: JSON lines via `tracing`, and one summary line per request (never one per token at INFO).

use std::time::Duration;

use tokio::time::Instant;

use crate::metrics;
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

/// How a request ended, as the summary line and dashboards name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Rejected,
    UpstreamError,
    ClientDisconnected,
}

impl Outcome {
    pub const ALL: [Outcome; 4] =
        [Outcome::Completed, Outcome::Rejected, Outcome::UpstreamError, Outcome::ClientDisconnected];

    /// The name of this outcome's count in the metrics.
    pub fn metric_name(self) -> &'static str {
        match self {
            Outcome::Completed => "Completed",
            Outcome::Rejected => "Rejected",
            Outcome::UpstreamError => "UpstreamErrors",
            Outcome::ClientDisconnected => "ClientDisconnects",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Rejected => "rejected",
            Outcome::UpstreamError => "upstream_error",
            Outcome::ClientDisconnected => "client_disconnected",
        }
    }
}

/// What the summary line reports; filled in as the request goes.
#[derive(Debug)]
pub struct Summary {
    pub request_id: String,
    pub model: String,
    pub story_type: Option<String>,
    pub status: u16,
    pub started: Instant,
    pub first_token: Option<Duration>,
    pub output_tokens: Option<i32>,
    pub error_code: Option<&'static str>,
}

impl Summary {
    pub fn new(request_id: String, model: String, started: Instant) -> Self {
        Summary {
            request_id,
            model,
            story_type: None,
            status: 200,
            started,
            first_token: None,
            output_tokens: None,
            error_code: None,
        }
    }

    /// The summary log line and the request's metrics record.
    pub fn emit(&self, outcome: Outcome) {
        let duration = self.started.elapsed();
        tracing::info!(
            request_id = %self.request_id,
            model = %self.model,
            story_type = self.story_type.as_deref().unwrap_or(""),
            status = self.status,
            ttft_ms = self.first_token.map(metrics::millis),
            output_tokens = self.output_tokens,
            duration_ms = metrics::millis(duration),
            outcome = outcome.as_str(),
            error_code = self.error_code,
            "request summary"
        );
        metrics::emit(self, outcome, duration);
    }
}
