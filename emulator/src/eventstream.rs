//! ConverseStream events as Bedrock puts them on the wire: JSON payloads in AWS event-stream
//! messages. The binary framing (prelude, header encoding, CRCs) is aws-smithy-eventstream's, the
//! same code the SDK decodes with, so a framing bug cannot hide behind a matching one here.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};
use std::time::Duration;

/// Why the model stopped, as `messageStop.stopReason` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    /// The request's guardrail blocked the prompt or the answer.
    GuardrailIntervened,
}

impl StopReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::GuardrailIntervened => "guardrail_intervened",
        }
    }
}

pub(crate) fn message_start() -> Bytes {
    event("messageStart", json!({ "role": "assistant" }))
}

/// A text delta of content block `index` (0, or 1 after a reasoning block).
pub(crate) fn content_block_delta(index: usize, text: &str) -> Bytes {
    event("contentBlockDelta", json!({ "contentBlockIndex": index, "delta": { "text": text } }))
}

/// A reasoning delta, always in content block 0: `{"reasoningContent": {"text": …}}`, the
/// shape of the SDK's `ReasoningContentBlockDelta::Text` (aws-sdk-bedrockruntime 1.153
/// deserializer, read 2026-11-29).
pub(crate) fn reasoning_delta(text: &str) -> Bytes {
    event("contentBlockDelta", json!({ "contentBlockIndex": 0, "delta": { "reasoningContent": { "text": text } } }))
}

/// The signature that closes a reasoning block: `{"reasoningContent": {"signature": …}}`.
pub(crate) fn reasoning_signature(signature: &str) -> Bytes {
    event(
        "contentBlockDelta",
        json!({ "contentBlockIndex": 0, "delta": { "reasoningContent": { "signature": signature } } }),
    )
}

pub(crate) fn content_block_stop(index: usize) -> Bytes {
    event("contentBlockStop", json!({ "contentBlockIndex": index }))
}

pub(crate) fn message_stop(reason: StopReason) -> Bytes {
    event("messageStop", json!({ "stopReason": reason.as_str() }))
}

/// Token counts for `metadata.usage`, and the tier for `metadata.serviceTier`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Usage {
    pub input_tokens: usize,
    pub output_tokens: usize,
    /// `(cacheReadInputTokens, cacheWriteInputTokens)`, when prompt caching is reported.
    pub cache: Option<(usize, usize)>,
    /// The request's `serviceTier.type`, echoed as the tier that served it.
    pub service_tier: Option<String>,
}

/// The `metadata` event; `latency` `None` leaves `metrics` out, `trace` `None` leaves `trace` out.
pub(crate) fn metadata(usage: &Usage, latency: Option<Duration>, trace: Option<&Value>) -> Bytes {
    let (cache_read, cache_write) = usage.cache.unwrap_or_default();
    let mut counts = json!({
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.input_tokens + usage.output_tokens + cache_read + cache_write,
    });
    if usage.cache.is_some() {
        counts["cacheReadInputTokens"] = json!(cache_read);
        counts["cacheWriteInputTokens"] = json!(cache_write);
    }
    let mut payload = json!({ "usage": counts });
    if let Some(tier) = &usage.service_tier {
        payload["serviceTier"] = json!({ "type": tier });
    }
    if let Some(latency) = latency {
        payload["metrics"] = json!({ "latencyMs": u64::try_from(latency.as_millis()).unwrap_or(u64::MAX) });
    }
    if let Some(trace) = trace {
        payload["trace"] = trace.clone();
    }
    event("metadata", payload)
}

/// An exception message Bedrock sends inside a `200` stream, ending it. ConverseStreamOutput
/// (Bedrock API reference, read 2026-12-07) documents `internalServerException` (500),
/// `modelStreamErrorException` (424), `serviceUnavailableException` (503), `throttlingException`
/// (429) and `validationException` (400); each payload is its error shape: `message`, and for
/// `modelStreamErrorException` also `originalStatusCode` and `originalMessage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamException {
    /// The model behind Bedrock failed mid-answer (the shape carries the provider's own status
    /// and message).
    ModelStreamError,
    /// The stream exceeded the account's token rate ("Too many tokens, please wait before trying
    /// again.": AWS re:Post knowledge center, "troubleshoot the ThrottlingException error", read
    /// 2026-11-29).
    Throttling,
    /// A failure inside Bedrock; the text is Bedrock's InternalServerException message.
    InternalServer,
    /// Bedrock became unavailable; the text is Bedrock's ServiceUnavailableException message.
    ServiceUnavailable,
    /// Bedrock refused the request part way; the text is the API reference's description of
    /// validationException (no public capture of a mid-stream one shows its words).
    Validation,
    /// A type no SDK models, as a newer Bedrock could send.
    Unknown,
}

impl StreamException {
    pub(crate) fn frame(self) -> Bytes {
        let (exception_type, payload) = match self {
            Self::ModelStreamError => (
                "modelStreamErrorException",
                json!({
                    "message": "The model stream was interrupted by an error from the model. Try your request again.",
                    "originalStatusCode": 529,
                    "originalMessage": "Overloaded",
                }),
            ),
            Self::Throttling => {
                ("throttlingException", json!({ "message": "Too many tokens, please wait before trying again." }))
            }
            Self::InternalServer => (
                "internalServerException",
                json!({ "message": "The system encountered an unexpected error during processing. Try your request again." }),
            ),
            Self::ServiceUnavailable => {
                ("serviceUnavailableException", json!({ "message": "Bedrock is unable to process your request." }))
            }
            Self::Validation => (
                "validationException",
                json!({ "message": "Input validation failed. Check your request parameters and retry the request." }),
            ),
            Self::Unknown => ("someNewException", json!({ "message": "Something new went wrong inside Bedrock." })),
        };
        exception(exception_type, payload)
    }
}

