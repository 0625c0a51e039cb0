//! The handler against the Bedrock emulator through the real AWS SDK: what callers receive for a
//! story, for each Bedrock fault, for a stalled stream and when they leave early.

mod support;

use std::time::Duration;

use bedrock_emulator::{EmulatorConfig, Fault, Models};
use bedrock_streamer::service::Request;
use http_body_util::BodyExt;
use support::in_process::*;
use support::*;

const CATS: &str = r#"{"storyType":"CATS"}"#;

/// Claude 3 Haiku: the end-of-life model the Strict emulator refuses in us-east-1.
const HAIKU_3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// A model that does not think first (unlike the default, Claude Haiku 5.5): its stream is the
/// story's text alone, one event per token.
const PLAIN: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

/// Two aliases: a plain one, and one with its own limits, reasoning shown and a thinking setting.
const MODELS: &str = r#"{
    "fast": {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "temperature": 0.25},
    "smart": {"modelId": "us.anthropic.claude-haiku-5-5", "maxTokens": 900, "maxTokensCap": 4000, "topP": 0.5,
              "reasoning": "show", "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}}
}"#;

#[tokio::test]
async fn a_story_streams_as_ndjson_events_from_start_to_usage() {
    // Paced, so Bedrock's latencyMs is not 0 (which is how the SDK shows a latency Bedrock did not send).
    let emulator = emulator(EmulatorConfig { token_interval: Duration::from_millis(1), ..Default::default() }).await;
    let app = app(&emulator, &[("STREAMER_MODEL_ID", PLAIN)]);

    let got = call(&app, post(CATS, None)).await;

    assert_eq!((got.status, got.content_type.as_str()), (200, "application/x-ndjson; charset=utf-8"));
    let events = got.events();
    let kinds = types(&events);
    assert_eq!(kinds.first(), Some(&"start"));
    assert_eq!(&kinds[kinds.len() - 2..], ["stop", "usage"]);
    assert!(kinds[1..kinds.len() - 2].iter().all(|k| *k == "text"), "{kinds:?}");
    assert_eq!(events[0]["model"], PLAIN);
    assert!(events[0]["bedrockRequestId"].is_string(), "Bedrock's request id is passed on: {}", events[0]);
    assert_eq!(events[kinds.len() - 2]["reason"], "end_turn");
    let usage = &events[kinds.len() - 1];
    assert_eq!(usage["outputTokens"].as_u64(), Some(kinds.len() as u64 - 3), "one text event per token");
    assert!(usage["inputTokens"].as_u64().unwrap() > 0 && usage["latencyMs"].is_u64(), "{usage}");
    assert!(got.story().contains("CATS"), "the story is about what was asked: {}", got.story());
}

