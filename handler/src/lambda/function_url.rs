//! A Function URL event (payload format 2.0) becomes the service's [`Request`].
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

use http::HeaderMap;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::lambda::{append, body, carried, field, method, route_path, wrong_type};
use crate::service::{Invocation, Request};

/// The request an event's `fields` describe, in `invocation`. Reads `requestContext.http.method`,
/// `headers`, `body`, `isBase64Encoded` and `rawPath` (for the routes; a path that is not a valid
/// URI path is read as `/`), nothing else: the query string, cookies and the rest of the request
/// context are not part of the API, so whatever they hold cannot fail a request.
///
/// Headers HTTP cannot carry (a name that is not a token, a value that is not a string or holds
/// control characters) are dropped, as a server would never have received them.
///
/// Errors (both 400): [`ApiError::InvalidEvent`] when the event has no method, or one of the fields
/// above has the wrong JSON type (`null` counts as absent), or its headers have more than 24,576
/// distinct names (more than http's `HeaderMap` holds); [`ApiError::InvalidBody`] when
/// `isBase64Encoded` is true and the body is not standard base64.
pub fn request(fields: &Map<String, Value>, invocation: &Invocation) -> Result<Request, ApiError> {
    let method = method(fields, &["requestContext", "http", "method"], "requestContext.http.method")?;
    let mut headers = HeaderMap::new();
    match field(fields, &["headers"]) {
        None => {}
        Some(Value::Object(single)) => {
            for (name, value) in carried(single) {
                append(&mut headers, name, value)?;
            }
        }
        Some(other) => return Err(wrong_type("headers", "an object", other)),
    }
    let body = body(fields)?;
    let path = route_path(fields, &["rawPath"]);
    Ok(Request { invocation: invocation.clone(), method, path, headers, body })
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use http::{HeaderName, Method};
    use serde_json::json;

    use super::*;
    use crate::lambda::Event;

    fn event(value: Value) -> Event {
        Event::from_slice(value.to_string().as_bytes())
    }

    /// Through the Lambda layer's entry, as the runtime calls it.
    fn request(event: Event, invocation: Invocation) -> Result<Request, ApiError> {
        crate::lambda::request(event, invocation).map_err(|refused| refused.error)
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
        let invocation =
            Invocation { request_id: "abc".into(), deadline_ms: Some(1_700_000_000_000), ..Invocation::default() };
        let request = request(event(post(json!({}))), invocation.clone()).unwrap();
        assert_eq!((&request.method, request.path.as_str()), (&Method::POST, "/"));
        assert_eq!(request.headers["accept"], "text/plain");
        assert_eq!(request.body.as_ref(), br#"{"storyType":"CATS"}"#);
        assert_eq!(request.invocation, invocation);
    }

    #[test]
    fn a_base64_body_is_decoded_and_a_body_that_is_not_base64_is_a_400() {
        let encoded = BASE64.encode(br#"{"storyType":"CATS"}"#);
        let decoded =
            request(event(post(json!({"body": encoded, "isBase64Encoded": true}))), Invocation::default()).unwrap();
        assert_eq!(decoded.body.as_ref(), br#"{"storyType":"CATS"}"#);

        let refused = request(event(post(json!({"isBase64Encoded": true}))), Invocation::default()).unwrap_err();
        assert_eq!((refused.status().as_u16(), refused.code()), (400, "invalid_body"));
        assert!(refused.to_string().contains("not valid base64"), "{refused}");
    }

    #[test]
    fn the_path_is_read_for_the_routes_and_an_odd_one_is_the_root() {
        let get = |path: Value| request(event(post(json!({"rawPath": path}))), Invocation::default()).unwrap().path;
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
            let request = request(event(post(extra.clone())), Invocation::default());
            assert!(request.is_ok(), "{extra}: {request:?}");
        }
    }

    #[test]
    fn headers_http_cannot_carry_are_dropped() {
        let headers =
            json!({"accept": "text/plain", "bad name": "x", "x-number": 5, "x-newline": "a\nb", "X-Upper": "kept"});
        let request = request(event(post(json!({ "headers": headers }))), Invocation::default()).unwrap();
        let mut names: Vec<_> = request.headers.keys().map(HeaderName::as_str).collect();
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
            let refused = request(Event::from_slice(&raw), Invocation::default()).unwrap_err();
            assert_eq!((refused.status().as_u16(), refused.code()), (400, "invalid_event"));
            assert!(refused.to_string().contains(problem), "{refused}");
        }
    }

    #[test]
    fn event_bytes_that_are_not_utf8_are_read_with_replacement_characters() {
        let mut raw = post(json!({})).to_string().into_bytes();
        let at = raw.windows(4).position(|w| w == b"CATS").unwrap();
        raw[at] = 0xff;
        let request = request(Event::from_slice(&raw), Invocation::default()).unwrap();
        assert_eq!(request.body.as_ref(), "{\"storyType\":\"\u{fffd}ATS\"}".as_bytes());
    }
}
