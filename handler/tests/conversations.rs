//! Conversations in process, through the real SDK against the emulator: `POST /chat` in the story's
//! event vocabulary, `POST /v1/chat/completions` in OpenAI's shapes (streamed and not), `GET
//! /v1/models`; every turn reaches Bedrock (the emulator's echo marker answers with them), and bad
//! input of every kind is a 4xx in the route's own shape that never reaches Bedrock.

mod support;

use bedrock_emulator::{ECHO_MARKER, Emulator, Turn};
use bedrock_streamer::service::Request;
use bytes::Bytes;
use serde_json::{Value, json};
use support::fast_emulator;
use support::in_process::{Received, app, call};

fn request(method: &str, path: &str, body: impl Into<Vec<u8>>, accept: Option<&str>) -> Request {
    let mut request = Request {
        method: method.parse().unwrap(),
        path: path.to_owned(),
        body: Bytes::from(body.into()),
        ..Request::default()
    };
    if let Some(accept) = accept {
        request.headers.insert("accept", accept.parse().unwrap());
    }
    request
}

fn post(path: &str, body: &Value) -> Request {
    request("POST", path, serde_json::to_vec(body).unwrap(), None)
}

/// Three turns whose answer depends on the first: the echo marker makes the emulator answer with
/// every turn it received.
fn three_turns() -> Value {
    json!([
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "My name is Otto."},
        {"role": "assistant", "content": "Hello Otto."},
        {"role": "user", "content": format!("What is my name? {ECHO_MARKER}")}
    ])
}

const STACK_PROMPT: (&str, &str) = ("STREAMER_CHAT_SYSTEM_PROMPT", "You are the bakery's help desk.");

/// The `data:` payloads of an SSE body, in order, comment lines skipped.
fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|event| !event.is_empty())
        .filter_map(|event| event.lines().find_map(|line| line.strip_prefix("data: ")).map(str::to_owned))
        .collect()
}

fn json_body(received: &Received) -> Value {
    serde_json::from_str(&received.text()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", received.text()))
}

#[tokio::test]
async fn a_native_chat_streams_story_events_and_every_turn_reaches_bedrock_after_the_stacks_prompt() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[STACK_PROMPT]);
    let got = call(&app, post("/chat", &json!({"messages": three_turns()}))).await;
    assert_eq!(got.status, 200);
    assert!(got.content_type.starts_with("application/x-ndjson"));
    assert_eq!(support::types(&got.events()).first(), Some(&"start"));
    assert_eq!(support::types(&got.events()).last(), Some(&"usage"));
    assert_eq!(
        got.story(),
        format!(
            "[system] You are the bakery's help desk.\nAnswer in one word. [user] My name is Otto. [assistant] Hello \
             Otto. [user] What is my name? {ECHO_MARKER}"
        )
        .replace('\n', " "),
        "the stack's prompt, then the caller's, then each turn"
    );
    let recorded = &emulator.requests()[0];
    assert_eq!(recorded.system.as_deref(), Some("You are the bakery's help desk.\nAnswer in one word."));
    assert_eq!(recorded.messages.len(), 3);
    assert_eq!(recorded.messages[0], Turn { role: "user".into(), text: "My name is Otto.".into() });
}

#[tokio::test]
async fn a_native_chat_answers_sse_and_plain_text_by_accept() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);
    let body = serde_json::to_vec(&json!({"messages": [{"role": "user", "content": "about: owls"}]})).unwrap();
    let sse = call(&app, request("POST", "/chat", body.clone(), Some("text/event-stream"))).await;
    assert_eq!(sse.content_type, "text/event-stream");
    assert!(sse.text().starts_with("event: start\n"));
    let plain = call(&app, request("POST", "/chat", body, Some("text/plain"))).await;
    assert!(plain.text().starts_with("Once upon a time there was a story about owls."));
}

