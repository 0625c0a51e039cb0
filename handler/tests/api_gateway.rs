//! The real handler binary under the tests' own Lambda Runtime API, fed API Gateway REST proxy
//! events (payload format 1.0) built from AWS's documented examples (tests/fixtures/api-gateway/),
//! with the Bedrock emulator behind it: stories and conversations stream with the same prelude as
//! a Function URL's, the caller API Gateway authenticated (API key id, Cognito `sub`) is in the
//! summary line and the metrics record (never a dimension, never the key or the token), and
//! refusals never reach Bedrock. The bad-input table both kinds share is in tests/runtime_api.rs.

mod support;

use serde_json::{Value, json};
use support::runtime_api::{Function, RuntimeApi, Streamed, api_gateway_event, aws_rest_example, fixture, merge};
use support::*;

const API_KEY_EVENT: &str = include_str!("fixtures/api-gateway/api-key-event.json");
const COGNITO_EVENT: &str = include_str!("fixtures/api-gateway/cognito-event.json");
const KEY_ID: &str = "a1b2c3d4e5";
const SUB: &str = "3f1c9a6e-8b2d-4d7a-9e4f-0a1b2c3d4e5f";
/// What the fixtures carry that must never be logged: the API key's value and the ID token.
const SECRETS: [&str; 2] = ["fixture-api-key-value-never-logged", "fixture-id-token-never-logged"];

fn bytes(event: &Value) -> Vec<u8> {
    event.to_string().into_bytes()
}

/// Invokes `event`; its streamed answer and its summary line.
async fn invoke(api: &RuntimeApi, function: &Function, event: &Value) -> (Streamed, Value) {
    let (request_id, answer) = api.invoke(bytes(event)).await;
    let streamed = answer.streamed();
    let summary = function.wait_for("request summary", &request_id).await;
    (streamed, summary)
}

/// The metrics record of the request whose summary line is `summary`.
fn record(function: &Function, summary: &Value) -> Value {
    let request_id = &summary["fields"]["request_id"];
    let records: Vec<Value> =
        function.logs().into_iter().filter(|l| l.get("_aws").is_some() && &l["requestId"] == request_id).collect();
    assert_eq!(records.len(), 1, "one metrics record per request: {records:?}");
    records.into_iter().next().unwrap()
}

