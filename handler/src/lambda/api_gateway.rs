//! An API Gateway REST API's Lambda proxy event (payload format 1.0) becomes the service's
//! [`Request`], by the same rules as a Function URL event ([`super::function_url`]): only what the
//! API uses is read, and nothing else in the event can fail a request.
//!
//! The event, as API Gateway developer guide, "Lambda proxy integrations in API Gateway", "Input
//! format of a Lambda function for proxy integration" documents it (read 2026-12-07): `resource`,
//! `path`, `httpMethod`, `headers` (single-value), `multiValueHeaders` (every value),
//! `queryStringParameters`, `multiValueQueryStringParameters`, `pathParameters`, `stageVariables`,
//! `requestContext`, `body`, `isBase64Encoded`. Its example: `POST /testStage/hello/world?name=me`
//! on a `/{proxy+}` resource arrives as `"path": "/hello/world"`, without the stage, which is what
//! the routes read (`requestContext.path` keeps the stage and is not read). Headers, the body and
//! the query may each be `null`: an event captured from an API Gateway console test has
//! `"headers": null`, `"multiValueHeaders": null` and `"body": null` (a third-party capture,
//! blog.daringkoala.com, "AWS API Gateway REST Lambda Integration Payloads", read 2026-12-07).
//!
//! The caller: with an API key required, `requestContext.identity.apiKeyId`; with a
//! `COGNITO_USER_POOLS` authorizer, the ID token's claims as `requestContext.authorizer.claims`
//! (same page).
//!
//! Streamed (`responseTransferMode: STREAM`, the function invoked with InvokeWithResponseStream),
//! the event is the same, and the answer is the same as a Function URL's: a JSON prelude
//! (`statusCode`, `headers`, `cookies`), 8 NUL bytes, the body (API Gateway developer guide, "Set
//! up a Lambda proxy integration with payload response streaming in API Gateway", read 2026-12-07).

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::lambda::{append, body, carried, field, method, route_path, wrong_type};
use crate::service::{Invocation, Request};

/// The request an event's `fields` describe, in `invocation`. Reads `httpMethod`,
/// `multiValueHeaders` and `headers`, `body`, `isBase64Encoded` and `path` (for the routes; a path
/// that is not a valid URI path is read as `/`), nothing else: the query string, path parameters,
/// stage variables and the request context are not part of the API, so whatever they hold cannot
/// fail a request.
///
/// Headers: every value of `multiValueHeaders`, then each of `headers` whose name is not there yet
/// (the two usually repeat each other; `headers` holds only one value of a repeated header). Those
/// HTTP cannot carry (a name that is not a token, a value that is not a string or holds control
/// characters) are dropped, as a server would never have received them.
///
/// Errors (both 400): [`ApiError::InvalidEvent`] when the event has no `httpMethod`, or one of the
/// fields above has the wrong JSON type (`null` counts as absent), or its headers have more than 24,576
/// distinct names (more than http's `HeaderMap` holds); [`ApiError::InvalidBody`] when
/// `isBase64Encoded` is true and the body is not standard base64.
pub fn request(fields: &Map<String, Value>, invocation: &Invocation) -> Result<Request, ApiError> {
    let method = method(fields, &["httpMethod"], "httpMethod")?;
    let mut headers = match field(fields, &["multiValueHeaders"]) {
        None => HeaderMap::new(),
        Some(Value::Object(headers)) => every_value(headers)?,
        Some(other) => return Err(wrong_type("multiValueHeaders", "an object", other)),
    };
    match field(fields, &["headers"]) {
        None => {}
        Some(Value::Object(single)) => {
            for (name, value) in carried(single) {
                if !headers.contains_key(&name) {
                    append(&mut headers, name, value)?;
                }
            }
        }
        Some(other) => return Err(wrong_type("headers", "an object", other)),
    }
    let body = body(fields)?;
    let path = route_path(fields, &["path"]);
    Ok(Request { invocation: invocation.clone(), method, path, headers, body })
}

