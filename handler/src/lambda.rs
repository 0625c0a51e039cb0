//! The Lambda layer: the runtime loop that polls the Runtime API and streams each answer back
//! ([`runtime`]), and the conversion of the event Lambda delivers into the one [`Request`] value
//! the service reads ([`request`]).
//!
//! The seam for event sources: a module per kind of event, each with one function
//! `request(&fields, &Invocation) -> Result<Request, ApiError>` that reads only what the API uses
//! and cannot fail otherwise: Function URL events (payload format 2.0, [`function_url`]) and API
//! Gateway REST proxy events (payload format 1.0, [`api_gateway`]). [`request`] decides which kind
//! an event is, once, by its shape; the service never sees the event.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::request::kind;
use crate::service::{Invocation, Request};

pub mod api_gateway;
pub mod function_url;
pub mod runtime;

/// The kinds of event the function reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Function URL's event (payload format 2.0): `requestContext.http.method`, `rawPath`.
    FunctionUrl,
    /// An API Gateway REST API's Lambda proxy event (payload format 1.0): `httpMethod`, `path`,
    /// `resource`.
    ApiGatewayRest,
}

impl Kind {
    /// The kind of an event. A Function URL event when it has a field only payload format 2.0 has
    /// (`rawPath`, `routeKey`, or an object `requestContext.http`); otherwise a REST proxy event
    /// when it has a top-level `httpMethod` or `resource` (whatever their values); otherwise a
    /// Function URL event, whose missing method is then the refusal. The 2.0 fields come first
    /// because `cargo lambda watch` (cargo-lambda 1.9) sends Function URL events serialized from
    /// aws_lambda_events' `ApiGatewayV2httpRequest`, which adds `"httpMethod": "GET"` and
    /// `"resource"` beside them. Sources: Lambda developer guide, "Invoking Lambda function URLs",
    /// request payload format (read 2026-11-29); API Gateway developer guide, "Lambda proxy
    /// integrations in API Gateway", input format (read 2026-12-07).
    pub fn of(fields: &Map<String, Value>) -> Kind {
        let function_url = fields.contains_key("rawPath")
            || fields.contains_key("routeKey")
            || field(fields, &["requestContext", "http"]).is_some_and(Value::is_object);
        if !function_url && (fields.contains_key("httpMethod") || fields.contains_key("resource")) {
            Kind::ApiGatewayRest
        } else {
            Kind::FunctionUrl
        }
    }
}

/// An event the function cannot read as a request: why (a 400), and the invocation it came in
/// (with the caller, when the event named one), for the refusal's summary line. Boxed where it is
/// returned: an `ApiError` is large, and a refusal is the rare way out.
#[derive(Debug)]
pub struct Refused {
    pub error: ApiError,
    pub invocation: Invocation,
}

/// The request `event` describes, in `invocation`, whichever [`Kind`] of event it is. An API
/// Gateway event's caller ([`api_gateway::caller`]) is read first, so a refusal names it too.
///
/// Errors (400): `invalid_event` when the event is not JSON, not an object, or not a request of
/// its kind (see each kind's `request`); `invalid_body` when its body is flagged base64 and is not.
pub fn request(event: Event, mut invocation: Invocation) -> Result<Request, Box<Refused>> {
    let fields = match event.into_json() {
        Ok(Value::Object(fields)) => fields,
        Ok(other) => {
            let error = ApiError::InvalidEvent(format!("the event is {}, not an object", kind(&other)));
            return Err(Box::new(Refused { error, invocation }));
        }
        Err(e) => {
            let error = ApiError::InvalidEvent(format!("the event is not JSON: {e}"));
            return Err(Box::new(Refused { error, invocation }));
        }
    };
    let read = match Kind::of(&fields) {
        Kind::FunctionUrl => function_url::request(&fields, &invocation),
        Kind::ApiGatewayRest => {
            invocation.caller = api_gateway::caller(&fields);
            api_gateway::request(&fields, &invocation)
        }
    };
    read.map_err(|error| Box::new(Refused { error, invocation }))
}

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

/// The value at `path`, with `null` read as absent.
fn field<'a>(fields: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = fields.get(*first)?;
    for key in rest {
        value = value.as_object()?.get(*key)?;
    }
    (!value.is_null()).then_some(value)
}

/// The method at `path` (named `name` in messages): a string that is an HTTP token.
fn method(fields: &Map<String, Value>, path: &[&str], name: &str) -> Result<Method, ApiError> {
    match field(fields, path) {
        Some(Value::String(method)) => Method::from_bytes(method.as_bytes())
            .map_err(|_| ApiError::InvalidEvent(format!("{name} is not an HTTP method"))),
        Some(other) => Err(wrong_type(name, "a string", other)),
        None => Err(ApiError::InvalidEvent(format!("{name} is missing"))),
    }
}

