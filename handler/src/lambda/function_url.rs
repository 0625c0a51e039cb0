//! The Function URL's side of an invocation: the raw event Lambda delivers (payload format 2.0)
//! becomes the [`Request`] the handler reads, and the handler's response becomes lambda_runtime's
//! streamed response (JSON prelude with status and headers, then the body's chunks).
//!
//! Why our own conversion and not lambda_http's: lambda_http 1.3 turns the event into an
//! `http::Request` with `.expect` calls, so an event it cannot convert panics or fails before any
//! handler runs, and the caller gets the Function URL's bare 502 with no JSON body and no summary
//! line. Seen from CloudFront-fronted URLs: a raw space, `"` or `<` in `rawQueryString` (the URI
//! builder rejects it), and `isBase64Encoded: true` with a body that is not base64. Its event type
//! (aws_lambda_events' `ApiGatewayV2httpRequest`) also fails to deserialize on fields this function
//! never reads (a wrong type in `cookies`, a missing `requestContext`), which ends the invocation
//! as an error too. This module reads only what the API uses (method, path, headers, body) and cannot
//! fail: whatever Lambda hands over, the handler answers, with a JSON error at worst.
//!
//! Function URL event fields: Lambda developer guide, "Invoking Lambda function URLs", request
//! payload format (read 2026-11-29).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, header};
use http_body_util::BodyDataStream;
use lambda_runtime::{Context, MetadataPrelude, StreamResponse};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::request::kind;

/// A Function URL request as the handler sees it: method, headers and the decoded body bytes,
/// with the invocation's [`Context`] (request id, deadline) in its extensions when Lambda sent one.
pub type Request = http::Request<Bytes>;

/// A Function URL event as lambda_runtime hands it to the handler: the JSON value, or why the
/// bytes are not JSON. Deserializing it never fails, so lambda_runtime never answers an
/// invocation on the handler's behalf (with an error the caller sees as a bare 502).
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
}

/// Event bytes that are not UTF-8, with each invalid sequence replaced by U+FFFD. Lambda's events
/// are JSON text and always UTF-8; lambda_runtime 1.5 drops an invocation whose bytes are not
/// before the handler runs, leaving it unanswered until Lambda's timeout, so the runtime layer
/// (`runtime.rs`) passes every event through this first.
pub fn utf8_lossy(raw: Bytes) -> Bytes {
    match String::from_utf8_lossy(&raw) {
        std::borrow::Cow::Borrowed(_) => raw,
        std::borrow::Cow::Owned(fixed) => Bytes::from(fixed),
    }
}

