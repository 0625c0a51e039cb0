//! Prompt caching and the service tier, through the real SDK to the emulator: the cache points
//! Bedrock receives (the emulator's request log), the cache counts the caller is told (the
//! emulator's own prompt cache: a prefix is written on its first request, read on the next), and
//! the tier asked for and echoed back.

mod support;

use bedrock_emulator::{CachePoint, Emulator};
use bedrock_streamer::service::Request;
use bedrock_streamer::settings::cache::CHARS_PER_TOKEN;
use bytes::Bytes;
use serde_json::{Value, json};
use support::fast_emulator;
use support::in_process::{app, call, post};

/// Claude Haiku 5.5 caches from 512 tokens per checkpoint (config/bedrock-models.json).
const HAIKU_5_5_MIN: usize = 512;

/// Aliases on Claude Haiku 5.5 (512 tokens per checkpoint): cached for 5 minutes, for an hour and
/// in the priority tier, not at all; and one on a model the table does not know.
const MODELS: &str = r#"{
    "five": {"modelId": "us.anthropic.claude-haiku-5-5", "promptCache": "5m"},
    "hour": {"modelId": "global.anthropic.claude-haiku-5-5", "promptCache": "1h", "serviceTier": "priority"},
    "plain": {"modelId": "us.anthropic.claude-haiku-5-5", "promptCache": "off", "serviceTier": "flex"},
    "mine": {"modelId": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k3x9", "promptCache": "5m"}
}"#;

/// Words of `chars` characters in all (a multiple of 4: each word 3 letters and a space), so the
/// emulator's word count and the handler's character estimate can both be worked out.
fn text_of(chars: usize) -> String {
    assert!(chars.is_multiple_of(4));
    "cat ".repeat(chars / 4)
}

fn words(chars: usize) -> u64 {
    (chars / 4) as u64
}

/// A system prompt the handler estimates at exactly the minimum, and one just below it.
fn long_prompt() -> String {
    text_of(HAIKU_5_5_MIN * CHARS_PER_TOKEN)
}

fn short_prompt() -> String {
    text_of(HAIKU_5_5_MIN * CHARS_PER_TOKEN - 4)
}

fn settings<'a>(system: &'a str, chat_system: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("STREAMER_MODELS", MODELS),
        ("STREAMER_DEFAULT_MODEL", "five"),
        ("STREAMER_SYSTEM_PROMPT", system),
        ("STREAMER_CHAT_SYSTEM_PROMPT", chat_system),
    ]
}

fn story(model: &str) -> Request {
    post(json!({"storyType": "CATS", "model": model}).to_string(), None)
}

fn chat(path: &str, body: &Value) -> Request {
    Request {
        method: http::Method::POST,
        path: path.to_owned(),
        body: Bytes::from(serde_json::to_vec(body).unwrap()),
        ..Request::default()
    }
}

fn point(at: &str, ttl: Option<&str>) -> CachePoint {
    CachePoint { at: at.into(), kind: "default".into(), ttl: ttl.map(Into::into) }
}

fn last_request_points(emulator: &Emulator) -> Vec<CachePoint> {
    emulator.requests().last().expect("a Bedrock call").cache_points.clone()
}

#[tokio::test]
async fn a_system_prompt_long_enough_gets_a_cache_point_written_once_and_read_after() {
    let emulator = fast_emulator().await;
    let system = long_prompt();
    let app = app(&emulator, &settings(&system, "unused"));

    let first = call(&app, story("five")).await.events().pop().unwrap();
    assert_eq!(last_request_points(&emulator), [point("system.1", None)], "5 minutes is a point without ttl");
    assert_eq!(
        (first["cacheReadInputTokens"].as_u64(), first["cacheWriteInputTokens"].as_u64()),
        (Some(0), Some(words(system.len()))),
        "{first}"
    );

    let second = call(&app, story("five")).await.events().pop().unwrap();
    assert_eq!(
        (second["cacheReadInputTokens"].as_u64(), second["cacheWriteInputTokens"].as_u64()),
        (Some(words(system.len())), Some(0)),
        "{second}"
    );
    assert!(second["inputTokens"].as_u64().unwrap() < words(system.len()), "inputTokens leaves the cached out");
    assert_eq!(emulator.requests()[1].system.as_deref(), Some(system.as_str()), "the prompt itself is unchanged");
}