#[tokio::test]
async fn a_streamed_completion_is_openai_chunks_with_one_id_the_role_first_usage_then_done() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);
    let body = json!({"model": "default", "messages": three_turns(), "stream": true,
                      "stream_options": {"include_usage": true}});
    // The official clients send Accept: application/json when streaming too.
    let got = call(
        &app,
        request("POST", "/v1/chat/completions", serde_json::to_vec(&body).unwrap(), Some("application/json")),
    )
    .await;
    assert_eq!((got.status, got.content_type.as_str()), (200, "text/event-stream"));
    let data = sse_data(&got.text());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    let id = &chunks[0]["id"];
    assert!(id.as_str().unwrap().starts_with("chatcmpl-"));
    assert!(chunks.iter().all(|c| &c["id"] == id && c["created"] == chunks[0]["created"] && c["model"] == "default"));
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert!(text.contains("[user] My name is Otto. [assistant] Hello Otto."), "{text}");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["prompt_tokens"].as_i64().unwrap() > 0);
    assert_eq!(
        usage["usage"]["total_tokens"].as_i64(),
        Some(usage["usage"]["prompt_tokens"].as_i64().unwrap() + usage["usage"]["completion_tokens"].as_i64().unwrap())
    );
}

#[tokio::test]
async fn a_completion_without_stream_is_one_object_with_usage() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);
    let got = call(&app, post("/v1/chat/completions", &json!({"model": "default", "messages": three_turns()}))).await;
    assert_eq!((got.status, got.content_type.as_str()), (200, "application/json"));
    let completion = json_body(&got);
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(completion["choices"][0]["message"]["role"], "assistant");
    assert!(completion["choices"][0]["message"]["content"].as_str().unwrap().contains("[user] My name is Otto."));
    assert_eq!(completion["choices"][0]["finish_reason"], "stop");
    assert!(completion["usage"]["completion_tokens"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn stop_and_max_tokens_reach_bedrock_and_come_back_as_finish_reasons() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);
    let ask = |extra: Value| {
        let mut body = json!({"messages": [{"role": "user", "content": "about: owls"}]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        post("/v1/chat/completions", &body)
    };
    let stopped = json_body(&call(&app, ask(json!({"stop": ["there"]}))).await);
    assert_eq!(stopped["choices"][0]["message"]["content"], "Once upon a time ");
    assert_eq!(stopped["choices"][0]["finish_reason"], "stop");
    assert_eq!(emulator.requests()[0].stop_sequences, ["there"]);
    let cut = json_body(&call(&app, ask(json!({"max_completion_tokens": 3, "temperature": 0.2}))).await);
    assert_eq!(cut["choices"][0]["message"]["content"], "Once upon a");
    assert_eq!(cut["choices"][0]["finish_reason"], "length");
    let recorded = &emulator.requests()[1];
    assert_eq!((recorded.max_tokens, recorded.temperature), (Some(3), Some(0.2)));
}

#[tokio::test]
async fn reasoning_an_alias_shows_goes_in_reasoning_content() {
    let emulator = fast_emulator().await;
    let models = r#"{"think": {"modelId": "m", "reasoning": "show"}}"#;
    let app = app(&emulator, &[("STREAMER_MODELS", models)]);
    let body = json!({"model": "think", "stream": true,
                      "messages": [{"role": "user", "content": "about: owls fault_reasoning"}]});
    let got = call(&app, post("/v1/chat/completions", &body)).await;
    let data = sse_data(&got.text());
    let chunks: Vec<Value> = data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    let reasoning: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str()).collect();
    assert!(reasoning.starts_with("The user wants a story about"), "{reasoning}");
    let whole = json_body(
        &call(
            &app,
            post(
                "/v1/chat/completions",
                &json!({"model": "think",
        "messages": [{"role": "user", "content": "about: owls fault_reasoning"}]}),
            ),
        )
        .await,
    );
    assert!(whole["choices"][0]["message"]["reasoning_content"].as_str().unwrap().starts_with("The user wants"));
}

#[tokio::test]
async fn a_fault_mid_answer_is_an_error_event_when_streamed_and_an_error_response_when_not() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);
    let messages = json!([
        {"role": "user", "content": "about: owls"},
        {"role": "assistant", "content": "Once upon a time."},
        {"role": "user", "content": "Go on. fault_midstream_error"}
    ]);
    let streamed = call(&app, post("/v1/chat/completions", &json!({"messages": messages, "stream": true}))).await;
    assert_eq!(streamed.status, 200);
    let data = sse_data(&streamed.text());
    assert!(!data.contains(&"[DONE]".to_owned()), "a failed stream has no [DONE]");
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "model_stream_error");
    assert_eq!(last["error"]["type"], "server_error");

    let whole = call(&app, post("/v1/chat/completions", &json!({"messages": messages}))).await;
    assert_eq!(whole.status, 502, "never a truncated completion");
    assert_eq!(json_body(&whole)["error"]["code"], "model_stream_error");
}