/// A delta frame whose trailing message CRC is flipped: the prelude still frames it, so a
/// decoder reads it whole and then rejects it.
pub(crate) fn bad_frame() -> Bytes {
    let mut frame = content_block_delta(0, " corrupted").to_vec();
    let last = frame.len() - 1;
    frame[last] ^= 0xff;
    Bytes::from(frame)
}

fn event(event_type: &'static str, mut payload: Value) -> Bytes {
    // Bedrock pads every event with a random-length "p" so that message sizes do not leak the
    // length of the generated text; clients must ignore unknown fields, and this keeps them honest.
    payload["p"] = Value::String(padding());
    frame("event", Header::new(":event-type", string(event_type)), payload)
}

/// An exception carries its error shape only, without the `p` padding of events: the shapes
/// (API reference) have no such member, and the issue this emulator follows (bedrock-streamer
/// issue 15, item 14) reports public captures of `{"message":…}` alone. No capture of our own:
/// no machine of this project reaches Bedrock.
fn exception(exception_type: &'static str, payload: Value) -> Bytes {
    frame("exception", Header::new(":exception-type", string(exception_type)), payload)
}

fn frame(message_type: &'static str, type_header: Header, payload: Value) -> Bytes {
    let message = Message::new(serde_json::to_vec(&payload).expect("a JSON value always serializes"))
        .add_header(Header::new(":message-type", string(message_type)))
        .add_header(type_header)
        .add_header(Header::new(":content-type", string("application/json")));
    let mut buffer = Vec::with_capacity(message.payload().len() + 128);
    write_message_to(&message, &mut buffer).expect("short headers and payloads always fit a frame");
    Bytes::from(buffer)
}

fn string(value: &'static str) -> HeaderValue {
    HeaderValue::String(value.into())
}

fn padding() -> String {
    let mut rng = rand::rng();
    let len = rng.random_range(1..=60);
    (&mut rng).sample_iter(Alphanumeric).take(len).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    fn header<'a>(message: &'a Message, name: &str) -> &'a str {
        let header = message.headers().iter().find(|h| h.name().as_str() == name).unwrap();
        header.value().as_string().unwrap().as_str()
    }

    #[test]
    fn delta_frame_decodes_to_a_padded_json_event() {
        let message = read_message_from(content_block_delta(0, " word")).unwrap();
        assert_eq!(header(&message, ":message-type"), "event");
        assert_eq!(header(&message, ":event-type"), "contentBlockDelta");
        assert_eq!(header(&message, ":content-type"), "application/json");
        let payload: Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(payload["delta"]["text"], " word");
        let p = payload["p"].as_str().unwrap();
        assert!((1..=60).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn exceptions_use_the_exception_type_header() {
        let message = read_message_from(StreamException::ModelStreamError.frame()).unwrap();
        assert_eq!(header(&message, ":message-type"), "exception");
        assert_eq!(header(&message, ":exception-type"), "modelStreamErrorException");
        let payload: Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(payload["originalStatusCode"], 529);
    }

    #[test]
    fn exceptions_carry_their_error_shape_only_without_padding() {
        for (exception, name) in [
            (StreamException::InternalServer, "internalServerException"),
            (StreamException::ServiceUnavailable, "serviceUnavailableException"),
            (StreamException::Validation, "validationException"),
            (StreamException::Throttling, "throttlingException"),
        ] {
            let message = read_message_from(exception.frame()).unwrap();
            assert_eq!(header(&message, ":exception-type"), name);
            let payload: Value = serde_json::from_slice(message.payload()).unwrap();
            let fields: Vec<&String> = payload.as_object().unwrap().keys().collect();
            assert_eq!(fields, ["message"], "{name}: {payload}");
        }
    }

    #[test]
    fn reasoning_deltas_use_the_reasoning_content_union() {
        let text: Value = serde_json::from_slice(read_message_from(reasoning_delta("hmm")).unwrap().payload()).unwrap();
        assert_eq!(text["delta"], json!({ "reasoningContent": { "text": "hmm" } }));
        let signature = read_message_from(reasoning_signature("c2ln")).unwrap();
        let signature: Value = serde_json::from_slice(signature.payload()).unwrap();
        assert_eq!(signature["delta"], json!({ "reasoningContent": { "signature": "c2ln" } }));
    }

    #[test]
    fn metadata_counts_cached_tokens_in_the_total_and_may_leave_out_metrics() {
        let usage = Usage { input_tokens: 10, output_tokens: 5, cache: Some((4096, 512)), service_tier: None };
        let payload: Value =
            serde_json::from_slice(read_message_from(metadata(&usage, None, None)).unwrap().payload()).unwrap();
        assert_eq!(payload["usage"]["totalTokens"], 10 + 5 + 4096 + 512);
        assert_eq!(payload["usage"]["cacheReadInputTokens"], 4096);
        assert_eq!(payload["usage"]["cacheWriteInputTokens"], 512);
        assert!(payload.get("metrics").is_none());
    }

    #[test]
    fn a_bad_frame_fails_its_checksum() {
        let error = read_message_from(bad_frame()).unwrap_err();
        assert!(error.to_string().to_lowercase().contains("crc") || error.to_string().contains("checksum"), "{error}");
    }
}