/// The `data:` payloads of an SSE body, comment lines skipped.
fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|event| event.lines().find_map(|line| line.strip_prefix("data: ")).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn aws_s_documented_example_is_routed_by_its_path_without_the_stage() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);

    // As documented: POST /testStage/hello/world arrives as path /hello/world, not served here.
    let (got, summary) = invoke(&api, &function, &aws_rest_example()).await;
    assert_eq!((got.status(), got.header("content-type")), (404, Some("application/json")));
    let message = got.json()["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("POST /hello/world is not served here"), "{message}");
    assert_eq!(summary["fields"]["error_code"], "not_found");

    // The same event for POST / with a story request: the story, streamed.
    let mut story_event = aws_rest_example();
    merge(&mut story_event, json!({"path": "/", "body": r#"{"storyType":"CATS"}"#}));
    let (got, summary) = invoke(&api, &function, &story_event).await;
    assert_eq!(got.status(), 200, "{}", got.text());
    assert_eq!(got.header("content-type"), Some("application/x-ndjson; charset=utf-8"), "the example's Accept is */*");
    assert_eq!(got.header("cache-control"), Some("no-cache"));
    let events = ndjson(&got.text());
    assert_eq!((types(&events).first(), types(&events).last()), (Some(&"start"), Some(&"usage")));
    assert!(story(&events).contains("CATS"));
    assert_eq!(events[0]["requestId"], summary["fields"]["request_id"], "the start event names Lambda's request id");
    assert_eq!(emulator.requests().len(), 1);
    assert_eq!(emulator.requests()[0].messages[0].text, default_prompt("CATS"));
}

#[tokio::test]
async fn a_story_for_an_api_key_names_the_key_s_id_in_the_summary_and_the_record() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);

    let (got, summary) = invoke(&api, &function, &fixture(API_KEY_EVENT)).await;

    assert_eq!((got.status(), got.header("content-type")), (200, Some("application/x-ndjson; charset=utf-8")));
    assert_eq!(types(&ndjson(&got.text())).last(), Some(&"usage"));
    let fields = &summary["fields"];
    assert_eq!((fields["api_key_id"].as_str(), fields["outcome"].as_str()), (Some(KEY_ID), Some("completed")));
    assert!(fields.get("user_sub").is_none(), "{summary}");
    let record = record(&function, &summary);
    assert_eq!(record["apiKeyId"], KEY_ID);
    assert_eq!(record["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([["function", "model"]]));
    let logs = function.log_text();
    for secret in SECRETS {
        assert!(!logs.contains(secret), "{secret} is in the logs:\n{logs}");
    }
}

#[tokio::test]
async fn conversations_for_a_cognito_user_stream_in_both_shapes_and_name_the_user() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[("STREAMER_CHAT_SYSTEM_PROMPT", "You help bakers.")]);
    let turns = json!([
        {"role": "user", "content": "My name is Otto."},
        {"role": "assistant", "content": "Hello Otto."},
        {"role": "user", "content": "What is my name? echo_conversation"}
    ]);
    let said = "[system] You help bakers. [user] My name is Otto. [assistant] Hello Otto. [user] What is my name? \
                echo_conversation";

    // POST /chat, as the fixture is: the story's events.
    let mut chat = fixture(COGNITO_EVENT);
    merge(&mut chat, json!({"body": json!({"messages": turns}).to_string()}));
    let (got, summary) = invoke(&api, &function, &chat).await;
    assert_eq!((got.status(), got.header("content-type")), (200, Some("application/x-ndjson; charset=utf-8")));
    assert_eq!(story(&ndjson(&got.text())), said, "every turn reached Bedrock after the stack's prompt");
    assert_eq!(
        (summary["fields"]["user_sub"].as_str(), summary["fields"]["outcome"].as_str()),
        (Some(SUB), Some("completed"))
    );
    assert_eq!(record(&function, &summary)["userSub"], SUB);

    // POST /v1/chat/completions on the same proxy resource, streamed as the official clients ask.
    let mut completions = fixture(COGNITO_EVENT);
    let body =
        json!({"model": "default", "stream": true, "stream_options": {"include_usage": true}, "messages": turns});
    merge(
        &mut completions,
        json!({"path": "/v1/chat/completions", "pathParameters": {"proxy": "v1/chat/completions"}, "body": body.to_string()}),
    );
    for headers in ["headers", "multiValueHeaders"] {
        let accept = if headers == "headers" { json!("application/json") } else { json!(["application/json"]) };
        completions[headers]["Accept"] = accept;
    }
    let (got, summary) = invoke(&api, &function, &completions).await;
    assert_eq!((got.status(), got.header("content-type")), (200, Some("text/event-stream")));
    let data = sse_data(&got.text());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    let answer: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(answer, said);
    assert_eq!(summary["fields"]["user_sub"], SUB);

    let logs = function.log_text();
    for secret in SECRETS {
        assert!(!logs.contains(secret), "{secret} is in the logs:\n{logs}");
    }
}

#[tokio::test]
async fn refusals_name_the_caller_keep_their_prelude_and_never_reach_bedrock() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);
    let keyed = |changes: Value| {
        let mut event = fixture(API_KEY_EVENT);
        merge(&mut event, changes);
        event
    };

    for (event, status, code) in [
        (keyed(json!({"body": r#"{"storyType":"a;b"}"#})), 400, "invalid_story_type"),
        (keyed(json!({"body": "{}"})), 400, "invalid_story_type"),
        (keyed(json!({"body": "eyJ", "isBase64Encoded": true})), 400, "invalid_body"),
        (keyed(json!({"httpMethod": 7})), 400, "invalid_event"),
        (keyed(json!({"httpMethod": "DELETE"})), 405, "method_not_allowed"),
        (keyed(json!({"path": "/favicon.ico", "httpMethod": "GET"})), 404, "not_found"),
    ] {
        let (got, summary) = invoke(&api, &function, &event).await;
        assert_eq!((got.status(), got.header("content-type")), (status, Some("application/json")), "{code}");
        assert_eq!(got.header("cache-control"), Some("no-store"), "{code}");
        assert_eq!((got.json()["type"].as_str(), got.json()["code"].as_str()), (Some("error"), Some(code)));
        if status == 405 {
            assert_eq!(got.header("allow"), Some("GET, HEAD, POST"), "the prelude carries Allow");
        }
        let fields = &summary["fields"];
        assert_eq!(
            (fields["status"].as_u64(), fields["error_code"].as_str(), fields["api_key_id"].as_str()),
            (Some(status), Some(code), Some(KEY_ID)),
            "{summary}"
        );
        assert_eq!(record(&function, &summary)["apiKeyId"], KEY_ID);
    }
    // A conversation refused for a signed-in user.
    let mut chat = fixture(COGNITO_EVENT);
    merge(&mut chat, json!({"body": r#"{"messages":[{"role":"wizard","content":"hi"}]}"#}));
    let (got, summary) = invoke(&api, &function, &chat).await;
    assert_eq!((got.status(), got.json()["code"].as_str()), (400, Some("invalid_messages")));
    assert_eq!(summary["fields"]["user_sub"], SUB);

    assert_eq!(emulator.requests().len(), 0, "no refusal reached Bedrock");
    // And the plain REST event still streams after them: the process answered every one.
    let (got, _) = invoke(&api, &function, &api_gateway_event(r#"{"storyType":"CATS"}"#, json!({}))).await;
    assert_eq!(got.status(), 200);
}

/// The builder a local gateway stand-in uses (runtime_api_standin::api_gateway) makes events the
/// function reads as AWS's own.
#[tokio::test]
async fn an_event_built_from_an_http_request_by_the_stand_in_s_builder_is_served() {
    use runtime_api_standin::api_gateway::{Authorized, rest_proxy_event};

    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    headers.insert("x-api-key", "fixture-api-key-value-never-logged".parse().unwrap());
    let authorized =
        Authorized { api_key: Some((KEY_ID.into(), "fixture-api-key-value-never-logged".into())), claims: None };
    let body = br#"{"messages":[{"role":"user","content":"Hello?"}]}"#;
    let event =
        rest_proxy_event(&http::Method::POST, "/live/v1/chat/completions?x=1", &headers, body, "live", &authorized);

    let (got, summary) = invoke(&api, &function, &event).await;

    assert_eq!((got.status(), got.header("content-type")), (200, Some("application/json")), "{}", got.text());
    assert_eq!(got.json()["object"], "chat.completion");
    assert_eq!(summary["fields"]["api_key_id"], KEY_ID);
    assert!(!function.log_text().contains("fixture-api-key-value-never-logged"));
}

/// The REST proxy event API Gateway hands the function for `method` on `path` (stage `live`) with
/// `origin` as the request's `Origin`, for an API key.
fn from_page(method: http::Method, path: &str, origin: Option<&str>, body: &str) -> Value {
    use runtime_api_standin::api_gateway::{Authorized, rest_proxy_event};

    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    if let Some(origin) = origin {
        headers.insert("origin", origin.parse().unwrap());
    }
    let authorized = Authorized { api_key: Some((KEY_ID.into(), "a-key".into())), claims: None };
    rest_proxy_event(&method, &format!("/live{path}"), &headers, body.as_bytes(), "live", &authorized)
}

/// The answer to `event` (the page and the model lists write no summary line to wait for).
async fn answer(api: &RuntimeApi, event: &Value) -> Streamed {
    api.invoke(bytes(event)).await.1.streamed()
}

/// What a page reads of an answer's CORS: `Access-Control-Allow-Origin`, `Vary`,
/// `Access-Control-Expose-Headers`.
fn cors_of(got: &Streamed) -> (Option<&str>, Option<&str>, Option<&str>) {
    (got.header("access-control-allow-origin"), got.header("vary"), got.header("access-control-expose-headers"))
}

/// On an API Gateway stack only the function can put CORS headers on a proxied answer: with
/// STREAMER_CORS_ALLOW_ORIGINS every answer, streamed or refused, lets a listed origin read it.
#[tokio::test]
async fn every_answer_lets_a_listed_origin_read_it_and_no_other() {
    use http::Method;

    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let allowed = "https://app.example";
    let _function =
        api.function(&emulator, &[("STREAMER_CORS_ALLOW_ORIGINS", "http://localhost:3000,https://app.example")]);
    let story = r#"{"storyType":"CATS"}"#;
    let chat = r#"{"model":"default","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    let answers = [
        (Method::POST, "/", story, 200),
        (Method::POST, "/", r#"{"storyType":"a;b"}"#, 400),
        (Method::GET, "/", "", 200),
        (Method::GET, "/models", "", 200),
        (Method::PUT, "/models", "", 405),
        (Method::GET, "/favicon.ico", "", 404),
        (Method::POST, "/v1/chat/completions", chat, 200),
        (Method::GET, "/v1/models", "", 200),
    ];
    for (method, path, body, status) in answers.clone() {
        let got = answer(&api, &from_page(method.clone(), path, Some(allowed), body)).await;
        assert_eq!(got.status(), status, "{method} {path}: {}", got.text());
        assert_eq!(cors_of(&got), (Some(allowed), Some("Origin"), Some("Allow")), "{method} {path}");
    }
    let got = answer(&api, &from_page(Method::POST, "/", Some("http://localhost:3000"), story)).await;
    assert_eq!(got.header("access-control-allow-origin"), Some("http://localhost:3000"));

    for origin in [Some("https://evil.example"), Some("https://APP.example"), Some("null"), None] {
        for (method, path, body, status) in [answers[0].clone(), answers[1].clone(), answers[4].clone()] {
            let got = answer(&api, &from_page(method.clone(), path, origin, body)).await;
            assert_eq!(got.status(), status, "{origin:?} {method} {path}");
            assert_eq!(cors_of(&got), (None, Some("Origin"), None), "{origin:?} {method} {path}");
        }
    }
    assert_eq!(emulator.requests().len(), 7, "the stories and the conversation only, one Bedrock call each");
}

#[tokio::test]
async fn star_lets_every_origin_read_every_answer_and_unset_adds_no_cors_header() {
    use http::Method;

    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let _function = api.function(&emulator, &[("STREAMER_CORS_ALLOW_ORIGINS", "*")]);
    for origin in [Some("https://anyone.example"), None] {
        for (path, body, status) in [("/", r#"{"storyType":"CATS"}"#, 200), ("/", "{}", 400)] {
            let got = answer(&api, &from_page(Method::POST, path, origin, body)).await;
            assert_eq!(got.status(), status, "{origin:?}");
            assert_eq!(cors_of(&got), (Some("*"), None, Some("Allow")), "{origin:?} {body}");
        }
    }

    // Unset, as on a Function URL stack, whose URL adds its own: none, or they would double.
    let api = RuntimeApi::start().await;
    let _function = api.function(&emulator, &[]);
    let got = answer(&api, &from_page(Method::POST, "/", Some("https://app.example"), r#"{"storyType":"CATS"}"#)).await;
    assert_eq!((got.status(), cors_of(&got)), (200, (None, None, None)));
}
