//! The real handler binary under the tests' own Lambda Runtime API, fed raw Function URL events and
//! API Gateway REST proxy events (`cargo lambda watch` builds its own events and cannot send
//! malformed ones), with the Bedrock emulator behind it. Every event of either kind, however
//! malformed, gets a streamed answer (never a posted `/error`, which a Function URL or API Gateway
//! caller sees as a bare 502) and one summary line, by the same rules for both kinds (one table of
//! cases runs over both); a broken Runtime API connection costs one invocation, not the process.

mod support;

use std::time::Duration;

use bedrock_emulator::EmulatorConfig;
use serde_json::{Value, json};
use support::runtime_api::{Answer, EventKind, Field, Function, RuntimeApi, api_gateway_event, function_url_event};
use support::*;

const CATS: &str = r#"{"storyType":"CATS"}"#;

/// A case of the table both kinds share: its name, the fields it sets, the status and error code.
type Case = (&'static str, Vec<(Field, Value)>, u64, Option<&'static str>);

fn bytes(event: Value) -> Vec<u8> {
    event.to_string().into_bytes()
}

/// Invokes `event` and checks what every invocation owes its caller: a streamed answer with
/// `status`, a JSON error body naming `code` when it is a refusal, and exactly one summary line
/// with the same status. Returns the answer's body text.
async fn answers(api: &RuntimeApi, function: &Function, event: Vec<u8>, status: u64, code: Option<&str>) -> String {
    let shown = String::from_utf8_lossy(&event).chars().take(200).collect::<String>();
    let (request_id, answer) = api.invoke(event).await;
    let Answer::Streamed(got) = answer else { panic!("{shown}: not a streamed answer: {answer:?}") };
    assert_eq!(got.status(), status, "{shown}: {}", got.text());
    if let Some(code) = code {
        assert_eq!(got.header("content-type"), Some("application/json"), "{shown}");
        let body = got.json();
        assert_eq!((body["type"].as_str(), body["code"].as_str()), (Some("error"), Some(code)), "{shown}: {body}");
    }
    let summary = function.wait_for("request summary", &request_id).await;
    assert_eq!(summary["fields"]["status"].as_u64(), Some(status), "{shown}: {summary}");
    assert_eq!(summary["fields"]["error_code"].as_str(), code, "{shown}: {summary}");
    let lines = function.logged("request summary").iter().filter(|l| l["fields"]["request_id"] == request_id).count();
    assert_eq!(lines, 1, "{shown}: one summary line per invocation");
    got.text()
}

#[tokio::test]
async fn query_strings_and_other_fields_outside_the_api_never_stop_the_story() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);
    for changes in [
        // From the field reports: raw characters a URI cannot hold, as CloudFront passes them on.
        json!({"rawQueryString": "q=a b"}),
        json!({"rawQueryString": "q=\"quoted\""}),
        json!({"rawQueryString": "q=<script>"}),
        // Variants of the kind: other bytes a URI cannot hold, and fields of the wrong type.
        json!({"rawQueryString": "q=%zz&&=\u{7f}{}|\\^`"}),
        json!({"rawQueryString": "q=caf\u{e9} \u{1f408}#frag"}),
        json!({"rawQueryString": 42, "queryStringParameters": "not an object"}),
        json!({"rawPath": "/a b/<c>", "cookies": "not a list"}),
        json!({"rawPath": null, "routeKey": null, "version": "1.0"}),
        json!({"requestContext": {"http": {"method": "POST"}}}),
        // What `cargo lambda watch` adds (aws_lambda_events' ApiGatewayV2httpRequest): not a REST event.
        json!({"httpMethod": "GET", "resource": "/x"}),
    ] {
        let story = answers(&api, &function, bytes(function_url_event(CATS, changes)), 200, None).await;
        assert!(ndjson(&story).iter().any(|e| e["type"] == "usage"), "the whole story arrived: {story}");
    }
    // The same kind of fields in an API Gateway REST proxy event.
    for changes in [
        json!({"queryStringParameters": {"q": "a b\"<script>"}, "multiValueQueryStringParameters": {"q": ["%zz", "\u{7f}"]}}),
        json!({"queryStringParameters": "not an object", "multiValueQueryStringParameters": 42}),
        json!({"pathParameters": [1], "stageVariables": "x", "resource": 7}),
        json!({"path": "/a b/<c>"}),
        json!({"path": null}),
        json!({"requestContext": null}),
        json!({"requestContext": {"identity": "odd", "authorizer": {"claims": 5}, "path": 1}}),
    ] {
        let story = answers(&api, &function, bytes(api_gateway_event(CATS, changes)), 200, None).await;
        assert!(ndjson(&story).iter().any(|e| e["type"] == "usage"), "the whole story arrived: {story}");
    }
}

