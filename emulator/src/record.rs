//! What the emulator saw and did, per request, for tests to assert on.

use crate::converse::{CachePoint, Turn};
use crate::fault::Fault;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// One `converse-stream` request, as received and as answered so far.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// The model id from the path, percent-decoded (`anthropic.claude-3-haiku-20240307-v1:0`).
    pub model_id: String,
    /// The region of the SigV4 credential scope (`us-east-1` when the request was not signed).
    pub region: String,
    /// The HTTP version the request came in (`HTTP/1.1`, or `HTTP/2.0` from clients that speak
    /// it, like the AWS SDK for JavaScript v3).
    pub version: http::Version,
    /// The `x-amzn-requestid` the emulator answered with.
    pub request_id: String,
    /// The HTTP status the emulator answered with (`200` for every stream, even a faulty one;
    /// `0` for a request it never answered, the `hang` fault).
    pub status: u16,
    /// `inferenceConfig.maxTokens`.
    pub max_tokens: Option<i32>,
    /// `inferenceConfig.temperature`.
    pub temperature: Option<f32>,
    /// `inferenceConfig.topP`.
    pub top_p: Option<f32>,
    /// `additionalModelRequestFields`, as sent.
    pub additional_model_request_fields: Option<serde_json::Value>,
    /// `guardrailConfig`, as sent (`None` when the request carried none).
    pub guardrail_config: Option<serde_json::Value>,
    /// The `system` text blocks, joined by newlines.
    pub system: Option<String>,
    /// The text of the last user message, joined by newlines.
    pub prompt: String,
    /// Every message as sent, in order (role and text), so a test can see each turn arrive.
    pub messages: Vec<Turn>,
    /// `inferenceConfig.stopSequences`, as sent.
    pub stop_sequences: Vec<String>,
    /// Every `cachePoint` block, where it was and its `ttl` (the emulator's prompt cache answers
    /// them: see the README's "Prompt caching and service tiers").
    pub cache_points: Vec<CachePoint>,
    /// `serviceTier.type`, as sent (echoed in `metadata`).
    pub service_tier: Option<String>,
    /// Whether the request carried a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 ...`).
    /// The signature itself is not checked: there are no real credentials to check it against.
    pub signed: bool,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
    /// When the request's headers arrived.
    pub received_at: Instant,
    /// When each `contentBlockDelta` frame was handed to the connection.
    pub delta_times: Vec<Instant>,
    /// How the exchange ended, or `Streaming` while it goes on.
    pub outcome: ExchangeOutcome,
}

/// How a recorded exchange ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeOutcome {
    /// The response body is still being sent (or, for a stall, held open).
    Streaming,
    /// The whole stream, through `metadata`, was handed to the connection.
    Completed {
        /// When the body ended.
        at: Instant,
    },
    /// The client went away before the body ended: recorded when the server dropped the
    /// response body, which is when it noticed the closed connection.
    ClientDisconnected {
        /// When the body was dropped.
        at: Instant,
    },
    /// The emulator ended the exchange with an error: a rejected request (pre-stream fault or
    /// invalid body), an in-stream exception, or a dropped connection.
    Failed,
}

impl ExchangeOutcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Streaming => "streaming",
            Self::Completed { .. } => "completed",
            Self::ClientDisconnected { .. } => "client_disconnected",
            Self::Failed => "failed",
        }
    }
}

/// The shared, append-only log of requests; every change wakes [`Recorder::wait_for`].
#[derive(Default)]
pub(crate) struct Recorder {
    requests: Mutex<Vec<RecordedRequest>>,
    changed: Notify,
}

impl Recorder {
    /// Appends a request and returns its index for later updates.
    pub fn push(&self, request: RecordedRequest) -> usize {
        if request.outcome != ExchangeOutcome::Streaming {
            log(&request);
        }
        let index = {
            let mut requests = self.lock();
            requests.push(request);
            requests.len() - 1
        };
        self.changed.notify_waiters();
        index
    }

    pub fn delta_sent(&self, index: usize, at: Instant) {
        self.lock()[index].delta_times.push(at);
        self.changed.notify_waiters();
    }

    /// Sets the final outcome unless one is already set, so whichever end comes first (the
    /// stream's own end, or the body being dropped) is the one recorded.
    pub fn finish(&self, index: usize, outcome: ExchangeOutcome) {
        {
            let mut requests = self.lock();
            let request = &mut requests[index];
            if request.outcome != ExchangeOutcome::Streaming {
                return;
            }
            request.outcome = outcome;
            log(request);
        }
        self.changed.notify_waiters();
    }

    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub async fn wait_for<F: Fn(&[RecordedRequest]) -> bool>(&self, timeout: Duration, f: F) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register for the next change before checking, so a change between the check and
            // the wait is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            // The predicate sees a snapshot: it may call back into the emulator without
            // deadlocking on the log's lock.
            if f(&self.snapshot()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return f(&self.snapshot());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        // A panicking test thread must not hide the log from the rest of the test.
        self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The binary's one line per request.
fn log(request: &RecordedRequest) {
    let fault = request.fault.map_or_else(|| "none".to_owned(), |f| f.to_string());
    tracing::info!(
        "{} {} {:?} fault={fault} status={} deltas={} outcome={} after={}ms",
        request.request_id,
        request.model_id,
        request.version,
        request.status,
        request.delta_times.len(),
        request.outcome.label(),
        request.received_at.elapsed().as_millis(),
    );
}