#[tokio::test]
async fn bedrock_receives_the_rendered_prompt_and_the_configured_call() {
    let emulator = fast_emulator().await;
    let app = app(
        &emulator,
        &[
            ("STREAMER_MODEL_ID", "us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            ("STREAMER_TEMPERATURE", "0.25"),
            ("STREAMER_TOP_P", "0.5"),
            ("STREAMER_SYSTEM_PROMPT", "You write for children."),
            ("STREAMER_TEMPLATES", r#"{"owls": "Write a fable about {storyType}."}"#),
        ],
    );

    assert_eq!(call(&app, post(r#"{"storyType":"Owls","maxTokens":7}"#, None)).await.status, 200);
    assert_eq!(call(&app, post(CATS, None)).await.status, 200);

    let [owls, cats] = emulator.requests().try_into().expect("two Bedrock calls");
    assert_eq!(owls.model_id, "us.anthropic.claude-3-5-haiku-20241022-v1:0", "the id survives path encoding");
    assert_eq!(owls.prompt, "Write a fable about Owls.");
    assert_eq!(owls.system.as_deref(), Some("You write for children."));
    assert_eq!((owls.max_tokens, owls.temperature, owls.top_p), (Some(7), Some(0.25), Some(0.5)));
    assert!(owls.signed, "requests are SigV4-signed");
    assert_eq!(cats.prompt, default_prompt("CATS"));
    assert_eq!(cats.max_tokens, Some(512), "the configured default");
}

#[tokio::test]
async fn a_story_type_of_any_script_reaches_bedrock_in_nfc() {
    let emulator = fast_emulator().await;
    let app = app(
        &emulator,
        &[
            ("STREAMER_TEMPLATES", r#"{"café": "A story set in a {storyType}"}"#),
            ("STREAMER_ALLOWED_STORY_TYPES", "बिल्ली,ไก่,CAFÉ,می\u{200c}خواهم"),
        ],
    );
    let sent = ["बिल्ली", "ไก่", "cafe\u{301}", "می\u{200c}خواهم"];
    for story_type in sent {
        let body = serde_json::json!({ "storyType": story_type }).to_string();
        assert_eq!(call(&app, post(body, None)).await.status, 200, "{story_type}");
    }

    let prompts: Vec<String> = emulator.requests().into_iter().map(|r| r.prompt).collect();
    assert_eq!(
        prompts,
        [
            default_prompt("बिल्ली"),
            default_prompt("ไก่"),
            "A story set in a caf\u{e9}".to_owned(),
            default_prompt("می\u{200c}خواهم"),
        ]
    );
}

#[tokio::test]
async fn the_request_s_model_alias_decides_what_bedrock_receives() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[("STREAMER_MODELS", MODELS), ("STREAMER_DEFAULT_MODEL", "fast")]);

    let smart = call(&app, post(r#"{"storyType":"CATS","model":"smart"}"#, None)).await;
    let fast = call(&app, post(r#"{"storyType":"CATS","maxTokens":7}"#, None)).await;

    assert_eq!((smart.status, fast.status), (200, 200));
    let start = &smart.events()[0];
    assert_eq!(
        (start["model"].as_str(), start["modelAlias"].as_str()),
        (Some("us.anthropic.claude-haiku-5-5"), Some("smart"))
    );
    assert_eq!(fast.events()[0]["modelAlias"], "fast", "no \"model\": the default alias");
    let [smart, fast] = emulator.requests().try_into().expect("two Bedrock calls");
    assert_eq!(smart.model_id, "us.anthropic.claude-haiku-5-5");
    assert_eq!((smart.max_tokens, smart.temperature, smart.top_p), (Some(900), None, Some(0.5)));
    assert_eq!(
        smart.additional_model_request_fields,
        Some(serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": 1024}})),
        "passed to ConverseStream as given"
    );
    assert_eq!(fast.model_id, "anthropic.claude-3-haiku-20240307-v1:0");
    assert_eq!((fast.max_tokens, fast.temperature, fast.top_p), (Some(7), Some(0.25), None));
    assert_eq!(fast.additional_model_request_fields, None);
}

#[tokio::test]
async fn a_model_not_configured_is_400_listing_the_aliases_and_never_reaches_bedrock() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[("STREAMER_MODELS", MODELS), ("STREAMER_DEFAULT_MODEL", "fast")]);

    let got = call(&app, post(r#"{"storyType":"CATS","model":"huge"}"#, None)).await;
    let over_cap = call(&app, post(r#"{"storyType":"CATS","model":"fast","maxTokens":3000}"#, None)).await;

    assert_eq!(got.status, 400);
    let body: serde_json::Value = serde_json::from_str(&got.text()).unwrap();
    assert_eq!(body["code"], "model_not_allowed");
    assert_eq!(body["message"], "model \"huge\" is not offered here; choose one of: fast, smart");
    assert_eq!(over_cap.status, 400, "fast keeps the stack's cap (2048); smart's 4000 is its own");
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn get_models_lists_the_aliases_and_other_paths_are_404() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[("STREAMER_MODELS", MODELS), ("STREAMER_DEFAULT_MODEL", "fast")]);
    let get = |path: &str| request(http::Method::GET, path);

    let listing = call(&app, get("/models")).await;
    let other = call(&app, get("/stories")).await;

    assert_eq!((listing.status, listing.content_type.as_str()), (200, "application/json"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&listing.text()).unwrap(),
        serde_json::json!({
            "defaultModel": "fast",
            "models": [
                {"alias": "fast", "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "maxTokens": 512, "maxTokensCap": 2048, "reasoning": "hide"},
                {"alias": "smart", "modelId": "us.anthropic.claude-haiku-5-5", "maxTokens": 900, "maxTokensCap": 4000, "reasoning": "show"},
            ],
        })
    );
    assert_eq!((other.status, other.events()[0]["code"].as_str()), (404, Some("not_found")));
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn max_tokens_ends_the_story_with_reason_max_tokens() {
    let emulator = fast_emulator().await;
    let got = call(&app(&emulator, &[]), post(r#"{"storyType":"CATS","maxTokens":5}"#, None)).await;
    let events = got.events();
    assert_eq!(events.iter().filter(|e| e["type"] == "text").count(), 5);
    assert_eq!(events.iter().find(|e| e["type"] == "stop").unwrap()["reason"], "max_tokens");
}

#[tokio::test]
async fn server_sent_events_carry_the_same_events() {
    let emulator = fast_emulator().await;
    let got = call(&app(&emulator, &[]), post(CATS, Some("text/event-stream"))).await;

    assert_eq!((got.status, got.content_type.as_str()), (200, "text/event-stream"));
    let text = got.text();
    let messages: Vec<&str> = text.split_terminator("\n\n").collect();
    assert!(messages.len() > 4);
    for message in &messages {
        let name = message.lines().next().and_then(|l| l.strip_prefix("event: ")).expect("event line");
        let data = message.lines().last().and_then(|l| l.strip_prefix("data: ")).expect("data line");
        let json: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(json["type"], name);
    }
    // The first event sets the reconnection delay; only the last carries an id, which a client
    // that reconnects sends back as Last-Event-ID (answered 204, see function_url.rs).
    assert!(messages[0].starts_with("event: start\nretry: 5000\ndata: "), "{}", messages[0]);
    assert!(messages.last().unwrap().starts_with("event: usage\nid: end\ndata: "));
    assert_eq!(text.matches("\nid: ").count(), 1);
}

/// A model that thinks before its first word (reasoning hidden, the default) is silent to the
/// caller; after STREAMER_KEEP_ALIVE_SECS of silence a keep-alive goes out, so that a proxy with an
/// idle timeout does not cut the stream: a `ping` event in NDJSON, a comment line in SSE.
#[tokio::test]
async fn a_model_thinking_in_silence_gets_keep_alives_until_its_first_word() {
    let emulator =
        emulator(EmulatorConfig { first_token_delay: Duration::from_millis(2500), ..Default::default() }).await;
    let app = app(&emulator, &[("STREAMER_KEEP_ALIVE_SECS", "1")]);

    emulator.script([Fault::Reasoning]);
    let events = call(&app, post(CATS, None)).await.events();
    let kinds = types(&events);
    let first_text = kinds.iter().position(|k| *k == "text").expect("the story came");
    assert!(kinds[1..first_text].contains(&"ping"), "a ping while the model thought: {kinds:?}");
    assert!(kinds[1..first_text].iter().all(|k| *k == "ping"), "nothing else before the story: {kinds:?}");
    assert_eq!(events[1], serde_json::json!({"type": "ping"}), "a ping carries its type only");
    assert_eq!(kinds.last(), Some(&"usage"));

    emulator.script([Fault::Reasoning]);
    let sse = call(&app, post(CATS, Some("text/event-stream"))).await.text();
    let (before_story, _) = sse.split_once("event: text\n").expect("the story came");
    assert!(before_story.contains("\n\n: keep-alive\n\n"), "an SSE comment while the model thought: {sse}");

    let plain = call(&app, post(CATS, Some("text/plain"))).await.text();
    assert!(!plain.contains("ping") && !plain.contains("keep-alive"), "text/plain is the story only: {plain}");
}

#[tokio::test]
async fn plain_text_is_just_the_story() {
    let emulator = fast_emulator().await;
    let got = call(&app(&emulator, &[]), post(CATS, Some("text/plain"))).await;

    assert_eq!((got.status, got.content_type.as_str()), (200, "text/plain; charset=utf-8"));
    let text = got.text();
    assert!(text.contains("CATS") && text.ends_with('\n') && !text.contains('{'), "{text:?}");
}

/// A caller that asked for SSE reads a refusal as SSE too: one `failure` event under the real
/// status, with `retry` and `id`, so an SSE client can read the code and will not ask again.
#[tokio::test]
async fn a_refusal_for_an_sse_caller_is_a_failure_event_under_the_real_status() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::AccessDenied]);
    let app = app(&emulator, &[]);
    let cases = [(CATS, 502, "model_access_denied"), (r#"{"storyType":""}"#, 400, "invalid_story_type")];
    for (body, status, code) in cases {
        let got = call(&app, post(body, Some("text/event-stream"))).await;
        assert_eq!((got.status, got.content_type.as_str()), (status, "text/event-stream"), "{body}");
        let text = got.text();
        let data =
            text.strip_prefix("retry: 5000\nevent: failure\nid: end\ndata: ").and_then(|d| d.strip_suffix("\n\n"));
        let data: serde_json::Value = serde_json::from_str(data.unwrap_or_else(|| panic!("{text:?}"))).unwrap();
        assert_eq!((data["type"].as_str(), data["code"].as_str()), (Some("error"), Some(code)));
    }
    assert_eq!(emulator.request_count(), 1, "the bad request never reached Bedrock");
}

/// Faults Bedrock reports before the stream starts: each is the whole response, with a status
/// and a message that says what to do. Retryable ones are scripted for every SDK attempt.
#[tokio::test]
async fn bedrock_refusals_become_statuses_with_advice() {
    let console = format!("open {MODEL} in the Bedrock console's Model catalog");
    let end_of_life = format!("{MODEL} has reached the end of its life in us-east-1");
    let use_case = format!(
        "(Model use case details have not been submitted for this account. Fill out the Anthropic use case details \
         form before using the model. If you have already filled out the form, try again in 15 minutes.). As an \
         administrator, open {MODEL} in the Bedrock console's Model catalog and submit the use case details"
    );
    let cases: [(Vec<Fault>, u16, &str, &str); 12] = [
        (vec![Fault::Throttling; 3], 429, "throttled", "still was after retries: Too many tokens per day"),
        (vec![Fault::QuotaExceeded], 429, "quota_exceeded", "exceeds the service quota for your account"),
        (vec![Fault::ModelNotReady; 3], 429, "model_not_ready", "retry in a few seconds"),
        (vec![Fault::AccessDenied], 502, "model_access_denied", &console),
        (vec![Fault::Validation], 502, "bedrock_rejected", "use an inference profile id"),
        (vec![Fault::ModelNotFound], 502, "model_not_found", "check the model id"),
        (vec![Fault::EndOfLife], 502, "model_end_of_life", &end_of_life),
        (
            vec![Fault::Legacy],
            502,
            "model_legacy",
            "This Model is marked by provider as Legacy and you have not been actively using the model in the last \
             15 days. Please upgrade to an active model on Amazon Bedrock). Configure an Active model",
        ),
        (vec![Fault::UseCaseRequired], 502, "model_use_case_required", &use_case),
        (vec![Fault::ModelTimeout], 504, "upstream_timeout", "timed out"),
        (
            vec![Fault::ServiceUnavailable; 3],
            502,
            "bedrock_unavailable",
            "Bedrock is unavailable: Bedrock is unable to process your request. Retry later",
        ),
        (
            vec![Fault::InternalError; 3],
            502,
            "bedrock_internal_error",
            "Bedrock failed with an internal error: The system encountered an unexpected error during processing.",
        ),
    ];
    for (script, status, code, advice) in cases {
        let emulator = fast_emulator().await;
        emulator.script(script.clone());
        let got = call(&app(&emulator, &[]), post(CATS, None)).await;

        assert_eq!((got.status, got.content_type.as_str()), (status, "application/json"), "{script:?}");
        let body: serde_json::Value = serde_json::from_str(&got.text()).unwrap();
        assert_eq!((body["type"].as_str(), body["code"].as_str()), (Some("error"), Some(code)), "{script:?}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(advice), "{script:?}: {message}");
        assert_eq!(emulator.request_count(), script.len(), "{script:?}: SDK attempts");
    }
}

#[tokio::test]
async fn throttling_once_recovers_through_the_sdk_retry() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Throttling]);

    let got = call(&app(&emulator, &[]), post(CATS, None)).await;

    assert_eq!(got.status, 200);
    assert_eq!(types(&got.events()).last(), Some(&"usage"), "the whole story arrives");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].fault, Some(Fault::Throttling));
}

/// Faults after the stream started: the story so far, then an `error` event as the last line.
#[tokio::test]
async fn mid_stream_failures_end_the_stream_with_an_error_event() {
    let cases = [
        (Fault::MidStreamModelError { after_tokens: 3 }, "model_stream_error", "the model stream failed"),
        (Fault::MidStreamThrottling { after_tokens: 3 }, "throttled", "Bedrock is throttling requests"),
        // Bedrock's documented stream exceptions, each by name: an outage and a rejection read apart.
        (
            Fault::MidStreamInternal { after_tokens: 3 },
            "bedrock_internal_error",
            "Bedrock failed with an internal error while streaming the story: The system encountered an unexpected \
             error during processing. Try your request again. A new request may succeed",
        ),
        (
            Fault::MidStreamUnavailable { after_tokens: 3 },
            "bedrock_unavailable",
            "Bedrock is unavailable while streaming the story: Bedrock is unable to process your request. Retry later",
        ),
        (
            Fault::MidStreamValidation { after_tokens: 3 },
            "bedrock_rejected",
            "Bedrock rejected the request for us.anthropic.claude-haiku-4-5-20251001-v1:0: Input validation failed.",
        ),
        (Fault::UnknownException { after_tokens: 3 }, "upstream_error", "does not know, someNewException: "),
        (Fault::BadFrame { after_tokens: 3 }, "upstream_incomplete", "a frame that could not be decoded"),
        (Fault::Drop { after_tokens: 3 }, "upstream_incomplete", "ended"),
        (Fault::Truncate { after_tokens: 3 }, "upstream_incomplete", "ended"),
    ];
    for (fault, code, says) in cases {
        let emulator = fast_emulator().await;
        emulator.script([fault]);
        // A model that does not think first, so the three tokens before the fault are text.
        let got = call(&app(&emulator, &[("STREAMER_MODEL_ID", PLAIN)]), post(CATS, None)).await;

        assert_eq!(got.status, 200, "{fault:?}: the status was sent when the stream began");
        let events = got.events();
        assert_eq!(types(&events), ["start", "text", "text", "text", "error"], "{fault:?}");
        assert_eq!(events[4]["code"], code, "{fault:?}: {}", events[4]);
        assert!(events[4]["message"].as_str().unwrap().contains(says), "{fault:?}: {}", events[4]);
    }
}

#[tokio::test]
async fn plain_text_ends_a_failed_story_with_an_error_line() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::MidStreamModelError { after_tokens: 2 }]);
    let text = call(&app(&emulator, &[]), post(CATS, Some("text/plain"))).await.text();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("[error model_stream_error: ") && last.ends_with(']'), "{text:?}");
}

#[tokio::test]
async fn a_story_type_can_pick_a_fault_through_the_prompt() {
    let emulator = fast_emulator().await;
    let got = call(&app(&emulator, &[]), post(r#"{"storyType":"fault_access_denied"}"#, None)).await;
    assert_eq!(got.status, 502);
}

#[tokio::test]
async fn a_stalled_stream_ends_with_a_timeout_event_at_the_deadline() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Stall { after_tokens: 2 }]);

    let got = call(&app(&emulator, &[("STREAMER_DEADLINE_SECS", "1")]), post(CATS, None)).await;

    let events = got.events();
    assert_eq!(types(&events), ["start", "text", "text", "error"]);
    assert_eq!(events[3]["code"], "timeout");
    assert_eq!(events[3]["message"], "the answer did not finish within 1 s");
    assert!(upstream_closed(&emulator).await, "the stalled Bedrock stream is closed, not left open");
}

/// The guarantee the stack relies on (it sets STREAMER_DEADLINE_SECS to the Lambda timeout): the
/// caller has the `timeout` event and the end of the body before Lambda's own deadline for the
/// invocation, because the handler stops 0.5 s ahead of it.
#[tokio::test]
async fn the_timeout_event_is_written_before_lambda_s_own_deadline() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Stall { after_tokens: 2 }]);
    let app = app(&emulator, &[("STREAMER_DEADLINE_SECS", "2")]);
    let lambda_deadline = std::time::SystemTime::now() + Duration::from_secs(2);
    let lambda_deadline_at = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut req = post(CATS, None);
    req.invocation.deadline_ms =
        Some(lambda_deadline.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64);

    let got = call(&app, req).await;

    let events = got.events();
    assert_eq!(types(&events), ["start", "text", "text", "error"]);
    assert_eq!(events[3]["code"], "timeout");
    let (ended, _) = got.chunks.last().unwrap();
    assert!(*ended < lambda_deadline_at, "the body ended {:?} after Lambda's deadline", *ended - lambda_deadline_at);
}

#[tokio::test]
async fn a_stream_still_running_at_the_deadline_ends_with_a_timeout_event() {
    // Paced to last 10 s, against a 1 s deadline: long in time, not in words, so the emulator plans
    // it at once even on a loaded machine (a 300,000-word story took it over a second to plan there,
    // and the call timed out before the stream began).
    let emulator =
        emulator(EmulatorConfig { token_interval: Duration::from_millis(20), story_words: 500, ..Default::default() })
            .await;
    let app = app(&emulator, &[("STREAMER_DEADLINE_SECS", "1")]);

    let events = call(&app, post(CATS, None)).await.events();

    let last = events.last().unwrap();
    assert_eq!((last["type"].as_str(), last["code"].as_str()), (Some("error"), Some("timeout")), "{last}");
    let texts = events.iter().filter(|e| e["type"] == "text").count();
    assert!((1..500).contains(&texts), "the story began and was cut at the deadline: {texts} text events");
    assert!(upstream_closed(&emulator).await);
}

#[tokio::test]
async fn bedrock_not_answering_before_the_deadline_is_504() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Hang]);

    let got = call(&app(&emulator, &[("STREAMER_DEADLINE_SECS", "1")]), post(CATS, None)).await;

    assert_eq!((got.status, got.content_type.as_str()), (504, "application/json"));
    let body: serde_json::Value = serde_json::from_str(&got.text()).unwrap();
    assert_eq!(body["code"], "upstream_timeout");
    assert_eq!(body["message"], "Bedrock did not answer within 1 s");
    assert!(upstream_closed(&emulator).await, "the abandoned call's connection is closed");
}

