//! The Bedrock side, and the only module that names the AWS SDK's types: the client, one
//! ConverseStream call, the stream's events as the project's own [`StreamItem`]s, and what each
//! Bedrock failure means to the caller ([`ApiError`]).
//!
//! Error text for the caller comes from the error's code and message (an AccessDenied's Display is
//! just "service error"); the full chain goes to the logs only.
//!
//! The SDK's HTTPS client is assembled in `http_client` so that its TCP stream can ACK Bedrock's
//! frames at once (`quick_ack`); both stay inside this module.

mod guardrail;
mod http_client;
mod quick_ack;

pub use guardrail::{Finding, Intervention, Side};
/// The TLS settings the Bedrock client uses, for the function's one other AWS call (the budget
/// alarm's, [`crate::budget`]).
pub(crate) use http_client::{shared as sdk_http_client, tls_config};

use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    CachePointBlock, CachePointType, CacheTtl as SdkCacheTtl, ContentBlock, ContentBlockDelta, ConversationRole,
    ConverseStreamOutput, InferenceConfiguration, Message, ReasoningContentBlockDelta, ServiceTier as SdkServiceTier,
    ServiceTierType, SystemContentBlock,
};
use aws_smithy_types::event_stream::RawMessage;
use aws_smithy_types::{Document, Number};
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::error::{Advice, ApiError, NoAnswer, StreamBreak, UpstreamFailure};
use crate::request::conversation::{Role, Turn};
use crate::settings::Guardrail;
use crate::settings::cache::{CachePoints, CacheTtl};
use crate::settings::tier::ServiceTier;

/// A Bedrock Runtime client, built once at cold start and shared by every request.
#[derive(Debug, Clone)]
pub struct Client(aws_sdk_bedrockruntime::Client);

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
    /// The standard AWS chain: region and credentials from the environment (the Lambda role), and
    /// the endpoint override from `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (how the local emulator is reached).
    pub async fn from_env() -> Client {
        let config = crate::aws::config_loader().http_client(http_client::shared()).load().await;
        Client(aws_sdk_bedrockruntime::Client::new(&config))
    }

    /// A client for one endpoint (such as the local emulator) with fixed credentials.
    pub fn for_endpoint(endpoint: &str, region: &str, access_key_id: &str, secret_access_key: &str) -> Client {
        let config = aws_sdk_bedrockruntime::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(Credentials::new(access_key_id, secret_access_key, None, None, "static"))
            .endpoint_url(endpoint)
            .http_client(http_client::shared())
            .build();
        Client(aws_sdk_bedrockruntime::Client::from_conf(config))
    }

    /// Sends the call, with `guardrail` as its `guardrailConfig` when there is one; returns once
    /// Bedrock has accepted it or refused it (after the SDK's retries of throttling and 5xx), so a
    /// refusal can still be a real HTTP status.
    pub async fn converse_stream(&self, call: Call<'_>, guardrail: Option<&Guardrail>) -> Result<Accepted, ApiError> {
        let cache_point = call.cache_points.map(|points| cache_point(points.ttl)).transpose()?;
        let point_after_turn = call.cache_points.and_then(|points| points.after_turn);
        let messages = call
            .turns
            .iter()
            .enumerate()
            .map(|(i, turn)| {
                let role = match turn.role {
                    Role::User => ConversationRole::User,
                    Role::Assistant => ConversationRole::Assistant,
                };
                let message = Message::builder().role(role).content(ContentBlock::Text(turn.text.clone()));
                match &cache_point {
                    Some(point) if point_after_turn == Some(i) => {
                        message.content(ContentBlock::CachePoint(point.clone()))
                    }
                    _ => message,
                }
                .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ApiError::UpstreamError(UpstreamFailure::Request(e.to_string())))?;
        let mut system: Vec<SystemContentBlock> =
            call.system.iter().map(|text| SystemContentBlock::Text((*text).to_owned())).collect();
        if let Some(point) = cache_point.filter(|_| call.cache_points.is_some_and(|p| p.after_stack_system)) {
            // The stack's own prompt is the first block; the caller's system text follows the point.
            system.insert(1.min(system.len()), SystemContentBlock::CachePoint(point));
        }
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(call.max_tokens).unwrap_or(i32::MAX))
            .set_temperature(call.temperature)
            .set_top_p(call.top_p)
            .set_stop_sequences((!call.stop_sequences.is_empty()).then(|| call.stop_sequences.to_vec()))
            .build();
        let output = self
            .0
            .converse_stream()
            .model_id(call.model_id)
            .set_messages(Some(messages))
            .set_system((!system.is_empty()).then_some(system))
            .inference_config(inference)
            .set_additional_model_request_fields(call.additional_model_request_fields.map(object))
            .set_guardrail_config(guardrail.map(guardrail::config))
            .set_service_tier(call.service_tier.map(service_tier).transpose()?)
            .send()
            .await
            .map_err(|e| refused(call.model_id, self.region(), e))?;
        let request_id = output.request_id().map(str::to_owned);
        Ok(Accepted { items: items(output.stream, call.model_id.to_owned()), request_id })
    }
}