#[tokio::test]
async fn no_cache_point_below_the_minimum_when_off_or_for_a_model_the_table_does_not_know() {
    let emulator = fast_emulator().await;
    let (long, short) = (long_prompt(), short_prompt());

    let below = call(&app(&emulator, &settings(&short, "unused")), story("five")).await.events().pop().unwrap();
    assert_eq!(last_request_points(&emulator), [], "one estimated token short of the minimum");
    assert!(below.get("cacheReadInputTokens").is_none() && below.get("cacheWriteInputTokens").is_none(), "{below}");

    let app = app(&emulator, &settings(&long, "unused"));
    assert_eq!(call(&app, story("plain")).await.status, 200);
    assert_eq!(last_request_points(&emulator), [], "promptCache off");
    assert_eq!(call(&app, story("mine")).await.status, 200);
    assert_eq!(last_request_points(&emulator), [], "an application inference profile: its model is unknown");
    assert_eq!(emulator.requests().len(), 3);
}

#[tokio::test]
async fn a_conversation_gets_points_after_the_stack_prompt_and_after_its_earlier_turns() {
    let emulator = fast_emulator().await;
    let stack_prompt = long_prompt();
    let app = app(&emulator, &settings("unused", &stack_prompt));
    // Together with the stack's prompt, the earlier turns reach twice the minimum: a second checkpoint.
    let earlier = text_of(HAIKU_5_5_MIN * CHARS_PER_TOKEN);
    let body = json!({"model": "hour", "messages": [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "And now?"}
    ]});

    let got = call(&app, chat("/chat", &body)).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let sent = emulator.requests().pop().unwrap();
    assert_eq!(
        sent.cache_points,
        [point("system.1", Some("1h")), point("messages.1.content.1", Some("1h"))],
        "after the stack's prompt (before the caller's system text) and after the last turn before the newest"
    );
    assert_eq!(sent.system.as_deref(), Some(format!("{stack_prompt}\nAnswer in one word.").as_str()));
    let usage = got.events().pop().unwrap();
    let prefix = words(stack_prompt.len()) + 4 + words(earlier.len()) + 1;
    assert_eq!(usage["cacheWriteInputTokens"].as_u64(), Some(prefix), "{usage}");

    // One turn on, the stack's prompt and the old turns are read; only what is new is written.
    let mut longer = body.clone();
    let messages = longer["messages"].as_array_mut().unwrap();
    messages
        .extend([json!({"role": "assistant", "content": "Still here."}), json!({"role": "user", "content": "Bye?"})]);
    let next = call(&app, chat("/chat", &longer)).await.events().pop().unwrap();
    assert_eq!(emulator.requests().pop().unwrap().cache_points[1], point("messages.3.content.1", Some("1h")));
    assert_eq!(
        (next["cacheReadInputTokens"].as_u64(), next["cacheWriteInputTokens"].as_u64()),
        (Some(prefix), Some(2 + 2)),
        "{next}"
    );
}

#[tokio::test]
async fn the_openai_route_reports_cache_reads_as_cached_prompt_tokens() {
    let emulator = fast_emulator().await;
    let stack_prompt = long_prompt();
    let app = app(&emulator, &settings("unused", &stack_prompt));
    let body = json!({"model": "five", "messages": [{"role": "user", "content": "Hello?"}]});

    let first: Value = serde_json::from_str(&call(&app, chat("/v1/chat/completions", &body)).await.text()).unwrap();
    let second: Value = serde_json::from_str(&call(&app, chat("/v1/chat/completions", &body)).await.text()).unwrap();

    let cached = words(stack_prompt.len());
    assert_eq!(first["usage"]["prompt_tokens_details"]["cached_tokens"], 0, "{first}");
    assert_eq!(second["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64(), Some(cached), "{second}");
    assert_eq!(
        first["usage"]["prompt_tokens"], second["usage"]["prompt_tokens"],
        "prompt_tokens counts cached tokens too, as OpenAI's does"
    );
    assert!(second["usage"]["prompt_tokens"].as_u64().unwrap() > cached);
}

#[tokio::test]
async fn the_service_tier_is_sent_and_echoed_in_usage() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &settings("Be kind.", "unused"));

    for (alias, tier) in [("hour", Some("priority")), ("plain", Some("flex")), ("five", None)] {
        let usage = call(&app, story(alias)).await.events().pop().unwrap();
        assert_eq!(emulator.requests().pop().unwrap().service_tier.as_deref(), tier, "{alias}");
        assert_eq!(usage["serviceTier"].as_str(), tier, "{alias}: {usage}");
    }
}
