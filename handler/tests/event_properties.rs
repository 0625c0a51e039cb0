//! Properties of the Lambda layer's event conversion, checked on generated events (the cargo-fuzz
//! targets `function_url_event` and `api_gateway_event` in `fuzz/` check the same rules on far more
//! inputs, and need cargo-fuzz, which `just test` does not):
//!
//! - one rule for both kinds: the same request written as a Function URL event and as an API
//!   Gateway REST proxy event (its `headers` repeated as `multiValueHeaders`, as API Gateway sends
//!   them) is read the same (method, path, headers, body) or refused with the same code, whatever
//!   the method, path, headers, body and base64 flag hold, of any JSON type;
//! - a REST event's repeated header keeps every value, in order;
//! - the caller is `requestContext.identity.apiKeyId` and `requestContext.authorizer.claims.sub`
//!   when each is a non-empty string, and nothing the context holds ever refuses a request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_streamer::caller::Caller;
use bedrock_streamer::lambda::{self, Event};
use bedrock_streamer::service::{Invocation, Request};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

/// Any JSON scalar or a small container: what a field of the wrong type may hold.
fn odd_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        Just(json!([])),
        Just(json!({"a": 1})),
    ]
}

fn method() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(vec!["POST", "GET", "HEAD", "PUT", "post", "PO ST", "", "OPTIONS"]).prop_map(|m| json!(m)),
        2 => "[A-Za-z !\u{e9}]{0,8}".prop_map(|m| json!(m)),
        1 => odd_json(),
    ]
}

fn path() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(vec!["/", "/chat", "/models", "/v1/chat/completions", "/a b", "/x?y=1", "", "//"]).prop_map(|p| json!(p)),
        2 => "[ -~\u{e9}]{0,12}".prop_map(|p| json!(p)),
        1 => odd_json(),
    ]
}

fn header_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => select(vec!["text/plain", "application/json", "text/event-stream", "*/*", "end"]).prop_map(|v| json!(v)),
        3 => "[ -~\t\r\n\u{1}\u{e9}]{0,10}".prop_map(|v| json!(v)),
        1 => odd_json(),
    ]
}

fn headers() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        select(vec!["accept", "Accept", "ACCEPT", "last-event-id", "Last-Event-ID", "content-type", "x-api-key"])
            .prop_map(str::to_owned),
        "[A-Za-z -]{0,8}",
    ];
    prop_oneof![
        8 => btree_map(name, header_value(), 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => odd_json(),
    ]
}

/// A body and its `isBase64Encoded`, both possibly absent (`null`) or of another type.
fn body_and_flag() -> impl Strategy<Value = (Value, Value)> {
    prop_oneof![
        3 => "\\PC{0,20}".prop_map(|b| (json!(b), json!(false))),
        2 => vec(any::<u8>(), 0..20).prop_map(|b| (json!(BASE64.encode(b)), json!(true))),
        1 => "[A-Za-z0-9+/=!\n-]{0,12}".prop_map(|b| (json!(b), json!(true))),
        1 => (odd_json(), odd_json()),
    ]
}

fn function_url_event(method: &Value, path: &Value, headers: &Value, (body, flag): &(Value, Value)) -> Value {
    json!({
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {"http": {"method": method}, "requestId": "r"},
        "body": body,
        "isBase64Encoded": flag,
    })
}

/// As API Gateway sends a request: `headers` with each value also in `multiValueHeaders` as a
/// list of one.
fn rest_event(method: &Value, path: &Value, headers: &Value, (body, flag): &(Value, Value)) -> Value {
    let multi = match headers {
        Value::Object(single) => Value::Object(
            single.iter().map(|(n, v)| (n.clone(), if v.is_string() { json!([v]) } else { v.clone() })).collect(),
        ),
        _ => Value::Null,
    };
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": null,
        "requestContext": {"requestId": "r", "stage": "live"},
        "body": body,
        "isBase64Encoded": flag,
    })
}

fn convert(event: &Value) -> Result<Request, (&'static str, Caller)> {
    lambda::request(Event::from_slice(event.to_string().as_bytes()), Invocation::default())
        .map_err(|refused| (refused.error.code(), refused.invocation.caller))
}

fn caller_field() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        3 => "[a-z0-9-]{0,12}".prop_map(|s| Some(json!(s))),
        1 => odd_json().prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_request_reads_the_same_as_either_kind_of_event(
        method in method(), path in path(), headers in headers(), body in body_and_flag(),
    ) {
        let by_url = convert(&function_url_event(&method, &path, &headers, &body));
        let by_gateway = convert(&rest_event(&method, &path, &headers, &body));
        match (&by_url, &by_gateway) {
            (Ok(url), Ok(gateway)) => prop_assert_eq!(
                (&url.method, &url.path, &url.headers, &url.body),
                (&gateway.method, &gateway.path, &gateway.headers, &gateway.body)
            ),
            (Err((url, _)), Err((gateway, _))) => {
                prop_assert_eq!(url, gateway);
                prop_assert!(matches!(*url, "invalid_event" | "invalid_body"), "{}", url);
            }
            _ => prop_assert!(false, "the kinds disagree: {:?} and {:?}", by_url, by_gateway),
        }
    }

    #[test]
    fn every_value_of_a_repeated_header_is_kept_in_order(values in vec("[ -~]{0,10}", 1..5)) {
        let event = json!({"httpMethod": "POST", "path": "/", "multiValueHeaders": {"Accept": values}});
        let request = convert(&event).unwrap();
        let kept: Vec<&str> = request.headers.get_all("accept").iter().map(|v| v.to_str().unwrap()).collect();
        let sent: Vec<&str> = values.iter().map(|v| v.as_str()).collect();
        prop_assert_eq!(kept, sent);
    }

    #[test]
    fn the_caller_is_the_key_id_and_the_sub_and_never_refuses(
        key_id in caller_field(), sub in caller_field(), odd_context in odd_json(), whole in any::<bool>(),
    ) {
        let mut context = Map::new();
        if let Some(key_id) = &key_id {
            context.insert("identity".into(), json!({"apiKeyId": key_id, "apiKey": "the-key-itself"}));
        }
        if let Some(sub) = &sub {
            context.insert("authorizer".into(), json!({"claims": {"sub": sub, "cognito:username": "u"}}));
        }
        let context = if whole { Value::Object(context) } else { odd_context };
        let event = json!({"httpMethod": "POST", "path": "/", "body": "{}", "requestContext": context});
        let request = convert(&event).expect("nothing in the context refuses a request");
        let named = |value: &Option<Value>| {
            value.as_ref().filter(|_| whole).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        prop_assert_eq!(request.invocation.caller, Caller { api_key_id: named(&key_id), user_sub: named(&sub) });
    }
}
