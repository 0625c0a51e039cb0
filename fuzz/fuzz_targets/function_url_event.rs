//! The raw Function URL event, as the Runtime API hands it to the binary, through the binary's own
//! conversion: `lambda::Event::from_slice` (the UTF-8 repair and serde_json reading the runtime
//! applies) and `lambda::request`, which reads it with `function_url::request` unless it is a REST
//! proxy event (no payload 2.0 field, and an `httpMethod` or `resource`: the `api_gateway_event`
//! target's).
//!
//! Input: the event's bytes, as they are.
//!
//! Invariants: never panics. **Read**: the method is the event's `requestContext.http.method`;
//! the body is the event's `body` (base64-decoded when `isBase64Encoded` is true; empty when
//! absent); every header is one of the event's, its name lower-cased, its value unchanged, and
//! every event header HTTP can carry is there; the path (what the routes read: `GET /` the page,
//! `GET /models` the listing) is the event's `rawPath`, or `/` when it has none a URI can carry. **Refused**: 400 with `invalid_event` or
//! `invalid_body` (only when the body is flagged base64 and is not), and the error body is
//! exactly `{"type":"error","code":…,"message":…}`. **Complete**: an event with a string method
//! that is an HTTP token, headers an object (or absent), body a string (or absent),
//! `isBase64Encoded` a boolean (or absent) and, when flagged, a base64 body is always read (at
//! most 24,576 distinct header names, far more than an input here holds: more is `invalid_event`).
//! **Outside the API**: replacing `rawQueryString`, `cookies` and `queryStringParameters` with
//! other values (raw spaces, quotes, `<`, wrong types), or `rawPath` with a wrong type, never changes
//! the outcome (whether the event is read, and its method, headers and body).

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_streamer::error::ApiError;
use bedrock_streamer::lambda::{self, Event};
use bedrock_streamer::service::{Invocation, Request};
use bedrock_streamer::stream::wire;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

/// The conversion as the runtime calls it, its refusal's error alone.
fn convert(data: &[u8]) -> Result<Request, ApiError> {
    lambda::request(Event::from_slice(data), Invocation::default()).map_err(|refused| refused.error)
}

fuzz_target!(|data: &[u8]| {
    let result = convert(data);
    // What the event says, read independently of the handler (lossy UTF-8 as the runtime layer
    // does; serde_json stops after the first value, as lambda_runtime's reading does).
    let text = String::from_utf8_lossy(data);
    let value = serde_json::Deserializer::from_str(&text).into_iter::<Value>().next().and_then(Result::ok);
    if value.as_ref().and_then(Value::as_object).is_some_and(rest) {
        return;
    }
    match &result {
        Ok(request) => read(value.as_ref().expect("a request came from JSON"), request),
        Err(error) => refused(error),
    }
    if let Some(value) = &value {
        if readable(value) {
            assert!(result.is_ok(), "a readable event was refused: {result:?}");
        }
        if value.is_object() {
            outside_the_api(value, &result);
        }
    }
});

/// Whether the function reads `event` as a REST proxy event (docs/api.md): no payload 2.0 field
/// (`rawPath`, `routeKey`, an object `requestContext.http`), and an `httpMethod` or `resource`.
fn rest(event: &Map<String, Value>) -> bool {
    let function_url = event.contains_key("rawPath")
        || event.contains_key("routeKey")
        || event.get("requestContext").and_then(|c| c.get("http")).is_some_and(Value::is_object);
    !function_url && (event.contains_key("httpMethod") || event.contains_key("resource"))
}

fn read(event: &Value, request: &Request) {
    assert_eq!(Some(request.method.as_str()), event.pointer("/requestContext/http/method").and_then(Value::as_str));
    let body = event.get("body").and_then(Value::as_str).unwrap_or("");
    if event.get("isBase64Encoded") == Some(&Value::Bool(true)) {
        assert_eq!(request.body.as_ref(), BASE64.decode(body).expect("a flagged body was base64").as_slice());
    } else {
        assert_eq!(request.body.as_ref(), body.as_bytes());
    }
    let raw_path = event.get("rawPath").and_then(Value::as_str);
    let path = request.path.as_str();
    assert!(path == "/" || Some(path) == raw_path, "the path {path:?} is neither / nor rawPath {raw_path:?}");
    if raw_path == Some("/models") {
        assert_eq!(path, "/models");
    }
    let headers = event.get("headers").and_then(Value::as_object).cloned().unwrap_or_default();
    for (name, value) in &request.headers {
        let sent = headers.iter().filter(|(n, _)| n.to_ascii_lowercase() == name.as_str());
        assert!(sent.filter_map(|(_, v)| v.as_str()).any(|v| v.as_bytes() == value.as_bytes()), "{name} was invented");
    }
    for (name, value) in &headers {
        let carried = http::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && value.as_str().is_some_and(|v| http::HeaderValue::from_str(v).is_ok());
        assert!(!carried || request.headers.contains_key(name.to_ascii_lowercase().as_str()), "{name} was lost");
    }
}

fn refused(error: &ApiError) {
    assert_eq!(error.status().as_u16(), 400);
    assert!(matches!(error.code(), "invalid_event" | "invalid_body"), "{error:?}");
    let body: Value = serde_json::from_slice(&wire::error_body(None, error).1).expect("error bodies are JSON");
    assert_eq!(body, json!({"type": "error", "code": error.code(), "message": error.to_string()}));
}

/// An event every reading of docs/api.md's rules must accept.
fn readable(event: &Value) -> bool {
    let present = |key: &str| event.get(key).filter(|v| !v.is_null());
    let method = event.pointer("/requestContext/http/method").and_then(Value::as_str);
    let flagged = present("isBase64Encoded") == Some(&Value::Bool(true));
    method.is_some_and(|m| http::Method::from_bytes(m.as_bytes()).is_ok())
        && present("headers").is_none_or(Value::is_object)
        && present("isBase64Encoded").is_none_or(Value::is_boolean)
        && match present("body") {
            None => true,
            Some(Value::String(body)) => !flagged || BASE64.decode(body).is_ok(),
            Some(_) => false,
        }
}

/// The same event with the fields the API does not read replaced keeps its outcome.
fn outside_the_api(event: &Value, result: &Result<Request, ApiError>) {
    let mut changed = event.clone();
    let fields = changed.as_object_mut().expect("an object");
    fields.insert("rawQueryString".into(), json!("q=a b&\"x\"=<y>"));
    fields.insert("rawPath".into(), json!(7));
    fields.insert("cookies".into(), json!({"not": "a list"}));
    fields.remove("queryStringParameters");
    let again = convert(changed.to_string().as_bytes());
    match (result, &again) {
        (Ok(first), Ok(second)) => {
            assert_eq!((&first.method, &first.headers, &first.body), (&second.method, &second.headers, &second.body))
        }
        (Err(first), Err(second)) => assert_eq!(first.code(), second.code()),
        _ => panic!("fields outside the API changed the outcome: {result:?} then {again:?}"),
    }
}
