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
}

impl StopReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
        }
    }
}

pub(crate) fn message_start() -> Bytes {
    event("messageStart", json!({ "role": "assistant" }))
}

pub(crate) fn content_block_delta(text: &str) -> Bytes {
    event("contentBlockDelta", json!({ "contentBlockIndex": 0, "delta": { "text": text } }))
}

pub(crate) fn content_block_stop() -> Bytes {
    event("contentBlockStop", json!({ "contentBlockIndex": 0 }))
}

pub(crate) fn message_stop(reason: StopReason) -> Bytes {
    event("messageStop", json!({ "stopReason": reason.as_str() }))
}

pub(crate) fn metadata(input_tokens: usize, output_tokens: usize, latency: Duration) -> Bytes {
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    event(
        "metadata",
        json!({
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": { "latencyMs": latency_ms },
        }),
    )
}

/// The in-stream error Bedrock sends when the model behind it fails mid-answer (the shape
/// carries the model provider's own status and message).
pub(crate) fn model_stream_error() -> Bytes {
    exception(
        "modelStreamErrorException",
        json!({
            "message": "The model stream was interrupted by an error from the model. Try your request again.",
            "originalStatusCode": 529,
            "originalMessage": "Overloaded",
        }),
    )
}

/// The in-stream error Bedrock sends when a stream exceeds the account's token rate.
pub(crate) fn throttling() -> Bytes {
    exception("throttlingException", json!({ "message": "Too many tokens, please wait before trying again." }))
}

fn event(event_type: &'static str, payload: Value) -> Bytes {
    frame("event", Header::new(":event-type", string(event_type)), payload)
}

fn exception(exception_type: &'static str, payload: Value) -> Bytes {
    frame("exception", Header::new(":exception-type", string(exception_type)), payload)
}

fn frame(message_type: &'static str, type_header: Header, mut payload: Value) -> Bytes {
    // Bedrock pads every payload with a random-length "p" so that message sizes do not leak the
    // length of the generated text; clients must ignore unknown fields, and this keeps them honest.
    payload["p"] = Value::String(padding());
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
        let message = read_message_from(content_block_delta(" word")).unwrap();
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
        let message = read_message_from(model_stream_error()).unwrap();
        assert_eq!(header(&message, ":message-type"), "exception");
        assert_eq!(header(&message, ":exception-type"), "modelStreamErrorException");
        let payload: Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(payload["originalStatusCode"], 529);
    }
}
