//! The response's event stream (`application/vnd.amazon.eventstream`) as [`Items`]: frames
//! decoded with aws-smithy-eventstream's `MessageFrameDecoder` (it checks the prelude's and the
//! message's CRC-32) from hyper's body frames as they arrive, each payload read with serde_json
//! into borrowed structs that name only what the caller hears about (Bedrock's `p` padding and
//! the rest are skipped unread).
//!
//! Messages: `:message-type` `event` with `:event-type` (`messageStart`, `contentBlockStart`,
//! `contentBlockDelta`, `contentBlockStop`, `messageStop`, `metadata`), `exception` with
//! `:exception-type` (`internalServerException`, `modelStreamErrorException`,
//! `validationException`, `throttlingException`, `serviceUnavailableException`, or one this code
//! does not know) and a JSON payload (`message`, …): ConverseStream API reference, "Response
//! Elements" (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html,
//! read 2026-12-07). Read as aws-sdk-bedrockruntime 1.153.0 read them (its receiver in
//! aws-smithy-http 0.64 and its unmarshaller), which `tests/bedrock_sdk_equivalence.rs` checks.

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_eventstream::smithy::parse_response_headers;
use aws_smithy_types::event_stream::Message;
use bytes::{Buf, BytesMut};
use futures_util::stream::{self, StreamExt};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::Deserialize;

use super::errors;
use super::guardrail::{self, Trace};
use super::{Items, Metadata, StreamItem, TokenUsage};
use crate::error::ApiError;
use crate::settings::tier::ServiceTier;

/// Bedrock's body as [`Items`], pulled one message at a time; bytes are buffered only until
/// their message is whole.
pub(super) fn items(body: Incoming, model: String) -> Items {
    let state = Decoding { body, buffer: BytesMut::new(), decoder: MessageFrameDecoder::new(), ended: false, model };
    stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        loop {
            match state.next_message().await {
                Ok(Some(message)) => match read(&message, &state.model) {
                    Ok(Some(item)) => return Some((Ok(item), Some(state))),
                    Ok(None) => {}
                    Err(error) => return Some((Err(errors::interrupted(error)), None)),
                },
                Ok(None) => return None,
                Err(error) => return Some((Err(errors::interrupted(error)), None)),
            }
        }
    })
    .boxed()
}

/// Where the stream broke, before [`errors::interrupted`] says what that means to the caller.
#[derive(Debug)]
pub(super) enum Broken {
    /// Bedrock's exception message, as the caller hears it.
    Exception(ApiError),
    /// A whole message that could not be read (its headers or payload).
    Unreadable(String),
    /// The body ended inside a message.
    Truncated,
    /// A frame the decoder refused (a checksum, a length).
    Undecodable(String),
    /// The body failed: the connection broke.
    ConnectionLost(String),
}

struct Decoding {
    body: Incoming,
    buffer: BytesMut,
    decoder: MessageFrameDecoder,
    ended: bool,
    model: String,
}

impl Decoding {
    /// The next whole message; `None` when the body ended between messages.
    async fn next_message(&mut self) -> Result<Option<Message>, Broken> {
        while !self.ended {
            if self.buffer.has_remaining() {
                match self.decoder.decode_frame(&mut self.buffer) {
                    Ok(DecodedFrame::Complete(message)) => return Ok(Some(message)),
                    Ok(DecodedFrame::Incomplete) => {}
                    Err(error) => return Err(Broken::Undecodable(error.to_string())),
                }
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
                Some(Err(error)) => return Err(Broken::ConnectionLost(error.to_string())),
                None => self.ended = true,
            }
        }
        if self.buffer.has_remaining() { Err(Broken::Truncated) } else { Ok(None) }
    }
}

/// One message as a [`StreamItem`], `None` for the events the caller does not hear about.
fn read(message: &Message, model: &str) -> Result<Option<StreamItem>, Broken> {
    let headers = parse_response_headers(message).map_err(|e| Broken::Unreadable(e.to_string()))?;
    let payload = &message.payload()[..];
    match headers.message_type.as_str() {
        "event" => event(headers.smithy_type.as_str(), payload),
        _ => Err(Broken::Exception(errors::exception(headers.smithy_type.as_str(), payload, model))),
    }
}