#[tokio::test]
async fn bedrock_refusals_are_openai_errors_with_the_real_status_and_retry_advice() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);
    let asking = |fault: &str| {
        post("/v1/chat/completions", &json!({"messages": [{"role": "user", "content": format!("hi fault_{fault}")}]}))
    };
    let response = app.handle(asking("access_denied")).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["x-should-retry"], "false", "the account's model access must change first");
    let response = app.handle(asking("throttling")).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("x-should-retry").is_none(), "the client's own backoff applies");
    let got = call(&app, asking("throttling")).await;
    assert_eq!(json_body(&got)["error"]["type"], "rate_limit_error");
}

#[tokio::test]
async fn the_model_list_is_openais_shape() {
    let emulator = fast_emulator().await;
    let models = r#"{"fast": {"modelId": "a"}, "smart": {"modelId": "b"}}"#;
    let app = app(&emulator, &[("STREAMER_MODELS", models), ("STREAMER_DEFAULT_MODEL", "fast")]);
    let got = call(&app, request("GET", "/v1/models", Vec::new(), None)).await;
    assert_eq!((got.status, got.content_type.as_str()), (200, "application/json"));
    let list = json_body(&got);
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["fast", "smart"]);
    assert_eq!(list["data"][0]["object"], "model");
}

#[tokio::test]
async fn conversations_turned_off_answer_405_like_any_unserved_path() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[("STREAMER_CHAT", "false")]);
    for (method, path) in [("POST", "/chat"), ("POST", "/v1/chat/completions"), ("GET", "/v1/models")] {
        let body = serde_json::to_vec(&json!({"messages": [{"role": "user", "content": "hi"}], "storyType": "CATS"}));
        let response = app.handle(request(method, path, body.unwrap(), None)).await;
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], "", "{method} {path}: nothing is served there");
    }
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn a_refused_path_under_v1_answers_in_openai_s_error_shape() {
    let emulator = fast_emulator().await;
    for (vars, method, path, status, allow) in [
        (&[][..], "GET", "/v1/chat/completions", 405, Some("POST")),
        (&[][..], "POST", "/v1/models", 405, Some("GET, HEAD")),
        (&[][..], "GET", "/v1/completions", 404, None),
        (&[("STREAMER_CHAT", "false")][..], "POST", "/v1/chat/completions", 405, Some("")),
    ] {
        let response = app(&emulator, vars).handle(request(method, path, Vec::new(), None)).await;
        assert_eq!(response.status(), status, "{method} {path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{method} {path}");
        assert_eq!(response.headers().get("allow").map(|v| v.to_str().unwrap()), allow, "{method} {path}");
        let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        let error = &serde_json::from_slice::<Value>(&body).unwrap()["error"];
        let code = if status == 405 { "method_not_allowed" } else { "not_found" };
        assert_eq!(
            (error["code"].as_str(), error["type"].as_str()),
            (Some(code), Some("invalid_request_error")),
            "{error}"
        );
        assert!(error["message"].as_str().unwrap().contains(path), "{error}");
    }
    assert_eq!(emulator.request_count(), 0);
}

/// Bad input of every kind the issue names, with what each route answers.
fn bad_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let body = |value: Value| serde_json::to_vec(&value).unwrap();
    let messages = |messages: Value| body(json!({"messages": messages}));
    vec![
        ("no messages", body(json!({}))),
        ("empty messages", messages(json!([]))),
        ("an unknown role", messages(json!([{"role": "wizard", "content": "hi"}]))),
        ("a tool message", messages(json!([{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}]))),
        ("empty content", messages(json!([{"role": "user", "content": ""}]))),
        ("blank content", messages(json!([{"role": "user", "content": [{"type": "text", "text": "  "}]}]))),
        (
            "an image part",
            messages(json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])),
        ),
        ("oversized content", messages(json!([{"role": "user", "content": "é".repeat(33)}]))),
        ("too many messages", messages(Value::Array(vec![json!({"role": "user", "content": "hi"}); 5]))),
        (
            "ending with the assistant",
            messages(json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])),
        ),
        (
            "opening with the assistant",
            messages(json!([{"role": "assistant", "content": "yo"}, {"role": "user", "content": "hi"}])),
        ),
        ("an unknown alias", body(json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))),
        ("malformed JSON", b"{\"messages\": [".to_vec()),
        ("a field named twice", br#"{"messages": [{"role": "user", "content": "a"}], "messages": []}"#.to_vec()),
        ("a body that is not an object", b"[1, 2]".to_vec()),
        ("an empty body", Vec::new()),
    ]
}