/// The request an event describes. Reads `requestContext.http.method`, `headers`, `body`,
/// `isBase64Encoded` and `rawPath` (for the routes: `GET /` the page, `GET /models` the listing;
/// a path that is not a valid URI path is read as `/`), nothing else: the query string, cookies and the rest of the request
/// context are not part of the API, so whatever they hold cannot fail a request.
///
/// Headers HTTP cannot carry (a name that is not a token, a value that is not a string or holds
/// control characters) are dropped, as a server would never have received them.
///
/// Errors (both 400): [`ApiError::InvalidEvent`] when the event is not JSON, has no method, or one
/// of the fields above has the wrong JSON type (`null` counts as absent); [`ApiError::InvalidBody`]
/// when `isBase64Encoded` is true and the body is not standard base64.
pub fn request(event: Event, context: Option<Context>) -> Result<Request, ApiError> {
    let event = event.0.map_err(|e| ApiError::InvalidEvent(format!("the event is not JSON: {e}")))?;
    let Value::Object(fields) = event else {
        return Err(ApiError::InvalidEvent(format!("the event is {}, not an object", kind(&event))));
    };
    let method = match event_field(&fields, &["requestContext", "http", "method"]) {
        Some(Value::String(method)) => Method::from_bytes(method.as_bytes())
            .map_err(|_| ApiError::InvalidEvent("requestContext.http.method is not an HTTP method".into()))?,
        Some(other) => return Err(wrong_type("requestContext.http.method", "a string", other)),
        None => return Err(ApiError::InvalidEvent("requestContext.http.method is missing".into())),
    };
    let headers = match event_field(&fields, &["headers"]) {
        None => HeaderMap::new(),
        Some(Value::Object(headers)) => carried(headers),
        Some(other) => return Err(wrong_type("headers", "an object", other)),
    };
    let base64 = match event_field(&fields, &["isBase64Encoded"]) {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => return Err(wrong_type("isBase64Encoded", "true or false", other)),
    };
    let body = match event_field(&fields, &["body"]) {
        None => Bytes::new(),
        Some(Value::String(body)) if base64 => BASE64.decode(body).map(Bytes::from).map_err(|e| {
            ApiError::InvalidBody(format!("the body is marked base64-encoded but is not valid base64 ({e})"))
        })?,
        Some(Value::String(body)) => Bytes::copy_from_slice(body.as_bytes()),
        Some(other) => return Err(wrong_type("body", "a string", other)),
    };

    let mut request = Request::new(body);
    *request.method_mut() = method;
    if let Some(path) = event_field(&fields, &["rawPath"]).and_then(Value::as_str)
        && let Ok(path) = http::uri::PathAndQuery::try_from(path)
        && path.query().is_none()
    {
        *request.uri_mut() = path.into();
    }
    *request.headers_mut() = headers;
    if let Some(context) = context {
        request.extensions_mut().insert(context);
    }
    Ok(request)
}

/// The handler's response as lambda_runtime streams it: status and headers go in the prelude
/// (`Set-Cookie` headers as its `cookies`, which is how Function URLs set cookies), then the
/// body's data frames, each sent as it is produced.
pub fn response<B: http_body::Body>(response: Response<B>) -> StreamResponse<BodyDataStream<B>> {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|cookie| String::from_utf8_lossy(cookie.as_bytes()).into_owned())
        .collect();
    headers.remove(header::SET_COOKIE);
    StreamResponse {
        metadata_prelude: MetadataPrelude { status_code: parts.status, headers, cookies },
        stream: BodyDataStream::new(body),
    }
}

/// The value at `path`, with `null` read as absent.
fn event_field<'a>(fields: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = fields.get(*first)?;
    for key in rest {
        value = value.as_object()?.get(*key)?;
    }
    (!value.is_null()).then_some(value)
}

fn carried(headers: &Map<String, Value>) -> HeaderMap {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
            let value = HeaderValue::from_str(value.as_str()?).ok()?;
            Some((name, value))
        })
        .collect()
}