fn event(event_type: &str, payload: &[u8]) -> Result<Option<StreamItem>, Broken> {
    let unreadable = |name: &str, error: serde_json::Error| {
        // The SDK's wording, so a caller reads the same reason.
        Broken::Unreadable(format!("failed to unmarshall {name}: {error}"))
    };
    match event_type {
        "contentBlockDelta" => {
            let event: DeltaEvent = serde_json::from_slice(payload).map_err(|e| unreadable("ContentBlockDelta", e))?;
            Ok(event.delta.and_then(|delta| match delta {
                Delta { text: Some(text), .. } => Some(StreamItem::Text(text)),
                Delta { reasoning_content: Some(ReasoningDelta { text: Some(text) }), .. } => {
                    Some(StreamItem::Reasoning(text))
                }
                _ => None,
            }))
        }
        "messageStop" => {
            let event: StopEvent = serde_json::from_slice(payload).map_err(|e| unreadable("MessageStop", e))?;
            Ok(Some(StreamItem::Stop { reason: event.stop_reason }))
        }
        "metadata" => {
            let event: MetadataEvent = serde_json::from_slice(payload).map_err(|e| unreadable("Metadata", e))?;
            Ok(Some(StreamItem::Metadata(event.into_metadata())))
        }
        // messageStart, contentBlockStart/Stop and events this code does not know: nothing for
        // the caller.
        _ => Ok(None),
    }
}

/// `ContentBlockDeltaEvent`: `{"contentBlockIndex": 0, "delta": {"text": "…"}, "p": "…"}`.
#[derive(Deserialize)]
struct DeltaEvent {
    delta: Option<Delta>,
}

/// The `ContentBlockDelta` union: `text`, `reasoningContent`, or a member without text for the
/// caller (`toolUse`, `citation`, …).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delta {
    text: Option<String>,
    reasoning_content: Option<ReasoningDelta>,
}

/// `ReasoningContentBlockDelta`: `text`, or a `signature` / `redactedContent` the caller does
/// not hear about.
#[derive(Deserialize)]
struct ReasoningDelta {
    text: Option<String>,
}

/// `MessageStopEvent`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopEvent {
    /// Required; a missing one reads as empty, as the SDK's error correction filled it.
    #[serde(default)]
    stop_reason: String,
}

/// `ConverseStreamMetadataEvent`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataEvent {
    usage: Option<Usage>,
    metrics: Option<Metrics>,
    trace: Option<StreamTrace>,
    service_tier: Option<Tier>,
}

/// `TokenUsage`; the required counts read as 0 when missing, as the SDK's error correction
/// filled them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    input_tokens: i32,
    #[serde(default)]
    output_tokens: i32,
    #[serde(default)]
    total_tokens: i32,
    cache_read_input_tokens: Option<i32>,
    cache_write_input_tokens: Option<i32>,
}

/// `ConverseStreamMetrics`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    #[serde(default)]
    latency_ms: i64,
}

/// `ConverseStreamTrace`.
#[derive(Deserialize)]
struct StreamTrace {
    guardrail: Option<Trace>,
}

/// `ServiceTier`.
#[derive(Deserialize)]
struct Tier {
    #[serde(rename = "type")]
    name: String,
}

impl MetadataEvent {
    /// All-zero usage and a zero latency are what "not sent" looked like through the SDK, which
    /// filled a missing required member with zeros; neither happens for a call that generated
    /// anything.
    fn into_metadata(self) -> Metadata {
        Metadata {
            usage: self.usage.filter(|u| u.input_tokens != 0 || u.output_tokens != 0 || u.total_tokens != 0).map(|u| {
                TokenUsage {
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    total_tokens: u.total_tokens,
                    cache_read_input_tokens: u.cache_read_input_tokens,
                    cache_write_input_tokens: u.cache_write_input_tokens,
                }
            }),
            latency_ms: self.metrics.map(|m| m.latency_ms).filter(|&ms| ms != 0),
            guardrail: guardrail::intervention(self.trace.and_then(|t| t.guardrail).as_ref()),
            service_tier: self.service_tier.and_then(|tier| ServiceTier::from_name(&tier.name)),
        }
    }
}