const SMALL_LIMITS: [(&str, &str); 3] = [
    ("STREAMER_CHAT_MAX_MESSAGES", "4"),
    ("STREAMER_CHAT_MAX_MESSAGE_CHARS", "32"),
    ("STREAMER_CHAT_MAX_TOTAL_CHARS", "100"),
];

async fn refused_everywhere(emulator: &Emulator, path: &str, extra: &[(&str, Vec<u8>)]) -> Vec<(String, u16, Value)> {
    let app = app(emulator, &SMALL_LIMITS);
    let mut answers = Vec::new();
    for (what, body) in bad_inputs().into_iter().chain(extra.iter().map(|(w, b)| (*w, b.clone()))) {
        let got = call(&app, request("POST", path, body, None)).await;
        assert!((400..500).contains(&got.status), "{path} {what}: {} {}", got.status, got.text());
        assert_eq!(got.content_type, "application/json", "{path} {what}");
        answers.push((what.to_owned(), got.status, json_body(&got)));
    }
    assert_eq!(emulator.request_count(), 0, "{path}: no bad input reaches Bedrock");
    answers
}

#[tokio::test]
async fn bad_input_to_chat_completions_is_an_openai_error_naming_the_problem_and_never_reaches_bedrock() {
    let emulator = fast_emulator().await;
    let openai_only = [
        ("n: 2", serde_json::to_vec(&json!({"n": 2, "messages": [{"role": "user", "content": "hi"}]})).unwrap()),
        (
            "tools",
            serde_json::to_vec(
                &json!({"tools": [{"type": "function"}], "messages": [{"role": "user", "content": "hi"}]}),
            )
            .unwrap(),
        ),
        (
            "json output",
            serde_json::to_vec(
                &json!({"response_format": {"type": "json_object"}, "messages": [{"role": "user", "content": "hi"}]}),
            )
            .unwrap(),
        ),
    ];
    for (what, status, body) in refused_everywhere(&emulator, "/v1/chat/completions", &openai_only).await {
        let error = &body["error"];
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
        assert!(error["code"].is_string() && error["type"] == "invalid_request_error", "{what}: {body}");
        let want = match what.as_str() {
            "an unknown alias" => (404, Some("model")),
            "oversized content" => (413, Some("messages[0].content")),
            "too many messages" => (413, Some("messages")),
            "n: 2" => (400, Some("n")),
            "tools" => (400, Some("tools")),
            "json output" => (400, Some("response_format")),
            "a tool message" => (400, Some("messages[1].role")),
            "ending with the assistant" => (400, Some("messages[1].role")),
            "an image part" => (400, Some("messages[0].content[0].type")),
            "malformed JSON" | "a field named twice" | "a body that is not an object" | "an empty body" => (400, None),
            _ => (400, error["param"].as_str()),
        };
        assert_eq!((status, error["param"].as_str()), want, "{what}: {body}");
    }
}

#[tokio::test]
async fn bad_input_to_chat_is_the_storys_error_shape_naming_the_problem_and_never_reaches_bedrock() {
    let emulator = fast_emulator().await;
    for (what, status, body) in refused_everywhere(&emulator, "/chat", &[]).await {
        assert_eq!(body["type"], "error", "{what}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
        let want = match what.as_str() {
            "oversized content" | "too many messages" => (413, "conversation_too_large"),
            "an unknown alias" => (400, "model_not_allowed"),
            "a tool message" | "an image part" => (400, "unsupported_parameter"),
            "malformed JSON" | "a field named twice" | "a body that is not an object" | "an empty body" => {
                (400, "invalid_json")
            }
            _ => (400, "invalid_messages"),
        };
        assert_eq!((status, body["code"].as_str().unwrap()), want, "{what}: {body}");
    }
}