#[tokio::test]
async fn a_body_flagged_base64_that_is_not_base64_is_a_400_invalid_body() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);
    for body in [
        // From the field report: the JSON itself, flagged as base64.
        CATS,
        // Variants: wrong length, characters outside the alphabet, missing padding, line breaks,
        // the URL-safe alphabet.
        "abc",
        "!!!!",
        "eyJzdG9yeVR5cGUiOiJDQVRTIn0",
        "eyJzdG9yeVR5cGUi\nOiJDQVRTIn0=",
        "eyJzdG9yeVR5cGUiOiJDQVRTIn0-_==",
    ] {
        for kind in EventKind::BOTH {
            let event = kind.post(body, &[(Field::Base64, json!(true))]);
            let text = answers(&api, &function, bytes(event), 400, Some("invalid_body")).await;
            assert!(text.contains("base64"), "{kind:?}: the message names the problem: {text}");
        }
    }
    for kind in EventKind::BOTH {
        // Proper base64 is decoded: the story, or the JSON error its content deserves.
        let encoded = "eyJzdG9yeVR5cGUiOiJDQVRTIn0="; // {"storyType":"CATS"}
        answers(&api, &function, bytes(kind.post(encoded, &[(Field::Base64, json!(true))])), 200, None).await;
        let not_utf8 = "/w=="; // the single byte 0xff
        let event = kind.post(not_utf8, &[(Field::Base64, json!(true))]);
        answers(&api, &function, bytes(event), 400, Some("invalid_json")).await;
    }
}

