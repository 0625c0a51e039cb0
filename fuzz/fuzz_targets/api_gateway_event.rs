//! The raw API Gateway REST proxy event (payload format 1.0), as the Runtime API hands it to the
//! binary, through the binary's own conversion: `lambda::Event::from_slice` (the UTF-8 repair and
//! serde_json reading the runtime applies) and `lambda::request`, which decides the event's kind
//! and, for a REST proxy event, reads it with `api_gateway::request` and `api_gateway::caller`.
//!
//! Input: the event's bytes, as they are.
//!
//! Invariants: never panics; an object with no payload 2.0 field (`rawPath`, `routeKey`, an object
//! `requestContext.http`) and a top-level `httpMethod` or `resource` is read as a REST proxy event;
//! anything else never names a caller. For a REST proxy event: **Read**: the method is
//! its `httpMethod`; the body is its `body` (base64-decoded when `isBase64Encoded` is true; empty
//! when absent); every header is one of the event's (`multiValueHeaders`' values or a `headers`
//! value, name lower-cased, value unchanged), every `multiValueHeaders` value HTTP can carry is
//! there, and every `headers` entry HTTP can carry is there unless `multiValueHeaders` already
//! named it; the path is its `path`, or `/` when it is none a URI can carry; the caller is
//! `requestContext.identity.apiKeyId` and `requestContext.authorizer.claims.sub`, each when a
//! non-empty string. **Refused**: 400 with `invalid_event` or `invalid_body` (only when the body is
//! flagged base64 and is not), the exact JSON error body, and the caller still read. **Complete**:
//! an event whose `httpMethod` is an HTTP token, `headers` and `multiValueHeaders` objects (or
//! absent), body a string (or absent), `isBase64Encoded` a boolean (or absent) and, when flagged, a
//! base64 body is always read (at most 24,576 distinct header names, far more than an input here
//! holds: more is `invalid_event`). **Outside the API**: replacing `queryStringParameters`,
//! `multiValueQueryStringParameters`, `pathParameters`, `stageVariables` and `requestContext.path`
//! with other values (raw spaces, quotes, `<`, wrong types), or `path` with a wrong type, never
//! changes the outcome (whether the event is read; method, headers, body, caller).

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_streamer::caller::Caller;
use bedrock_streamer::error::ApiError;
use bedrock_streamer::lambda::{self, Event, Refused};
use bedrock_streamer::service::{Invocation, Request};
use bedrock_streamer::stream::wire;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fuzz_target!(|data: &[u8]| {
    let result = lambda::request(Event::from_slice(data), Invocation::default());
    // What the event says, read independently of the handler (lossy UTF-8 as the runtime layer
    // does; serde_json stops after the first value, as lambda_runtime's reading does).
    let text = String::from_utf8_lossy(data);
    let value = serde_json::Deserializer::from_str(&text).into_iter::<Value>().next().and_then(Result::ok);
    let Some(Value::Object(event)) = &value else {
        assert!(matches!(&result, Err(refused) if refused.error.code() == "invalid_event"), "{result:?}");
        return;
    };
    if !rest(event) {
        // A Function URL event (the function_url_event target's): API Gateway names no caller.
        let caller = match &result {
            Ok(request) => &request.invocation.caller,
            Err(refused) => &refused.invocation.caller,
        };
        assert_eq!(caller, &Caller::default());
        return;
    }
    match &result {
        Ok(request) => {
            read(event, request);
            assert_eq!(request.invocation.caller, caller(event));
        }
        Err(refused) => {
            was_refused(&refused.error);
            assert_eq!(refused.invocation.caller, caller(event));
        }
    }
    if readable(event) {
        assert!(result.is_ok(), "a readable event was refused: {result:?}");
    }
    outside_the_api(event, &result);
});

/// Whether the function reads `event` as a REST proxy event (docs/api.md): no payload 2.0 field
/// (`rawPath`, `routeKey`, an object `requestContext.http`), and an `httpMethod` or `resource`.
fn rest(event: &Map<String, Value>) -> bool {
    let function_url = event.contains_key("rawPath")
        || event.contains_key("routeKey")
        || event.get("requestContext").and_then(|c| c.get("http")).is_some_and(Value::is_object);
    !function_url && (event.contains_key("httpMethod") || event.contains_key("resource"))
}

fn present<'a>(event: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    event.get(key).filter(|v| !v.is_null())
}