/// The caller API Gateway authenticated: `requestContext.identity.apiKeyId` and
/// `requestContext.authorizer.claims.sub`, each when it is a non-empty string. Never fails: a
/// caller API Gateway did not name is no reason to refuse a request the gateway let through.
pub fn caller(fields: &Map<String, Value>) -> Caller {
    let text = |path: &[&str]| field(fields, path).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    Caller {
        api_key_id: text(&["requestContext", "identity", "apiKeyId"]),
        user_sub: text(&["requestContext", "authorizer", "claims", "sub"]),
    }
}

/// Every string value of every header HTTP can carry, in order.
fn every_value(headers: &Map<String, Value>) -> Result<HeaderMap, ApiError> {
    let mut map = HeaderMap::new();
    for (name, values) in headers {
        let (Ok(name), Some(values)) = (HeaderName::from_bytes(name.as_bytes()), values.as_array()) else {
            continue;
        };
        for value in values.iter().filter_map(Value::as_str) {
            if let Ok(value) = HeaderValue::from_str(value) {
                append(&mut map, name.clone(), value)?;
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use http::Method;
    use serde_json::json;

    use super::*;
    use crate::lambda::{Event, Kind};

    /// AWS's documented example event (tests/fixtures/api-gateway/README.md).
    const AWS_EXAMPLE: &str = include_str!("../../tests/fixtures/api-gateway/aws-docs-proxy-event.json");
    const API_KEY: &str = include_str!("../../tests/fixtures/api-gateway/api-key-event.json");
    const COGNITO: &str = include_str!("../../tests/fixtures/api-gateway/cognito-event.json");

    fn fixture(text: &str, changes: Value) -> Value {
        let mut event: Value = serde_json::from_str(text).unwrap();
        let fields = event.as_object_mut().unwrap();
        for (key, value) in changes.as_object().unwrap() {
            fields.insert(key.clone(), value.clone());
        }
        event
    }

    /// Through the Lambda layer's entry, as the runtime calls it.
    fn read(event: Value) -> Result<Request, ApiError> {
        crate::lambda::request(Event::from_slice(event.to_string().as_bytes()), Invocation::default())
            .map_err(|refused| refused.error)
    }

    #[test]
    fn aws_s_documented_example_is_read_without_its_stage() {
        let event = fixture(AWS_EXAMPLE, json!({}));
        assert_eq!(Kind::of(event.as_object().unwrap()), Kind::ApiGatewayRest);
        let request = read(event).unwrap();
        assert_eq!((&request.method, request.path.as_str()), (&Method::POST, "/hello/world"));
        assert_eq!(request.body.as_ref(), b"{\r\n\t\"a\": 1\r\n}");
        assert_eq!(request.headers["accept"], "*/*");
        assert_eq!(request.headers["headername"], "headerValue");
        assert_eq!(request.headers.get_all("content-type").iter().count(), 1, "the two header maps are one");
        assert_eq!(request.invocation.caller, Caller::default(), "no authorization, no caller");
    }

    #[test]
    fn the_caller_is_the_api_key_id_or_the_cognito_sub_never_the_key() {
        let with_key = crate::lambda::request(Event::from_slice(API_KEY.as_bytes()), Invocation::default()).unwrap();
        assert_eq!(with_key.invocation.caller, Caller { api_key_id: Some("a1b2c3d4e5".into()), user_sub: None });
        assert_eq!((with_key.path.as_str(), with_key.body.as_ref()), ("/", br#"{"storyType":"CATS"}"#.as_slice()));

        let signed_in = crate::lambda::request(Event::from_slice(COGNITO.as_bytes()), Invocation::default()).unwrap();
        let sub = "3f1c9a6e-8b2d-4d7a-9e4f-0a1b2c3d4e5f";
        assert_eq!(signed_in.invocation.caller, Caller { api_key_id: None, user_sub: Some(sub.into()) });
        assert_eq!(signed_in.path, "/chat");
    }

    #[test]
    fn a_caller_of_the_wrong_shape_is_no_caller_and_no_refusal() {
        for context in [
            json!({"identity": {"apiKeyId": 7}, "authorizer": {"claims": "sub"}}),
            json!({"identity": {"apiKeyId": ""}, "authorizer": {"claims": {"sub": null}}}),
            json!({"identity": null, "authorizer": []}),
            json!("not an object"),
        ] {
            let request = read(fixture(API_KEY, json!({ "requestContext": context }))).unwrap();
            assert_eq!(request.invocation.caller, Caller::default(), "{context}");
        }
    }

    #[test]
    fn every_value_of_a_repeated_header_is_kept_and_single_headers_fill_in() {
        let event = fixture(
            AWS_EXAMPLE,
            json!({
                "multiValueHeaders": {"Accept": ["text/plain", "application/json"], "X-Odd": "not a list", "X-N": [1, "kept"]},
                "headers": {"Accept": "application/json", "X-Odd": "from headers", "Last-Event-ID": "end", "bad name": "x"},
            }),
        );
        let request = read(event).unwrap();
        let accept: Vec<_> = request.headers.get_all("accept").iter().collect();
        assert_eq!(accept, ["text/plain", "application/json"]);
        assert_eq!(request.headers["x-odd"], "from headers");
        assert_eq!(request.headers["x-n"], "kept");
        assert_eq!(request.headers["last-event-id"], "end");
        assert!(!request.headers.contains_key("bad name"));
    }

    #[test]
    fn nulls_read_as_absent_as_an_api_gateway_console_test_sends_them() {
        let event = fixture(
            AWS_EXAMPLE,
            json!({"headers": null, "multiValueHeaders": null, "body": null, "queryStringParameters": null}),
        );
        let request = read(event).unwrap();
        assert!(request.headers.is_empty() && request.body.is_empty());
    }

    #[test]
    fn fields_outside_the_api_cannot_fail_a_request() {
        for extra in [
            json!({"queryStringParameters": "q=a b", "multiValueQueryStringParameters": [1]}),
            json!({"pathParameters": 7, "stageVariables": "x", "resource": null}),
            json!({"requestContext": {"path": {"odd": true}, "stage": 1}}),
            json!({"path": "/a b"}),
            json!({"path": 42}),
        ] {
            let request = read(fixture(AWS_EXAMPLE, extra.clone()));
            assert!(request.is_ok(), "{extra}: {request:?}");
        }
        assert_eq!(read(fixture(AWS_EXAMPLE, json!({"path": "/a b"}))).unwrap().path, "/", "not a URI path");
    }

    #[test]
    fn an_event_that_is_not_a_rest_proxy_request_is_a_400_naming_the_problem() {
        for (changes, code, problem) in [
            (json!({"httpMethod": null}), "invalid_event", "httpMethod is missing"),
            (json!({"httpMethod": 1}), "invalid_event", "httpMethod must be a string"),
            (json!({"httpMethod": "PO ST"}), "invalid_event", "httpMethod is not an HTTP method"),
            (json!({"headers": ["accept"]}), "invalid_event", "headers must be an object"),
            (json!({"multiValueHeaders": "accept: */*"}), "invalid_event", "multiValueHeaders must be an object"),
            (json!({"body": {"storyType": "CATS"}}), "invalid_event", "body must be a string"),
            (json!({"isBase64Encoded": "false"}), "invalid_event", "isBase64Encoded must be true or false"),
            (json!({"isBase64Encoded": true}), "invalid_body", "not valid base64"),
        ] {
            let refused = read(fixture(AWS_EXAMPLE, changes.clone())).unwrap_err();
            assert_eq!((refused.status().as_u16(), refused.code()), (400, code), "{changes}");
            assert!(refused.to_string().contains(problem), "{changes}: {refused}");
        }
    }

    #[test]
    fn a_refused_event_still_names_its_caller() {
        let event = fixture(API_KEY, json!({"isBase64Encoded": true}));
        let refused =
            crate::lambda::request(Event::from_slice(event.to_string().as_bytes()), Invocation::default()).unwrap_err();
        assert_eq!(refused.error.code(), "invalid_body");
        assert_eq!(refused.invocation.caller.api_key_id.as_deref(), Some("a1b2c3d4e5"));
    }
}