impl Client {
    /// The region calls go to (named in the end-of-life message).
    fn region(&self) -> &str {
        self.0.config().region().map_or("this region", |r| r.as_ref())
    }
}

/// A `cachePoint` block of type `default`. A 5-minute point carries no `ttl`: 5 minutes is what a
/// point without one gets ("When omitted, uses type value for caching behavior": API reference,
/// `CachePointBlock`, read 2026-12-07), and so a model that takes only 5 minutes is never sent the
/// field it may not know.
fn cache_point(ttl: CacheTtl) -> Result<CachePointBlock, ApiError> {
    let ttl = match ttl {
        CacheTtl::FiveMinutes => None,
        CacheTtl::OneHour => Some(SdkCacheTtl::OneHour),
    };
    CachePointBlock::builder()
        .r#type(CachePointType::Default)
        .set_ttl(ttl)
        .build()
        .map_err(|e| ApiError::UpstreamError(UpstreamFailure::Request(e.to_string())))
}

/// ConverseStream's `serviceTier` for a tier.
fn service_tier(tier: ServiceTier) -> Result<SdkServiceTier, ApiError> {
    SdkServiceTier::builder()
        .r#type(ServiceTierType::from(tier.as_str()))
        .build()
        .map_err(|e| ApiError::UpstreamError(UpstreamFailure::Request(e.to_string())))
}

/// JSON as Smithy's `Document`, the type the SDK gives `additionalModelRequestFields`.
fn object(fields: &serde_json::Map<String, serde_json::Value>) -> Document {
    Document::Object(fields.iter().map(|(k, v)| (k.clone(), document(v))).collect())
}

fn document(value: &serde_json::Value) -> Document {
    use serde_json::Value;
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            (None, None) => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document).collect()),
        Value::Object(fields) => object(fields),
    }
}

type Events = EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>;
type StreamError = SdkError<ConverseStreamOutputError, RawMessage>;

/// The SDK's event receiver as [`Items`]: pulled one event at a time, nothing buffered.
fn items(events: Events, model: String) -> Items {
    stream::unfold(Some((events, model)), |state| async move {
        let (mut events, model) = state?;
        loop {
            match events.recv().await {
                Ok(Some(output)) => {
                    if let Some(item) = item(output) {
                        return Some((Ok(item), Some((events, model))));
                    }
                }
                Ok(None) => return None,
                Err(error) => return Some((Err(interrupted(&model, &error)), None)),
            }
        }
    })
    .boxed()
}

