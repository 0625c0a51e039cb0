//! The daily budget's refusal in process, through the real SDK against the emulator, whose
//! CloudWatch stand-in serves `DescribeAlarms` with a state the test sets: while the alarm is in
//! ALARM every route answers 429 `budget_exceeded` in its own error shape and Bedrock gets no call;
//! once it clears, requests are served again; the state is read at most once a minute; a
//! CloudWatch that never answers holds a request only for the read's 2 s limit, then lets it through;
//! and the real binary, wired by `main`, finds the alarm at its endpoint and refuses.

mod support;

use std::time::Duration;

use bedrock_emulator::Emulator;
use bedrock_streamer::bedrock;
use bedrock_streamer::budget::{self, Alarm, Budget};
use bedrock_streamer::service::{App, Request};
use bedrock_streamer::settings::Settings;
use bytes::Bytes;
use serde_json::{Value, json};
use support::fast_emulator;
use support::in_process::{call, post};

const ALARM: &str = "bedrock-streamer-role-0a1b2c3-daily-budget";

/// The handler as `main` builds it with `STREAMER_BUDGET_ACTION=refuse`, reading the alarm from the
/// emulator's stand-in every `read_every`.
fn app(emulator: &Emulator, read_every: Duration) -> App {
    let vars = [("STREAMER_BUDGET_ACTION", "refuse"), ("STREAMER_BUDGET_ALARM", ALARM)];
    let settings = Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    let alarm_name = settings.budget_alarm.clone().expect("refuse names the alarm");
    let client = bedrock::Client::for_endpoint(&emulator.endpoint(), "us-east-1", "AKIDEXAMPLE", "secret");
    let alarm = Alarm::for_endpoint(&alarm_name, &emulator.endpoint(), "us-east-1", "AKIDEXAMPLE", "secret");
    App::new(settings, client).with_budget(Budget::new(alarm, read_every))
}

fn conversation(path: &str, body: Value) -> Request {
    Request {
        method: http::Method::POST,
        path: path.to_owned(),
        body: Bytes::from(serde_json::to_vec(&body).unwrap()),
        ..Request::default()
    }
}

