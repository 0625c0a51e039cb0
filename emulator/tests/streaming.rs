//! A successful ConverseStream, as the real SDK sees it and as the emulator records it.

mod common;

use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::types::{
    ConversationRole, ConverseStreamOutput as Event, InferenceConfiguration, StopReason, SystemContentBlock,
};
use bedrock_emulator::{EmulatorConfig, ExchangeOutcome};
use common::{MODEL_ID, client, converse, emulator, receive, start};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_story_streams_as_typed_sdk_events_in_bedrock_order() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let output = converse(&client, "Tell me a bedtime story about: a lighthouse keeper").send().await.unwrap();
    let received = receive(output).await;

    assert!(received.error.is_none(), "{:?}", received.error);
    let events = &received.events;
    assert_eq!(events.len(), 1 + 60 + 3, "messageStart, 60 deltas, contentBlockStop, messageStop, metadata");
    let Event::MessageStart(start) = &events[0] else { panic!("first event: {:?}", events[0]) };
    assert_eq!(start.role(), &ConversationRole::Assistant);
    assert!(events[1..61].iter().all(|e| matches!(e, Event::ContentBlockDelta(d) if d.content_block_index() == 0)));
    let Event::ContentBlockStop(stop) = &events[61] else { panic!("after the deltas: {:?}", events[61]) };
    assert_eq!(stop.content_block_index(), 0);
    let Event::MessageStop(stop) = &events[62] else { panic!("then: {:?}", events[62]) };
    assert_eq!(stop.stop_reason(), &StopReason::EndTurn);
    let Event::Metadata(metadata) = &events[63] else { panic!("last: {:?}", events[63]) };
    let usage = metadata.usage().unwrap();
    assert_eq!(usage.input_tokens(), 9, "one token per prompt word");
    assert_eq!(usage.output_tokens(), 60);
    assert_eq!(usage.total_tokens(), 69);
    assert!(metadata.metrics().is_some_and(|m| m.latency_ms() >= 0));

    let text = received.text();
    assert!(text.starts_with("Once upon a time there was a story about a lighthouse keeper."), "{text}");
    assert_eq!(received.deltas()[1], " upon", "each token is a word with its leading space");

    let recorded = &emulator.requests()[0];
    assert!(matches!(recorded.outcome, ExchangeOutcome::Completed { .. }));
    assert_eq!(recorded.delta_times.len(), 60);
}

#[tokio::test]
async fn without_an_about_marker_the_subject_is_the_last_word() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let output = converse(&client, "Write a short story about dragons.").send().await.unwrap();

    assert!(receive(output).await.text().contains("story about dragons."));
}

#[tokio::test]
async fn max_tokens_cuts_the_story_and_stops_with_max_tokens() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let output = converse(&client, "about: owls")
        .inference_config(InferenceConfiguration::builder().max_tokens(5).build())
        .send()
        .await
        .unwrap();
    let received = receive(output).await;

    assert_eq!(received.text(), "Once upon a time there");
    let stop_reason = received.events.iter().find_map(|e| match e {
        Event::MessageStop(stop) => Some(stop.stop_reason().clone()),
        _ => None,
    });
    assert_eq!(stop_reason, Some(StopReason::MaxTokens));
    let output_tokens = received.events.iter().find_map(|e| match e {
        Event::Metadata(m) => m.usage().map(|u| u.output_tokens()),
        _ => None,
    });
    assert_eq!(output_tokens, Some(5));
}

#[tokio::test]
async fn the_request_is_recorded_as_the_sdk_sent_it() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let output = converse(&client, "A tale about: otters")
        .system(SystemContentBlock::Text("You are a storyteller.".into()))
        .inference_config(InferenceConfiguration::builder().max_tokens(300).temperature(0.7).top_p(0.9).build())
        .send()
        .await
        .unwrap();
    let sdk_request_id = output.request_id().map(str::to_owned);
    receive(output).await;

    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.model_id, MODEL_ID, "the SDK sends ':' as %3A; the emulator decodes it");
    assert_eq!(request.max_tokens, Some(300));
    assert_eq!(request.temperature, Some(0.7));
    assert_eq!(request.top_p, Some(0.9));
    assert_eq!(request.system.as_deref(), Some("You are a storyteller."));
    assert_eq!(request.prompt, "A tale about: otters");
    assert!(request.signed, "the SDK signs with SigV4");
    assert_eq!(request.fault, None);
    assert_eq!(request.status, 200);
    assert_eq!(sdk_request_id.as_deref(), Some(request.request_id.as_str()));
}

#[tokio::test]
async fn deltas_are_paced_by_first_token_delay_and_token_interval() {
    let first_token_delay = Duration::from_millis(150);
    let token_interval = Duration::from_millis(30);
    let emulator =
        start(EmulatorConfig { first_token_delay, token_interval, story_words: 10, ..Default::default() }).await;
    let client = client(&emulator).await;

    let sent = Instant::now();
    let mut output = converse(&client, "about: snails").send().await.unwrap();
    let mut arrivals = Vec::new();
    while let Some(event) = output.stream.recv().await.unwrap() {
        if let Event::ContentBlockDelta(_) = event {
            arrivals.push(sent.elapsed());
        }
    }

    // Deadlines are lower bounds; how late a busy machine runs is not asserted.
    let request = &emulator.requests()[0];
    let times = &request.delta_times;
    assert_eq!(times.len(), 10);
    assert!(times[0] >= request.received_at + first_token_delay);
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
    assert!(times[9] >= request.received_at + first_token_delay + 9 * token_interval);
    assert!(arrivals[0] >= first_token_delay, "the first token reached the SDK after the delay");
    assert!(arrivals[9] - arrivals[0] >= Duration::from_millis(100), "deltas arrive spread out: {arrivals:?}");
}

#[tokio::test]
async fn benchmark_sized_stories_stream_thousands_of_deltas() {
    let emulator = start(EmulatorConfig { story_words: 5000, ..Default::default() }).await;
    let client = client(&emulator).await;

    let output = converse(&client, "about: the sea").send().await.unwrap();
    let received = receive(output).await;

    assert_eq!(received.deltas().len(), 5000);
    assert!(received.text().contains("Chapter 2. Every morning the sea woke"));
}

#[tokio::test]
async fn dropping_the_sdk_stream_records_a_client_disconnect() {
    let token_interval = Duration::from_millis(50);
    let emulator = start(EmulatorConfig { token_interval, ..Default::default() }).await;
    let client = client(&emulator).await;

    let mut output = converse(&client, "about: kites").send().await.unwrap();
    let mut deltas = 0;
    while deltas < 2 {
        if let Event::ContentBlockDelta(_) = output.stream.recv().await.unwrap().unwrap() {
            deltas += 1;
        }
    }
    let left = Instant::now();
    drop(output);

    let disconnected = emulator
        .wait_for(Duration::from_secs(5), |r| matches!(r[0].outcome, ExchangeOutcome::ClientDisconnected { .. }))
        .await;
    assert!(disconnected, "{:?}", emulator.requests()[0].outcome);
    let ExchangeOutcome::ClientDisconnected { at } = emulator.requests()[0].outcome else { unreachable!() };
    assert!(at.saturating_duration_since(left) < Duration::from_millis(200), "noticed {:?} after", at - left);
    tokio::time::sleep(3 * token_interval).await;
    assert!(emulator.requests()[0].delta_times.len() < 60, "the emulator stopped generating");
}