fn item(output: ConverseStreamOutput) -> Option<StreamItem> {
    match output {
        ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta? {
            ContentBlockDelta::Text(text) => Some(StreamItem::Text(text)),
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text)) => {
                Some(StreamItem::Reasoning(text))
            }
            _ => None,
        },
        ConverseStreamOutput::MessageStop(stop) => {
            Some(StreamItem::Stop { reason: stop.stop_reason.as_str().to_owned() })
        }
        // The SDK fills a required member Bedrock left out with zeros (smithy-rs "client error
        // correction"), so all-zero usage and a zero latency are what "not sent" looks like here;
        // neither happens for a call that generated anything.
        ConverseStreamOutput::Metadata(metadata) => Some(StreamItem::Metadata(Metadata {
            usage: metadata.usage.filter(|u| u.input_tokens != 0 || u.output_tokens != 0 || u.total_tokens != 0).map(
                |u| TokenUsage {
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    total_tokens: u.total_tokens,
                    cache_read_input_tokens: u.cache_read_input_tokens,
                    cache_write_input_tokens: u.cache_write_input_tokens,
                },
            ),
            latency_ms: metadata.metrics.map(|m| m.latency_ms).filter(|&ms| ms != 0),
            guardrail: guardrail::intervention(metadata.trace.as_ref().and_then(|t| t.guardrail.as_ref())),
            service_tier: metadata.service_tier.and_then(|tier| ServiceTier::from_name(tier.r#type.as_str())),
        })),
        _ => None,
    }
}

/// The last error in `error`'s source chain: what actually broke.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// What a failure before the stream started means for the caller.
fn refused(model: &str, region: &str, error: SdkError<ConverseStreamError>) -> ApiError {
    tracing::warn!(error = %DisplayErrorContext(&error), "Bedrock refused the call");
    let model = model.to_owned();
    match &error {
        SdkError::ServiceError(service) => {
            let detail = service.err().message().unwrap_or("no message").to_owned();
            // Account gates and end of life come as ResourceNotFoundException today; the words
            // say which, whatever exception carries them (Bedrock's texts and their public
            // sources, read 2026-12-07: emulator/src/fault.rs `EndOfLife`, `Legacy`, `UseCaseRequired`).
            if detail.contains("reached the end of its life") {
                return ApiError::ModelEndOfLife { model, region: region.to_owned(), detail };
            }
            if detail.contains("marked by provider as Legacy") {
                return ApiError::ModelLegacy { model, detail };
            }
            if detail.contains("use case details have not been submitted") {
                return ApiError::ModelUseCaseRequired { model, detail };
            }
            match service.err() {
                ConverseStreamError::ThrottlingException(_) => {
                    ApiError::Throttled { model, message: detail, retried: true }
                }
                ConverseStreamError::ModelNotReadyException(_) => ApiError::ModelNotReady { model, message: detail },
                ConverseStreamError::AccessDeniedException(_) => ApiError::ModelAccessDenied { model, detail },
                ConverseStreamError::ResourceNotFoundException(_) => ApiError::ModelNotFound { model, detail },
                ConverseStreamError::ValidationException(_) => rejected(model, detail),
                ConverseStreamError::ModelTimeoutException(_) => {
                    ApiError::UpstreamTimeout(NoAnswer::ModelTimeout { model, message: detail })
                }
                ConverseStreamError::InternalServerException(_) => {
                    ApiError::BedrockInternalError { message: detail, mid_stream: false }
                }
                ConverseStreamError::ServiceUnavailableException(_) => {
                    ApiError::BedrockUnavailable { message: detail, mid_stream: false }
                }
                // Not modelled for ConverseStream: an unhandled error whose code names it.
                other if other.code() == Some("ServiceQuotaExceededException") => {
                    ApiError::QuotaExceeded { model, message: detail }
                }
                other => exception(other.code(), detail),
            }
        }
        SdkError::TimeoutError(_) => ApiError::UpstreamTimeout(NoAnswer::Sdk),
        SdkError::DispatchFailure(failure) => {
            let cause = failure.as_connector_error().map_or_else(|| "no connection".to_owned(), |e| innermost(e));
            ApiError::UpstreamError(UpstreamFailure::Unreachable { cause })
        }
        _ => ApiError::UpstreamError(UpstreamFailure::Unreadable),
    }
}