#[tokio::test]
async fn the_caller_leaving_closes_the_bedrock_stream() {
    let emulator =
        emulator(EmulatorConfig { token_interval: Duration::from_millis(20), story_words: 500, ..Default::default() })
            .await;
    let app = app(&emulator, &[]);
    let response = app.handle(post(CATS, None)).await;
    let mut body = response.into_body();
    for _ in 0..3 {
        body.frame().await.expect("a chunk").unwrap();
    }

    drop(body);

    assert!(upstream_closed(&emulator).await, "Bedrock saw the stream closed: {:?}", emulator.requests()[0].outcome);
    assert!(emulator.requests()[0].delta_times.len() < 500, "the rest of the story was never generated");
}

#[tokio::test]
async fn bad_requests_are_answered_without_calling_bedrock() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, &[("STREAMER_ALLOWED_STORY_TYPES", "CATS,DOGS"), ("STREAMER_MAX_TOKENS_CAP", "1000")]);
    // GET / is the story page and POST / a story; /stories is no route at all.
    let cases = [
        (request(http::Method::GET, "/stories"), 404, "not_found"),
        (request(http::Method::PUT, "/"), 405, "method_not_allowed"),
        (Request { path: "/models".into(), ..post(CATS, None) }, 405, "method_not_allowed"),
        (post(r#"{"storyType":"OWLS"}"#, None), 400, "story_type_not_allowed"),
        (post(r#"{"storyType":"CATS","maxTokens":1001}"#, None), 400, "invalid_max_tokens"),
        (post(CATS, Some("image/png")), 406, "not_acceptable"),
        (post("not json", None), 400, "invalid_json"),
    ];
    for (req, status, code) in cases {
        let got = call(&app, req).await;
        assert_eq!(got.status, status, "{code}");
        let body: serde_json::Value = serde_json::from_str(&got.text()).unwrap();
        assert_eq!(body["code"], code);
    }
    assert_eq!(emulator.request_count(), 0);
}

/// What Bedrock's stream may legitimately vary in, and what the caller gets for each: never an
/// empty event, and always exactly one `usage` (with only the counts Bedrock sent) at the end.
#[tokio::test]
async fn an_empty_first_delta_is_not_relayed() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::EmptyFirstDelta]);
    let events = call(&app(&emulator, &[]), post(CATS, None)).await.events();
    let texts: Vec<&serde_json::Value> = events.iter().filter(|e| e["type"] == "text").collect();
    assert!(!texts.is_empty() && texts.iter().all(|e| e["message"] != ""), "{events:?}");
}