/// The event's `body` as bytes: base64-decoded when `isBase64Encoded` is true, empty when absent.
fn body(fields: &Map<String, Value>) -> Result<Bytes, ApiError> {
    let base64 = match field(fields, &["isBase64Encoded"]) {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => return Err(wrong_type("isBase64Encoded", "true or false", other)),
    };
    match field(fields, &["body"]) {
        None => Ok(Bytes::new()),
        Some(Value::String(body)) if base64 => BASE64.decode(body).map(Bytes::from).map_err(|e| {
            ApiError::InvalidBody(format!("the body is marked base64-encoded but is not valid base64 ({e})"))
        }),
        Some(Value::String(body)) => Ok(Bytes::copy_from_slice(body.as_bytes())),
        Some(other) => Err(wrong_type("body", "a string", other)),
    }
}

/// The headers of an object of single values that HTTP can carry: a name that is a token, a value
/// that is a string without control characters; the others are dropped, as a server would never
/// have received them.
fn carried(headers: &Map<String, Value>) -> impl Iterator<Item = (HeaderName, HeaderValue)> + '_ {
    headers.iter().filter_map(|(name, value)| {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = HeaderValue::from_str(value.as_str()?).ok()?;
        Some((name, value))
    })
}

/// Appends `value` under `name`. `HeaderMap` holds at most 24,576 distinct names and panics past
/// them (http 1.x, `MAX_SIZE`), which an event from a direct invoker can reach (a Function URL or
/// API Gateway caller cannot: both cap a request's headers at kilobytes): such an event is refused
/// instead of ending the invocation as a bare Lambda error.
///
/// Errors: [`ApiError::InvalidEvent`] past the limit.
fn append(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) -> Result<(), ApiError> {
    headers
        .try_append(name, value)
        .map(drop)
        .map_err(|_| ApiError::InvalidEvent(format!("the headers have more than {} distinct names", headers.len())))
}

/// The path at `path` for the routes: `/` when it is absent or not a URI path without a query.
fn route_path(fields: &Map<String, Value>, path: &[&str]) -> String {
    field(fields, path)
        .and_then(Value::as_str)
        .and_then(|path| http::uri::PathAndQuery::try_from(path).ok())
        .filter(|path| path.query().is_none())
        .map_or_else(|| "/".to_owned(), |path| path.path().to_owned())
}

fn wrong_type(field: &str, expected: &str, got: &Value) -> ApiError {
    ApiError::InvalidEvent(format!("{field} must be {expected}, not {}", kind(got)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kind(event: Value) -> Kind {
        Kind::of(event.as_object().unwrap())
    }

    #[test]
    fn the_kind_is_decided_by_the_fields_only_a_rest_proxy_event_has() {
        let function_url = json!({"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": "POST"}}});
        assert_eq!(kind(function_url), Kind::FunctionUrl);
        assert_eq!(kind(json!({"version": "1.0", "rawPath": null})), Kind::FunctionUrl, "version is not read");
        assert_eq!(kind(json!({})), Kind::FunctionUrl);
        assert_eq!(kind(json!({"httpMethod": "POST", "path": "/"})), Kind::ApiGatewayRest);
        assert_eq!(kind(json!({"resource": "/{proxy+}"})), Kind::ApiGatewayRest, "its method missing is its error");
        assert_eq!(kind(json!({"httpMethod": null})), Kind::ApiGatewayRest);
        assert_eq!(kind(json!({"httpMethod": "GET", "requestContext": {"http": 7}})), Kind::ApiGatewayRest);
    }

    #[test]
    fn an_event_with_payload_2_0_fields_is_a_function_url_event_whatever_else_it_has() {
        // As `cargo lambda watch` sends a Function URL request: 2.0 fields, plus aws_lambda_events'
        // `httpMethod` (always GET) and `resource`.
        let watch = json!({
            "httpMethod": "GET", "resource": null, "version": "2.0", "routeKey": "$default", "rawPath": "/",
            "requestContext": {"http": {"method": "POST"}}, "body": "{}"
        });
        assert_eq!(kind(watch.clone()), Kind::FunctionUrl);
        let read = request(Event::from_slice(watch.to_string().as_bytes()), Invocation::default()).unwrap();
        assert_eq!(read.method, http::Method::POST);
        for marker in [json!({"rawPath": 1}), json!({"routeKey": null}), json!({"requestContext": {"http": {}}})] {
            let mut event = json!({"httpMethod": "POST", "resource": "/"});
            event.as_object_mut().unwrap().extend(marker.as_object().unwrap().clone());
            assert_eq!(kind(event), Kind::FunctionUrl, "{marker}");
        }
    }

    #[test]
    fn an_event_of_neither_kind_is_refused_with_its_invocation() {
        for (raw, problem) in [
            (&b"not json"[..], "the event is not JSON"),
            (b"[1,2]", "the event is an array, not an object"),
            (b"{}", "requestContext.http.method is missing"),
            (br#"{"resource":"/"}"#, "httpMethod is missing"),
        ] {
            let invocation = Invocation { request_id: "r-9".into(), ..Invocation::default() };
            let refused = request(Event::from_slice(raw), invocation).unwrap_err();
            assert_eq!((refused.error.code(), refused.invocation.request_id.as_str()), ("invalid_event", "r-9"));
            assert!(refused.error.to_string().contains(problem), "{}", refused.error);
        }
    }
}
