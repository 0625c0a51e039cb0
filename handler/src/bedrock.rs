//! The Bedrock side, and the only module that speaks Bedrock's wire: the client, one
//! ConverseStream call, the stream's events as the project's own [`StreamItem`]s, and what each
//! Bedrock failure means to the caller ([`ApiError`]).
//!
//! The call is made without an SDK crate, as [`crate::aws`] makes the function's other AWS calls:
//! `body` writes the request, `call` signs and sends it (with the SDK's retries), `events` decodes
//! the event stream, `errors` maps refusals and breaks, `guardrail` reads the guardrail's trace.
//! `http_client` is the HTTPS client (rustls, one pooled connection, HTTP/2 or HTTP/1.1), whose
//! TCP stream ACKs Bedrock's frames at once (`quick_ack`). Protocol: restJson1 with an
//! `application/vnd.amazon.eventstream` response (ConverseStream API reference,
//! docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html, read
//! 2026-12-07); each shape is what aws-sdk-bedrockruntime 1.153.0 sent and read, which the tests
//! check with that SDK as the oracle (`body`'s tests, `tests/bedrock_sdk_equivalence.rs`).

mod body;
mod call;
mod errors;
mod events;
mod guardrail;
mod http_client;
mod quick_ack;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;

pub use guardrail::{Finding, Intervention, Side};
/// The SDK HTTP client aws-config's credential providers call out with (`local-profiles` only).
#[cfg(feature = "local-profiles")]
pub(crate) use http_client::sdk::shared as sdk_http_client;
/// The TLS settings Bedrock's calls share with the function's other AWS calls ([`crate::aws`]).
pub(crate) use http_client::tls_config;

use crate::aws::{Endpoint, ServiceName};
use crate::error::ApiError;
use crate::request::conversation::Turn;
use crate::settings::Guardrail;
use crate::settings::cache::CachePoints;
use crate::settings::tier::ServiceTier;

/// Bedrock Runtime: the SDKs' service id `Bedrock Runtime` (so `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`),
/// host `bedrock-runtime.<region>.amazonaws.com`, SigV4 signing name `bedrock`.
const BEDROCK_RUNTIME: ServiceName =
    ServiceName { sdk_id: "Bedrock Runtime", host: "bedrock-runtime", signing_name: "bedrock" };

/// A Bedrock Runtime client, built once at cold start and shared by every request: its endpoint
/// and credentials, and one pool whose connection every invocation reuses.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Arc<Endpoint>,
    http: http_client::Http,
}

/// Everything one ConverseStream call needs.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub model_id: &'a str,
    /// Converse's `system` blocks, in order: the stack's own prompt first, then the caller's.
    pub system: Vec<&'a str>,
    /// Converse's `messages`: from the user first, alternating, ending with the user's
    /// ([`crate::request::conversation::Conversation`] holds a conversation to that).
    pub turns: &'a [Turn],
    /// Converse's `inferenceConfig.stopSequences`.
    pub stop_sequences: &'a [String],
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// ConverseStream's `additionalModelRequestFields`, passed as given.
    pub additional_model_request_fields: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// Where `cachePoint` blocks go (after the first `system` block, after a turn); `None`: none.
    pub cache_points: Option<CachePoints>,
    /// ConverseStream's `serviceTier`; `None` sends none.
    pub service_tier: Option<ServiceTier>,
}

/// A stream Bedrock has accepted (its response headers have arrived).
pub struct Accepted {
    pub items: Items,
    /// Bedrock's `x-amzn-RequestId`, when it sent one.
    pub request_id: Option<String>,
}

/// The stream's items in Bedrock's order; it ends when Bedrock closes the body, and an `Err` is
/// the last item. Dropping it closes the Bedrock stream (unread tokens cost money).
pub type Items = BoxStream<'static, Result<StreamItem, ApiError>>;

/// One thing Bedrock said on the stream that the caller may hear about. Events that carry nothing
/// for the caller (`messageStart`, `contentBlockStart`/`Stop`, tool use, citations) are skipped.
/// Shapes: ConverseStream API reference (docs.aws.amazon.com/bedrock/latest/APIReference), read 2026-11-29.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A `contentBlockDelta` with `text` (Bedrock may send an empty one).
    Text(String),
    /// A `contentBlockDelta` with `reasoningContent.text`: the model's thinking, before its answer.
    Reasoning(String),
    /// `messageStop`: Bedrock's `stopReason` (`end_turn`, `max_tokens`, …).
    Stop { reason: String },
    /// `metadata`: the last event of a complete stream.
    Metadata(Metadata),
}

/// Bedrock's `metadata` event: token counts, the call's latency and the service tier that served
/// it, each absent when Bedrock did not send it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub usage: Option<TokenUsage>,
    /// `metrics.latencyMs`: milliseconds Bedrock spent on the call.
    pub latency_ms: Option<i64>,
    /// What the call's guardrail did, when its `trace` says it acted.
    pub guardrail: Option<Intervention>,
    /// `serviceTier.type` (ConverseStreamMetadataEvent: "the processing tier configuration used
    /// for serving the request", aws-sdk-bedrockruntime 1.153.0); a name this version does not
    /// know is left out.
    pub service_tier: Option<ServiceTier>,
}

/// Bedrock's `usage`, in tokens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenUsage {
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub total_tokens: i32,
    pub cache_read_input_tokens: Option<i32>,
    pub cache_write_input_tokens: Option<i32>,
}

impl Client {
    /// A client for Bedrock as `config` has it: its region, credentials and endpoint setting
    /// (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, then `AWS_ENDPOINT_URL`: how the local emulator is reached).
    pub fn new(config: &crate::aws::Config) -> Client {
        Client { endpoint: Arc::new(Endpoint::new(BEDROCK_RUNTIME, config)), http: http_client::bedrock() }
    }

    /// A client for one endpoint (such as the local emulator) with fixed credentials.
    pub fn for_endpoint(endpoint: &str, region: &str, access_key_id: &str, secret_access_key: &str) -> Client {
        Client::new(&crate::aws::Config::for_endpoint(endpoint, region, access_key_id, secret_access_key))
    }

    /// Sends the call, with `guardrail` as its `guardrailConfig` when there is one; returns once
    /// Bedrock has accepted it or refused it (after the SDK's retries of throttling, 5xx and
    /// connections that failed), so a refusal can still be a real HTTP status.
    pub async fn converse_stream(&self, call: Call<'_>, guardrail: Option<&Guardrail>) -> Result<Accepted, ApiError> {
        let body = Bytes::from(body::body(&call, guardrail));
        let response = call::send(&self.endpoint, &self.http, &body::path(call.model_id), body)
            .await
            .map_err(|refusal| errors::refused(call.model_id, self.endpoint.region(), refusal))?;
        let request_id = response.headers().get("x-amzn-requestid").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Accepted { items: events::items(response.into_body(), call.model_id.to_owned()), request_id })
    }
}