#[tokio::test]
async fn a_stream_without_metadata_still_ends_with_usage() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::NoMetadata]);
    let events = call(&app(&emulator, &[]), post(CATS, None)).await.events();
    assert_eq!(&types(&events)[events.len() - 2..], ["stop", "usage"]);
    assert_eq!(events.last().unwrap(), &serde_json::json!({"type": "usage"}), "no counts it does not have");
}

#[tokio::test]
async fn usage_ends_the_response_even_when_bedrock_keeps_its_body_open() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Linger]);
    // The deadline would end a stream still waiting on Bedrock with a timeout event.
    let got = call(&app(&emulator, &[("STREAMER_DEADLINE_SECS", "2")]), post(CATS, None)).await;

    let events = got.events();
    assert_eq!(types(&events).last(), Some(&"usage"), "nothing follows usage: {events:?}");
    assert!(upstream_closed(&emulator).await, "the Bedrock stream was dropped");
}

#[tokio::test]
async fn usage_carries_cache_counts_and_leaves_out_latency_bedrock_did_not_send() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Cache, Fault::NoMetrics]);
    let app = app(&emulator, &[]);

    let cached = call(&app, post(CATS, None)).await.events().pop().unwrap();
    assert_eq!(
        (cached["cacheReadInputTokens"].as_u64(), cached["cacheWriteInputTokens"].as_u64()),
        (Some(4096), Some(512))
    );
    assert!(cached["totalTokens"].as_u64() > cached["outputTokens"].as_u64(), "{cached}");

    let no_metrics = call(&app, post(CATS, None)).await.events().pop().unwrap();
    assert_eq!(no_metrics["type"], "usage");
    assert!(no_metrics.get("latencyMs").is_none() && no_metrics["outputTokens"].is_u64(), "{no_metrics}");
}