fn read(event: &Map<String, Value>, request: &Request) {
    assert_eq!(Some(request.method.as_str()), event.get("httpMethod").and_then(Value::as_str));
    let body = event.get("body").and_then(Value::as_str).unwrap_or("");
    if event.get("isBase64Encoded") == Some(&Value::Bool(true)) {
        assert_eq!(request.body.as_ref(), BASE64.decode(body).expect("a flagged body was base64").as_slice());
    } else {
        assert_eq!(request.body.as_ref(), body.as_bytes());
    }
    let path = event.get("path").and_then(Value::as_str);
    assert!(request.path == "/" || Some(request.path.as_str()) == path, "{:?} is neither / nor {path:?}", request.path);
    if path == Some("/chat") {
        assert_eq!(request.path, "/chat");
    }

    let multi = present(event, "multiValueHeaders").and_then(Value::as_object).cloned().unwrap_or_default();
    let single = present(event, "headers").and_then(Value::as_object).cloned().unwrap_or_default();
    let named = |headers: &Map<String, Value>, name: &str| -> Vec<Value> {
        headers.iter().filter(|(n, _)| n.to_ascii_lowercase() == name).map(|(_, v)| v.clone()).collect()
    };
    for (name, value) in &request.headers {
        let from_multi = named(&multi, name.as_str())
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .any(|v| v.as_str().map(str::as_bytes) == Some(value.as_bytes()));
        let from_single =
            named(&single, name.as_str()).iter().any(|v| v.as_str().map(str::as_bytes) == Some(value.as_bytes()));
        assert!(from_multi || from_single, "{name} was invented");
    }
    for (name, values) in &multi {
        for value in values.as_array().into_iter().flatten() {
            if carried(name, value) {
                let kept = request
                    .headers
                    .get_all(name.to_ascii_lowercase().as_str())
                    .iter()
                    .any(|v| v.as_bytes() == value.as_str().unwrap().as_bytes());
                assert!(kept, "{name}: {value} was lost");
            }
        }
    }
    for (name, value) in &single {
        if carried(name, value) {
            assert!(request.headers.contains_key(name.to_ascii_lowercase().as_str()), "{name} was lost");
        }
    }
}

/// Whether HTTP can carry a header of this name and (JSON) value.
fn carried(name: &str, value: &Value) -> bool {
    http::HeaderName::from_bytes(name.as_bytes()).is_ok()
        && value.as_str().is_some_and(|v| http::HeaderValue::from_str(v).is_ok())
}

fn caller(event: &Map<String, Value>) -> Caller {
    let text = |pointer: &str| {
        Value::Object(event.clone())
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Caller {
        api_key_id: text("/requestContext/identity/apiKeyId"),
        user_sub: text("/requestContext/authorizer/claims/sub"),
    }
}

fn was_refused(error: &ApiError) {
    assert_eq!(error.status().as_u16(), 400);
    assert!(matches!(error.code(), "invalid_event" | "invalid_body"), "{error:?}");
    let body: Value = serde_json::from_slice(&wire::error_body(None, error).1).expect("error bodies are JSON");
    assert_eq!(body, json!({"type": "error", "code": error.code(), "message": error.to_string()}));
}

/// An event every reading of docs/api.md's rules must accept.
fn readable(event: &Map<String, Value>) -> bool {
    let method = present(event, "httpMethod").and_then(Value::as_str);
    let flagged = present(event, "isBase64Encoded") == Some(&Value::Bool(true));
    method.is_some_and(|m| http::Method::from_bytes(m.as_bytes()).is_ok())
        && present(event, "headers").is_none_or(Value::is_object)
        && present(event, "multiValueHeaders").is_none_or(Value::is_object)
        && present(event, "isBase64Encoded").is_none_or(Value::is_boolean)
        && match present(event, "body") {
            None => true,
            Some(Value::String(body)) => !flagged || BASE64.decode(body).is_ok(),
            Some(_) => false,
        }
}

/// The same event with the fields the API does not read replaced keeps its outcome.
fn outside_the_api(event: &Map<String, Value>, result: &Result<Request, Box<Refused>>) {
    let mut changed = event.clone();
    changed.insert("queryStringParameters".into(), json!({"q": "a b&\"x\"=<y>"}));
    changed.insert("multiValueQueryStringParameters".into(), json!("not an object"));
    changed.insert("pathParameters".into(), json!([7]));
    changed.remove("stageVariables");
    changed.insert("path".into(), json!(7));
    if let Some(Value::Object(context)) = changed.get_mut("requestContext") {
        context.insert("path".into(), json!("/stage/a b"));
    }
    let again =
        lambda::request(Event::from_slice(Value::Object(changed).to_string().as_bytes()), Invocation::default());
    match (result, &again) {
        (Ok(first), Ok(second)) => assert_eq!(
            (&first.method, &first.headers, &first.body, &first.invocation.caller),
            (&second.method, &second.headers, &second.body, &second.invocation.caller)
        ),
        (Err(first), Err(second)) => assert_eq!(first.error.code(), second.error.code()),
        _ => panic!("fields outside the API changed the outcome: {result:?} then {again:?}"),
    }
}