#[tokio::test]
async fn every_malformed_event_gets_a_json_answer_and_a_summary_line() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[]);
    // More distinct names than http's HeaderMap holds (24,576), which panicked it: a direct
    // invoker's event (no Function URL or API Gateway request carries that many).
    let too_many_headers: serde_json::Map<String, Value> =
        (0..25_000).map(|i| (format!("x-h{i}"), json!("v"))).collect();
    let mut deep = "[".repeat(300);
    deep.push_str(&"]".repeat(300));
    // Not an event of either kind.
    let not_events: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{\"version\":".to_vec()),
        ("not an object", b"[1,2,3]".to_vec()),
        ("null", b"null".to_vec()),
        ("a string", b"\"POST /\"".to_vec()),
        ("nested past serde_json's limit", deep.into_bytes()),
        ("a lone surrogate", br#"{"body":"\ud800","requestContext":{"http":{"method":"POST"}}}"#.to_vec()),
        ("an empty object", b"{}".to_vec()),
    ];
    for (name, event) in not_events {
        let text = answers(&api, &function, event, 400, Some("invalid_event")).await;
        assert!(text.contains("not a Function URL or API Gateway request"), "{name}: {text}");
    }

    // The same cases for both kinds, each field where that kind keeps it.
    let cases: Vec<Case> = vec![
        // Missing or mistyped fields the API reads.
        ("no method", vec![(Field::Method, Value::Null)], 400, Some("invalid_event")),
        ("method a number", vec![(Field::Method, json!(7))], 400, Some("invalid_event")),
        ("method not a token", vec![(Field::Method, json!("PO ST"))], 400, Some("invalid_event")),
        ("method empty", vec![(Field::Method, json!(""))], 400, Some("invalid_event")),
        ("headers a list", vec![(Field::Headers, json!(["accept: text/plain"]))], 400, Some("invalid_event")),
        ("body a number", vec![(Field::Body, json!(42))], 400, Some("invalid_event")),
        ("body an object", vec![(Field::Body, json!({"storyType": "CATS"}))], 400, Some("invalid_event")),
        ("isBase64Encoded a string", vec![(Field::Base64, json!("false"))], 400, Some("invalid_event")),
        ("25,000 header names", vec![(Field::Headers, Value::Object(too_many_headers))], 400, Some("invalid_event")),
        // Odd but readable: the API's own answers.
        // (GET is the story page.)
        ("PUT", vec![(Field::Method, json!("PUT"))], 405, Some("method_not_allowed")),
        ("lower-case post", vec![(Field::Method, json!("post"))], 405, Some("method_not_allowed")),
        ("a path not served", vec![(Field::Path, json!("/stories"))], 404, Some("not_found")),
        ("no body", vec![(Field::Body, Value::Null)], 400, Some("invalid_json")),
        ("headers null", vec![(Field::Headers, Value::Null)], 200, None),
        (
            "odd headers dropped",
            vec![(Field::Headers, json!({"bad name": "x", "x-n": 5, "x-ctl": "a\u{1}b", "": "e"}))],
            200,
            None,
        ),
        ("accept HTTP cannot carry", vec![(Field::Headers, json!({"accept": "text/plain\r\nx: y"}))], 200, None),
        ("upper-case header names", vec![(Field::Headers, json!({"Accept": "application/json"}))], 200, None),
        ("a path that is no URI path", vec![(Field::Path, json!("/a b"))], 200, None),
    ];
    let mut streamed = 0;
    for kind in EventKind::BOTH {
        let mut events: Vec<(String, Vec<u8>, u64, Option<&str>)> = cases
            .iter()
            .map(|(name, changes, status, code)| (name.to_string(), bytes(kind.post(CATS, changes)), *status, *code))
            .collect();
        let mut non_utf8 = bytes(kind.post(CATS, &[]));
        let at = non_utf8.windows(4).position(|w| w == b"CATS").unwrap();
        non_utf8[at + 1] = 0xff;
        events.push(("body not UTF-8".into(), non_utf8, 400, Some("invalid_story_type")));
        let trailing = [bytes(kind.post(CATS, &[])), b" trailing".to_vec()].concat();
        events.push(("trailing bytes after the event".into(), trailing, 200, None));

        for (name, event, status, code) in events {
            let text = answers(&api, &function, event, status, code).await;
            if code == Some("invalid_event") {
                assert!(text.contains("not a Function URL or API Gateway request"), "{kind:?} {name}: {text}");
            }
            streamed += usize::from(status == 200);
        }
    }
    // Each kind's own fields.
    for (name, event) in [
        ("no requestContext", function_url_event(CATS, json!({"requestContext": null}))),
        ("no http", function_url_event(CATS, json!({"requestContext": {"accountId": "anonymous"}}))),
        ("multiValueHeaders a string", api_gateway_event(CATS, json!({"multiValueHeaders": "accept: */*"}))),
        ("only a resource", json!({"resource": "/", "body": CATS})),
    ] {
        let text = answers(&api, &function, bytes(event), 400, Some("invalid_event")).await;
        assert!(text.contains("not a Function URL or API Gateway request"), "{name}: {text}");
    }
    assert_eq!(emulator.requests().len(), streamed, "only the streamed answers reached Bedrock");
}

