//! The price of every request, in process through the real SDK against the emulator: the `usage`
//! event of a story (NDJSON and SSE), of `POST /chat` and the `usage` of `POST
//! /v1/chat/completions` carry the request's cost, equal to the same token counts priced by hand;
//! a model without a price gets no cost field at all. The prices are config/prices.json's, as
//! shipped, and an alias's own.

mod support;

use bedrock_streamer::service::Request;
use bytes::Bytes;
use serde_json::{Value, json};
use support::fast_emulator;
use support::in_process::{app, call, post};

/// `listed`, priced by the shipped table; `own`, the same model with a price of its own (made up);
/// `unpriced`, a model the table has no price for (Claude 3 Haiku, end of life in most Regions).
const MODELS: &str = r#"{
    "listed": {"modelId": "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
    "own": {"modelId": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "price": {"input": 2, "output": 8, "read": "2026-12-01", "source": "https://example.com/made-up"}},
    "unpriced": {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}
}"#;

const LISTED: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

fn vars() -> [(&'static str, &'static str); 2] {
    [("STREAMER_MODELS", MODELS), ("STREAMER_DEFAULT_MODEL", "listed")]
}

/// The shipped table's entry for `model_id`: (input, output) in US dollars per million tokens, and
/// the date read.
fn table_price(model_id: &str) -> (f64, f64, String) {
    let table: Value = serde_json::from_str(include_str!("../../config/prices.json")).unwrap();
    let entry = &table["prices"][model_id];
    (entry["input"].as_f64().unwrap(), entry["output"].as_f64().unwrap(), entry["read"].as_str().unwrap().to_owned())
}

fn chat_request(path: &str, body: Value) -> Request {
    Request {
        method: http::Method::POST,
        path: path.to_owned(),
        body: Bytes::from(serde_json::to_vec(&body).unwrap()),
        ..Request::default()
    }
}

/// A request's cost by hand, at `(input, output)` US dollars per million tokens.
fn by_hand((input, output): (f64, f64), input_tokens: u64, output_tokens: u64) -> f64 {
    (input_tokens as f64 * input + output_tokens as f64 * output) / 1_000_000.0
}

fn listed() -> (f64, f64) {
    let (input, output, _) = table_price(LISTED);
    (input, output)
}

fn assert_costs(got: f64, want: f64) {
    // The handler counts in whole picodollars; by hand in binary floating point: a few ulps apart.
    assert!((got - want).abs() < 1e-15, "cost {got} is not {want}");
}

#[tokio::test]
async fn a_story_s_usage_carries_its_cost_at_the_table_s_price() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &vars());

    let got = call(&app, post(r#"{"storyType":"CATS"}"#, None)).await;
    let events = got.events();
    let usage = events.last().unwrap();
    assert_eq!(usage["type"], "usage");
    let (input, output) = (usage["inputTokens"].as_u64().unwrap(), usage["outputTokens"].as_u64().unwrap());
    // This request, counted: the emulator's fixed story about CATS.
    assert_eq!((input, output), (25, 60), "{usage}");
    // The table's price for the us. profile of Claude Haiku 4.5, read 2026-12-07: $1.10 input and
    // $5.50 output per million tokens (Anthropic's list price plus the regional 10%; see the table).
    assert_eq!(table_price(LISTED), (1.1, 5.5, "2026-12-07".to_owned()));
    // 25 × $1.10 + 60 × $5.50 = $27.50 + $330.00 = $357.50 per million tokens, so $0.0003575.
    assert_eq!(usage["costUsd"], json!(0.0003575));
    assert_costs(usage["costUsd"].as_f64().unwrap(), by_hand(listed(), input, output));
    assert_eq!(usage["priceDate"], "2026-12-07");

    let sse = call(&app, post(r#"{"storyType":"CATS"}"#, Some("text/event-stream"))).await.text();
    let last = sse.split("\n\n").filter(|e| !e.is_empty()).last().unwrap();
    assert!(last.starts_with("event: usage\n"), "{last}");
    assert!(last.contains(r#""costUsd":0.0003575,"priceDate":"2026-12-07"}"#), "{last}");
}

#[tokio::test]
async fn a_conversation_s_usage_carries_its_cost_in_both_shapes() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &vars());
    let messages = json!([{"role": "user", "content": "Tell me about owls."}]);

    let chat = call(&app, chat_request("/chat", json!({"messages": messages}))).await.events();
    let usage = chat.last().unwrap();
    let (input, output) = (usage["inputTokens"].as_u64().unwrap(), usage["outputTokens"].as_u64().unwrap());
    assert_costs(usage["costUsd"].as_f64().unwrap(), by_hand(listed(), input, output));

    let body = json!({"model": "listed", "messages": messages});
    let completion: Value =
        serde_json::from_str(&call(&app, chat_request("/v1/chat/completions", body)).await.text()).unwrap();
    let usage = &completion["usage"];
    let (prompt, completion_tokens) =
        (usage["prompt_tokens"].as_u64().unwrap(), usage["completion_tokens"].as_u64().unwrap());
    assert_costs(usage["cost_usd"].as_f64().unwrap(), by_hand(listed(), prompt, completion_tokens));
    assert_eq!(usage["price_date"], "2026-12-07");
    assert_eq!(usage["total_tokens"].as_u64(), Some(prompt + completion_tokens), "OpenAI's own fields unchanged");
}

#[tokio::test]
async fn an_alias_s_own_price_replaces_the_table_s() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &vars());

    let usage = call(&app, post(r#"{"storyType":"CATS","model":"own"}"#, None)).await.events().pop().unwrap();
    let (input, output) = (usage["inputTokens"].as_u64().unwrap(), usage["outputTokens"].as_u64().unwrap());
    // 25 × $2 + 60 × $8 = $530 per million tokens.
    assert_eq!(usage["costUsd"], json!(0.00053), "{usage}");
    assert_costs(usage["costUsd"].as_f64().unwrap(), by_hand((2.0, 8.0), input, output));
    assert_eq!(usage["priceDate"], "2026-12-01");
}

#[tokio::test]
async fn a_model_without_a_price_gets_no_cost_field_never_zero() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &vars());

    let got = call(&app, post(r#"{"storyType":"CATS","model":"unpriced"}"#, None)).await;
    let usage = got.events().pop().unwrap();
    assert_eq!(usage["type"], "usage");
    assert!(usage["outputTokens"].as_u64().unwrap() > 0, "{usage}");
    assert_eq!((usage.get("costUsd"), usage.get("priceDate")), (None, None), "{usage}");

    let body = json!({"model": "unpriced", "messages": [{"role": "user", "content": "Hi"}]});
    let completion: Value =
        serde_json::from_str(&call(&app, chat_request("/v1/chat/completions", body)).await.text()).unwrap();
    assert!(completion["usage"]["prompt_tokens"].is_u64());
    assert_eq!(completion["usage"].get("cost_usd"), None, "{completion}");
}