#[tokio::test]
async fn reasoning_is_dropped_by_default() {
    let emulator = fast_emulator().await;
    emulator.script([Fault::Reasoning]);
    let events = call(&app(&emulator, &[]), post(CATS, None)).await.events();
    assert!(!types(&events).contains(&"reasoning"), "{events:?}");
    assert!(types(&events).contains(&"text"));
}

/// Bedrock's refusals that depend on the model id, from the emulator's model catalog.
#[tokio::test]
async fn a_model_that_takes_temperature_or_top_p_says_which_setting_to_drop() {
    let emulator = fast_emulator().await;
    let app = app(
        &emulator,
        &[
            ("STREAMER_MODEL_ID", "us.anthropic.claude-haiku-5-5"),
            ("STREAMER_TEMPERATURE", "0.5"),
            ("STREAMER_TOP_P", "0.9"),
        ],
    );

    let got = call(&app, post(CATS, None)).await;

    assert_eq!(got.status, 502);
    let body: serde_json::Value = serde_json::from_str(&got.text()).unwrap();
    assert_eq!(body["code"], "bedrock_rejected");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("`temperature` and `top_p` cannot both be specified"), "{message}");
    assert!(message.contains("unset one of them (STREAMER_TEMPERATURE or STREAMER_TOP_P"), "{message}");
}

#[tokio::test]
async fn a_model_past_its_end_of_life_in_the_region_is_model_end_of_life() {
    let emulator = emulator(EmulatorConfig { models: Models::Strict, ..Default::default() }).await;

    // Claude 3 Haiku, end of life in us-east-1 since 2026-09-10 (the handler's default until then).
    let got = call(&app(&emulator, &[("STREAMER_MODEL_ID", HAIKU_3)]), post(CATS, None)).await;

    assert_eq!(got.status, 502);
    let body: serde_json::Value = serde_json::from_str(&got.text()).unwrap();
    assert_eq!(body["code"], "model_end_of_life");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(&format!("{HAIKU_3} has reached the end of its life in us-east-1")), "{message}");
    assert!(message.contains("pulumi config set modelId") && message.contains("just deploy"), "{message}");
}