fn rejected(model: String, detail: String) -> ApiError {
    let advice = if detail.contains("on-demand throughput") {
        Some(Advice::UseInferenceProfile)
    } else if detail.contains("temperature") && detail.contains("top_p") {
        Some(Advice::TemperatureOrTopP)
    } else {
        None
    };
    ApiError::BedrockRejected { model, detail, advice }
}

fn exception(code: Option<&str>, message: String) -> ApiError {
    ApiError::UpstreamError(UpstreamFailure::Exception { code: code.unwrap_or("error").to_owned(), message })
}

/// What a failure after the stream started means for the caller. The SDK reports a frame it
/// cannot decode, a message it cannot read and a broken connection alike as "not a service
/// error"; which one it was is in the error's kind and its raw message.
fn interrupted(model: &str, error: &StreamError) -> ApiError {
    tracing::warn!(error = %DisplayErrorContext(error), "the Bedrock stream failed");
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let detail = err.message().unwrap_or("no message").to_owned();
            match err {
                ConverseStreamOutputError::ModelStreamErrorException(e) => ApiError::ModelStreamError {
                    message: detail,
                    original_status_code: e.original_status_code,
                    original_message: e.original_message.clone(),
                },
                ConverseStreamOutputError::ThrottlingException(_) => {
                    ApiError::Throttled { model: model.to_owned(), message: detail, retried: false }
                }
                ConverseStreamOutputError::ValidationException(_) => rejected(model.to_owned(), detail),
                ConverseStreamOutputError::InternalServerException(_) => {
                    ApiError::BedrockInternalError { message: detail, mid_stream: true }
                }
                ConverseStreamOutputError::ServiceUnavailableException(_) => {
                    ApiError::BedrockUnavailable { message: detail, mid_stream: true }
                }
                other => match (other.code(), exception_type(service.raw())) {
                    (None, Some(exception_type)) => {
                        ApiError::UpstreamError(UpstreamFailure::UnknownException { exception_type, message: detail })
                    }
                    (code, _) => exception(code, detail),
                },
            }
        }
        SdkError::ResponseError(response) => {
            let reason = std::error::Error::source(error).map_or_else(|| "no detail".to_owned(), |e| e.to_string());
            ApiError::UpstreamIncomplete(match response.raw() {
                RawMessage::Decoded(_) => StreamBreak::Unreadable { reason },
                // Bytes left over: the body ended inside a message.
                RawMessage::Invalid(Some(_)) => StreamBreak::Truncated,
                _ => StreamBreak::Undecodable { reason },
            })
        }
        _ => ApiError::UpstreamIncomplete(StreamBreak::ConnectionLost),
    }
}

/// The `:exception-type` header of an exception message, which names what the SDK did not model.
fn exception_type(raw: &RawMessage) -> Option<String> {
    let RawMessage::Decoded(message) = raw else { return None };
    let header = message.headers().iter().find(|h| h.name().as_str() == ":exception-type")?;
    header.value().as_string().ok().map(|v| v.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_for_temperature_and_top_p_together_says_which_settings_to_drop() {
        // Bedrock's text for current Claude models (reported in aws-samples/bedrock-access-gateway
        // issue 191, 2025-10-16).
        let detail = "The model returned the following errors: `temperature` and `top_p` cannot both be specified \
                      for this model. Please use only one.";
        let error = rejected("m".into(), detail.into());
        assert_eq!(error.code(), "bedrock_rejected");
        let message = error.to_string();
        assert!(message.contains(detail), "{message}");
        assert!(message.contains("unset one of them (STREAMER_TEMPERATURE or STREAMER_TOP_P"), "{message}");
    }
}
