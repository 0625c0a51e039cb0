//! The stack's guardrail through the real SDK against the emulator: `guardrailConfig` on every call
//! exactly when one is configured, and an intervention (the prompt blocked, the answer blocked
//! mid-stream, in `sync` and `async` mode) reaching the caller as the stop reason
//! `guardrail_intervened` and a `guardrail` event, in every format of every route.

mod support;

use bedrock_emulator::{
    BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE, BLOCKED_TOPIC, DEFAULT_AFTER_TOKENS, FLAGGED_TOKENS,
};
use serde_json::{Value, json};
use support::in_process::*;
use support::*;

const GUARDRAIL: [(&str, &str); 2] = [("STREAMER_GUARDRAIL_ID", "gr1abc"), ("STREAMER_GUARDRAIL_VERSION", "3")];

fn guarded(mode: &str) -> Vec<(&'static str, &str)> {
    let mut vars = GUARDRAIL.to_vec();
    vars.push(("STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE", mode));
    vars
}

fn story_of(story_type: &str) -> String {
    json!({ "storyType": story_type }).to_string()
}

#[tokio::test]
async fn without_a_guardrail_bedrock_gets_no_guardrail_config_and_nothing_intervenes() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[]);

    let got = call(&app, post(story_of("fault_guardrail_input"), None)).await;

    let kinds = types(&got.events()).into_iter().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(&kinds[kinds.len() - 2..], ["stop", "usage"], "{kinds:?}");
    let [request] = emulator.requests().try_into().expect("one Bedrock call");
    assert_eq!(request.guardrail_config, None);
    assert_eq!(request.fault, None, "the emulator's guardrail fault needs a guardrailConfig");
}

#[tokio::test]
async fn with_a_guardrail_every_call_carries_it_with_its_mode_and_asks_for_the_trace() {
    let emulator = fast_emulator().await;
    for mode in ["sync", "async"] {
        let app = app(&emulator, &guarded(mode));
        assert_eq!(call(&app, post(story_of("CATS"), None)).await.status, 200);
    }
    let configs: Vec<Option<Value>> = emulator.requests().into_iter().map(|r| r.guardrail_config).collect();
    let sent = |mode: &str| {
        Some(
            json!({"guardrailIdentifier": "gr1abc", "guardrailVersion": "3", "streamProcessingMode": mode, "trace": "enabled"}),
        )
    };
    assert_eq!(configs, [sent("sync"), sent("async")]);
}

#[tokio::test]
async fn a_blocked_prompt_is_the_blocked_message_then_the_stop_and_an_input_guardrail_event() {
    let emulator = fast_emulator().await;
    for mode in ["sync", "async"] {
        let app = app(&emulator, &guarded(mode));

        let got = call(&app, post(story_of("fault_guardrail_input"), None)).await;

        let events = got.events();
        assert_eq!(types(&events), ["start", "text", "stop", "guardrail", "usage"], "{mode}");
        assert_eq!(got.story(), BLOCKED_INPUT_MESSAGE, "the blocked message is the whole answer");
        assert_eq!(events[2]["reason"], "guardrail_intervened");
        assert_eq!(
            events[3],
            json!({"type": "guardrail", "side": "input", "action": "blocked",
                   "policies": [{"policy": "contentPolicy", "name": "VIOLENCE", "action": "BLOCKED"}]}),
            "{mode}"
        );
        assert_eq!(events[4]["outputTokens"], 0, "the model never ran");
    }
}

#[tokio::test]
async fn an_answer_blocked_mid_stream_in_sync_mode_has_its_held_text_replaced_by_the_blocked_message() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &guarded("sync"));

    let got = call(&app, post(story_of("fault_guardrail_output"), None)).await;

    let events = got.events();
    let texts: Vec<&str> =
        events.iter().filter(|e| e["type"] == "text").map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), DEFAULT_AFTER_TOKENS + 1, "the words the guardrail passed, then its message: {texts:?}");
    assert_eq!(texts.last(), Some(&BLOCKED_OUTPUT_MESSAGE), "the flagged words never reached the caller");
    let kinds = types(&events);
    assert_eq!(&kinds[kinds.len() - 3..], ["stop", "guardrail", "usage"]);
    assert_eq!(events[kinds.len() - 3]["reason"], "guardrail_intervened");
    assert_eq!(
        events[kinds.len() - 2],
        json!({"type": "guardrail", "side": "output", "action": "blocked",
               "policies": [{"policy": "topicPolicy", "name": BLOCKED_TOPIC, "action": "BLOCKED"}]})
    );
}

#[tokio::test]
async fn an_answer_blocked_in_async_mode_keeps_the_text_already_sent_and_then_says_the_guardrail_intervened() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &guarded("async"));

    let got = call(&app, post(story_of("fault_guardrail_output"), None)).await;

    let events = got.events();
    let texts = events.iter().filter(|e| e["type"] == "text").count();
    assert_eq!(texts, DEFAULT_AFTER_TOKENS + FLAGGED_TOKENS, "the flagged words went out before the guardrail acted");
    assert!(!got.story().contains(BLOCKED_OUTPUT_MESSAGE), "{}", got.story());
    let kinds = types(&events);
    assert_eq!(&kinds[kinds.len() - 3..], ["stop", "guardrail", "usage"]);
    assert_eq!(events[kinds.len() - 2]["side"], "output");
}

#[tokio::test]
async fn sse_names_the_event_and_plain_text_ends_with_a_line_saying_it() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &guarded("sync"));

    let sse = call(&app, post(story_of("fault_guardrail_input"), Some("text/event-stream"))).await.text();
    let plain = call(&app, post(story_of("fault_guardrail_input"), Some("text/plain"))).await.text();

    assert!(
        sse.contains("event: stop\ndata: {\"type\":\"stop\",\"reason\":\"guardrail_intervened\"}\n\nevent: guardrail\ndata: {\"type\":\"guardrail\",\"side\":\"input\""),
        "{sse}"
    );
    assert_eq!(plain, format!("{BLOCKED_INPUT_MESSAGE}\n[guardrail_intervened: input blocked]\n"));
}

#[tokio::test]
async fn conversations_carry_the_guardrail_and_openai_s_route_says_content_filter() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &guarded("sync"));
    let messages = json!([{"role": "user", "content": "Tell me something fault_guardrail_output"}]);
    let chat = |path: &str, body: Value| {
        let mut request = post(body.to_string(), None);
        request.path = path.to_owned();
        request.headers.insert("content-type", "application/json".parse().unwrap());
        request
    };

    let native = call(&app, chat("/chat", json!({ "messages": messages }))).await;
    let streamed = call(&app, chat("/v1/chat/completions", json!({ "messages": messages, "stream": true }))).await;
    let whole = call(&app, chat("/v1/chat/completions", json!({ "messages": messages }))).await;

    assert!(types(&native.events()).ends_with(&["stop", "guardrail", "usage"]), "{}", native.text());
    assert!(streamed.text().contains(r#""finish_reason":"content_filter""#), "{}", streamed.text());
    assert!(!streamed.text().contains("guardrail\""), "OpenAI's chunks have no guardrail event: {}", streamed.text());
    let completion: Value = serde_json::from_str(&whole.text()).unwrap();
    assert_eq!(completion["choices"][0]["finish_reason"], "content_filter");
    assert!(completion["choices"][0]["message"]["content"].as_str().unwrap().ends_with(BLOCKED_OUTPUT_MESSAGE));
    assert!(emulator.requests().iter().all(|r| r.guardrail_config.is_some()));
}