fn wrong_type(field: &str, expected: &str, got: &Value) -> ApiError {
    ApiError::InvalidEvent(format!("{field} must be {expected}, not {}", kind(got)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: Value) -> Event {
        Event::from_slice(value.to_string().as_bytes())
    }

    fn post(extra: Value) -> Value {
        let mut event = json!({
            "version": "2.0",
            "rawPath": "/",
            "rawQueryString": "",
            "headers": {"accept": "text/plain", "content-type": "application/json"},
            "requestContext": {"http": {"method": "POST", "path": "/"}},
            "body": r#"{"storyType":"CATS"}"#,
            "isBase64Encoded": false,
        });
        event.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        event
    }

    #[test]
    fn a_function_url_event_becomes_the_request_it_describes() {
        let mut context = Context::default();
        context.request_id = "abc".into();
        let request = request(event(post(json!({}))), Some(context)).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()["accept"], "text/plain");
        assert_eq!(request.body().as_ref(), br#"{"storyType":"CATS"}"#);
        assert_eq!(request.extensions().get::<Context>().unwrap().request_id, "abc");
    }

    #[test]
    fn a_base64_body_is_decoded_and_a_body_that_is_not_base64_is_a_400() {
        let encoded = BASE64.encode(br#"{"storyType":"CATS"}"#);
        let request = request(event(post(json!({"body": encoded, "isBase64Encoded": true}))), None).unwrap();
        assert_eq!(request.body().as_ref(), br#"{"storyType":"CATS"}"#);

        let refused = super::request(event(post(json!({"isBase64Encoded": true}))), None).unwrap_err();
        assert_eq!((refused.status().as_u16(), refused.code()), (400, "invalid_body"));
        assert!(refused.to_string().contains("not valid base64"), "{refused}");
    }

    #[test]
    fn the_path_is_read_for_the_routes_and_an_odd_one_is_the_root() {
        let get = |path: Value| request(event(post(json!({"rawPath": path}))), None).unwrap().uri().path().to_owned();
        assert_eq!(get(json!("/models")), "/models");
        assert_eq!(get(json!("/a b")), "/", "not a URI path");
        assert_eq!(get(json!(42)), "/");
    }

    #[test]
    fn fields_outside_the_api_cannot_fail_a_request() {
        for extra in [
            json!({"rawQueryString": "q=a b"}),
            json!({"rawQueryString": "q=\"<script>"}),
            json!({"rawPath": 42, "cookies": "not a list", "queryStringParameters": [1]}),
            json!({"requestContext": {"http": {"method": "POST"}, "domainName": {"odd": true}}}),
        ] {
            let request = request(event(post(extra.clone())), None);
            assert!(request.is_ok(), "{extra}: {request:?}");
        }
    }

    #[test]
    fn headers_http_cannot_carry_are_dropped() {
        let headers =
            json!({"accept": "text/plain", "bad name": "x", "x-number": 5, "x-newline": "a\nb", "X-Upper": "kept"});
        let request = request(event(post(json!({ "headers": headers }))), None).unwrap();
        let mut names: Vec<_> = request.headers().keys().map(HeaderName::as_str).collect();
        names.sort();
        assert_eq!(names, ["accept", "x-upper"]);
    }

    #[test]
    fn an_event_that_is_not_a_function_url_request_is_a_400_naming_the_problem() {
        for (raw, problem) in [
            (b"not json".to_vec(), "the event is not JSON"),
            (b"[1,2]".to_vec(), "the event is an array"),
            (json!({"body": "{}"}).to_string().into_bytes(), "requestContext.http.method is missing"),
            (
                post(json!({"requestContext": {"http": {"method": "PO ST"}}})).to_string().into_bytes(),
                "not an HTTP method",
            ),
            (post(json!({"requestContext": {"http": {"method": 1}}})).to_string().into_bytes(), "must be a string"),
            (post(json!({"headers": "accept: text/plain"})).to_string().into_bytes(), "headers must be an object"),
            (post(json!({"body": {"storyType": "CATS"}})).to_string().into_bytes(), "body must be a string"),
            (
                post(json!({"isBase64Encoded": "true"})).to_string().into_bytes(),
                "isBase64Encoded must be true or false",
            ),
        ] {
            let refused = request(Event::from_slice(&raw), None).unwrap_err();
            assert_eq!((refused.status().as_u16(), refused.code()), (400, "invalid_event"));
            assert!(refused.to_string().contains(problem), "{refused}");
        }
    }

    #[test]
    fn event_bytes_that_are_not_utf8_are_read_with_replacement_characters() {
        let mut raw = post(json!({})).to_string().into_bytes();
        let at = raw.windows(4).position(|w| w == b"CATS").unwrap();
        raw[at] = 0xff;
        let request = request(Event::from_slice(&raw), None).unwrap();
        assert_eq!(request.body().as_ref(), "{\"storyType\":\"\u{fffd}ATS\"}".as_bytes());
    }

    #[test]
    fn set_cookie_headers_travel_in_the_prelude_as_cookies() {
        let response = Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .header("set-cookie", "a=1")
            .body(http_body_util::Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let streamed = super::response(response);
        let prelude = streamed.metadata_prelude;
        assert_eq!((prelude.status_code.as_u16(), prelude.cookies), (201, vec!["a=1".to_owned()]));
        assert!(prelude.headers.get("set-cookie").is_none());
        assert_eq!(prelude.headers["content-type"], "application/json");
    }
}