/// At `trace`, lambda_runtime would log each raw event (the caller's Authorization, cookies, query
/// string and body) and aws-sigv4 each request it signs (with its signing identity): only the
/// handler's own logs follow the level.
#[tokio::test]
async fn a_trace_level_run_logs_none_of_the_caller_s_secrets_nor_the_story() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    let function =
        api.function(&emulator, &[("STREAMER_LOG_LEVEL", "trace"), ("AWS_SESSION_TOKEN", "role-session-token-secret")]);
    let event = function_url_event(
        r#"{"storyType":"CATS","note":"caller-body-secret"}"#,
        json!({
            "rawQueryString": "key=caller-query-secret",
            "cookies": ["session=caller-cookie-secret"],
            "headers": {
                "authorization": "Bearer caller-authorization-secret",
                "cookie": "session=caller-cookie-secret",
                "host": "abc.lambda-url.us-east-1.on.aws"
            }
        }),
    );

    let story_text = story(&ndjson(&answers(&api, &function, bytes(event), 200, None).await));

    let logs = function.log_text();
    assert!(!function.logged("prompt").is_empty(), "the handler's own debug lines are there: {logs}");
    for secret in [
        "caller-authorization-secret",
        "caller-cookie-secret",
        "caller-query-secret",
        "caller-body-secret",
        "role-session-token-secret",
    ] {
        assert!(!logs.contains(secret), "{secret} is in the logs:\n{logs}");
    }
    assert!(story_text.len() > 20 && !logs.contains(&story_text), "the story is not in the logs:\n{logs}");
    assert!(!logs.contains("contentBlockDelta"), "no Bedrock event is logged:\n{logs}");
}

#[tokio::test]
async fn a_response_connection_closed_mid_stream_costs_that_invocation_only() {
    let emulator =
        emulator(EmulatorConfig { token_interval: Duration::from_millis(20), story_words: 200, ..Default::default() })
            .await;
    let api = RuntimeApi::start().await;
    let mut function = api.function(&emulator, &[]);

    let (cut_id, cut) = api.invoke_and_cut(bytes(function_url_event(CATS, json!({}))), 3).await;
    assert!(matches!(cut, Answer::Cut { chunks: 3.. }), "{cut:?}");
    let failed = function
        .wait_for("the response could not be posted to the Lambda Runtime API; serving the next invocation", &cut_id)
        .await;
    assert_eq!(failed["level"], "ERROR");
    let summary = function.wait_for("request summary", &cut_id).await;
    assert_eq!(summary["fields"]["outcome"], "client_disconnected");
    assert!(upstream_closed(&emulator).await, "the Bedrock stream is dropped, not read to its end");

    let pid = function.pid();
    let (_, next) = api.invoke(bytes(function_url_event(CATS, json!({})))).await;
    let got = next.streamed();
    assert_eq!(got.status(), 200);
    assert!(story(&ndjson(&got.text())).contains("CATS"));
    assert!(function.running() && function.pid() == pid, "the same process served the next invocation");
    assert!(
        function.logged("GET /next from the Lambda Runtime API failed; polling again").is_empty(),
        "the runtime's loop went on to /next by itself, not through a restart"
    );
    assert!(
        function.logged("the Lambda Runtime API is unreachable; exiting so Lambda can start a new instance").is_empty()
    );
}

#[tokio::test]
async fn a_next_poll_that_fails_is_retried() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    api.fail_next(2);
    let mut function = api.function(&emulator, &[]);

    let (_, answer) = api.invoke(bytes(function_url_event(CATS, json!({})))).await;

    assert_eq!(answer.streamed().status(), 200);
    assert!(function.running());
    let retries = function.logged("GET /next from the Lambda Runtime API failed; polling again");
    let attempts: Vec<_> = retries.iter().map(|l| l["fields"]["attempt"].as_u64().unwrap()).collect();
    assert_eq!(attempts, [1, 2]);
}

#[tokio::test]
async fn the_process_exits_with_a_clear_log_line_when_next_keeps_failing() {
    let emulator = fast_emulator().await;
    let api = RuntimeApi::start().await;
    api.fail_next(u32::MAX);
    let mut function = api.function(&emulator, &[]);

    assert_eq!(function.exited(Duration::from_secs(20)).await, Some(1));
    assert_eq!(api.polls(), 5, "five attempts, then it gives up");
    let last = function.logged("the Lambda Runtime API is unreachable; exiting so Lambda can start a new instance");
    assert_eq!(last.len(), 1, "{:#?}", function.logs());
    assert!(last[0]["fields"]["error"].as_str().unwrap().contains("GET /next failed 5 times in a row"), "{}", last[0]);
}