#[tokio::test]
async fn while_the_alarm_is_in_alarm_every_route_is_refused_before_bedrock_and_served_again_when_it_clears() {
    let emulator = fast_emulator().await;
    // Read on every request, so the test sees each change of state at once.
    let app = app(&emulator, Duration::ZERO);
    let messages = json!([{"role": "user", "content": "Hi"}]);

    emulator.set_alarm_state(ALARM, "ALARM");
    let story = call(&app, post(r#"{"storyType":"CATS"}"#, None)).await;
    assert_eq!(story.status, 429);
    let body: Value = serde_json::from_str(&story.text()).unwrap();
    assert_eq!((body["type"].as_str(), body["code"].as_str()), (Some("error"), Some("budget_exceeded")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("daily budget is spent"), "{body}");

    let chat = call(&app, conversation("/chat", json!({"messages": messages}))).await;
    let body: Value = serde_json::from_str(&chat.text()).unwrap();
    assert_eq!((chat.status, body["code"].as_str()), (429, Some("budget_exceeded")));

    let openai =
        call(&app, conversation("/v1/chat/completions", json!({"model": "default", "messages": messages}))).await;
    let body: Value = serde_json::from_str(&openai.text()).unwrap();
    assert_eq!(openai.status, 429);
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["type"].as_str()),
        (Some("budget_exceeded"), Some("insufficient_quota")),
        "OpenAI's error object: {body}"
    );
    let models = call(&app, Request { path: "/models".into(), ..Request::default() }).await;
    assert_eq!(models.status, 200, "the model list, which never calls Bedrock, still answers");
    assert_eq!(emulator.request_count(), 0, "nothing reached Bedrock while the budget was spent");
    assert_eq!(emulator.alarm_reads(), 3, "read through DescribeAlarms, by the three Bedrock routes only");

    emulator.set_alarm_state(ALARM, "OK");
    let served = call(&app, post(r#"{"storyType":"CATS"}"#, None)).await;
    assert_eq!(served.status, 200, "{}", served.text());
    assert_eq!(served.events().last().unwrap()["type"], "usage");
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn the_state_is_read_once_a_minute_and_kept_in_the_instance() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, budget::READ_EVERY);

    emulator.set_alarm_state(ALARM, "OK");
    assert_eq!(call(&app, post(r#"{"storyType":"CATS"}"#, None)).await.status, 200);
    // The alarm goes off within the minute: this instance still has the state it read.
    emulator.set_alarm_state(ALARM, "ALARM");
    assert_eq!(call(&app, post(r#"{"storyType":"DOGS"}"#, None)).await.status, 200);
    assert_eq!(emulator.alarm_reads(), 1, "one DescribeAlarms for two requests within a minute");
}

#[tokio::test]
async fn an_alarm_that_cannot_be_read_lets_requests_through() {
    let emulator = fast_emulator().await;
    let app = app(&emulator, Duration::ZERO);
    // No state set: CloudWatch has no such alarm (as before a first deploy's alarm exists).
    assert_eq!(call(&app, post(r#"{"storyType":"CATS"}"#, None)).await.status, 200);
    assert_eq!(emulator.alarm_reads(), 1);
}

#[tokio::test]
async fn a_cloudwatch_that_never_answers_delays_a_request_by_the_read_timeout_then_lets_it_through() {
    let emulator = fast_emulator().await;
    // Accepts the connection and reads the request, never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            held.push(connection);
            let _ = accepted_tx.send(());
        }
    });
    let vars = [("STREAMER_BUDGET_ACTION", "refuse"), ("STREAMER_BUDGET_ALARM", ALARM)];
    let settings = Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    let client = bedrock::Client::for_endpoint(&emulator.endpoint(), "us-east-1", "AKIDEXAMPLE", "secret");
    let alarm = Alarm::for_endpoint(ALARM, &endpoint, "us-east-1", "AKIDEXAMPLE", "secret");
    let app = App::new(settings, client).with_budget(Budget::new(alarm, budget::READ_EVERY));

    // A guard against a hang only, far above the read's 2 s limit: no speed is asserted.
    let story = tokio::time::timeout(Duration::from_secs(120), call(&app, post(r#"{"storyType":"CATS"}"#, None)))
        .await
        .expect("a silent CloudWatch stalled the request");
    assert_eq!(story.status, 200, "{}", story.text());
    assert!(accepted.try_recv().is_ok(), "the alarm was asked for");
    assert_eq!(emulator.request_count(), 1, "served, as when the alarm cannot be read");
}

/// `main`'s own wiring, not the test's: the real binary under the Runtime API stand-in finds
/// CloudWatch through `AWS_ENDPOINT_URL_CLOUDWATCH` with the credentials Lambda gives in its
/// environment (the alarm's client once panicked there: the SDKs' configuration was loaded without
/// an HTTP client).
#[tokio::test]
async fn the_function_itself_reads_the_alarm_at_its_endpoint_and_refuses_while_it_is_in_alarm() {
    let emulator = fast_emulator().await;
    emulator.set_alarm_state(ALARM, "ALARM");
    let api = support::runtime_api::RuntimeApi::start().await;
    let cloudwatch = emulator.endpoint();
    let function = api.function(
        &emulator,
        &[
            ("STREAMER_BUDGET_ACTION", "refuse"),
            ("STREAMER_BUDGET_ALARM", ALARM),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", cloudwatch.as_str()),
        ],
    );
    let event = support::runtime_api::function_url_event(r#"{"storyType":"CATS"}"#, json!({}));
    let refused = api.invoke(event.to_string().into_bytes()).await.1.streamed();
    assert_eq!(refused.status(), 429, "{}", refused.text());
    assert_eq!(refused.json()["code"], "budget_exceeded");
    assert_eq!((emulator.alarm_reads(), emulator.request_count()), (1, 0), "read once; nothing reached Bedrock");
    drop(function);
}
