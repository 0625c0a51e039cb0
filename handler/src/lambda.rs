//! The Lambda layer: the runtime loop that polls the Runtime API and streams each answer back
//! ([`runtime`]), and the conversion of the event Lambda delivers into the one [`Request`] value
//! the service reads ([`function_url`]).
//!
//! The seam for event sources: a module per kind of event, each with one function
//! `request(Event, Invocation) -> Result<Request, ApiError>` that reads only what the API uses and
//! cannot fail otherwise. Function URL events (payload format 2.0) are the only kind today;
//! another (an API Gateway REST proxy event, payload format 1.0) is one more such module, chosen
//! by the event's shape where `runtime` converts the event. The service never sees the event.
//!
//! [`Request`]: crate::service::Request

use bytes::Bytes;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub mod function_url;
pub mod runtime;

/// An event as lambda_runtime hands it to the handler: the JSON value, or why the bytes are not
/// JSON. Deserializing it never fails, so lambda_runtime never answers an invocation on the
/// handler's behalf (with an error the caller sees as a bare 502).
#[derive(Debug)]
pub struct Event(Result<Value, String>);

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        Ok(Event(Value::deserialize(deserializer).map_err(|e| e.to_string())))
    }
}

impl Event {
    /// Reads raw event bytes exactly as the binary does: [`utf8_lossy`] as the runtime layer
    /// applies it, then lambda_runtime's serde_json reading (which ignores anything after the
    /// first JSON value).
    pub fn from_slice(raw: &[u8]) -> Event {
        let raw = utf8_lossy(Bytes::copy_from_slice(raw));
        match Event::deserialize(&mut serde_json::Deserializer::from_slice(&raw)) {
            Ok(event) => event,
            Err(error) => Event(Err(error.to_string())),
        }
    }

    /// The event's JSON, or why its bytes are not JSON.
    pub fn into_json(self) -> Result<Value, String> {
        self.0
    }
}

/// Event bytes that are not UTF-8, with each invalid sequence replaced by U+FFFD. Lambda's events
/// are JSON text and always UTF-8; lambda_runtime 1.5 drops an invocation whose bytes are not
/// before the handler runs, leaving it unanswered until Lambda's timeout, so the runtime layer
/// ([`runtime`]) passes every event through this first.
pub fn utf8_lossy(raw: Bytes) -> Bytes {
    match String::from_utf8_lossy(&raw) {
        std::borrow::Cow::Borrowed(_) => raw,
        std::borrow::Cow::Owned(fixed) => Bytes::from(fixed),
    }
}
