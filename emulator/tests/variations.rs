//! Streams that succeed but differ from the plain story, and streams the SDK cannot read, as the
//! real SDK sees them: thinking, cached input, missing parts, a body that stays open, an empty
//! first delta, an undecodable frame and an exception type the SDK does not know.

mod common;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ConverseStreamOutput as Event, ReasoningContentBlockDelta};
use bedrock_emulator::{CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, EMPTY_DELTA_LEAD, EmulatorConfig, ExchangeOutcome};
use common::{client, converse, emulator, receive, start};
use std::time::Duration;

fn metadata(events: &[Event]) -> Option<&aws_sdk_bedrockruntime::types::ConverseStreamMetadataEvent> {
    events.iter().find_map(|event| match event {
        Event::Metadata(metadata) => Some(metadata),
        _ => None,
    })
}

#[tokio::test]
async fn a_thinking_model_streams_reasoning_then_a_signature_then_the_story() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let received = receive(converse(&client, "fault_reasoning about: owls").send().await.unwrap()).await;

    assert!(received.error.is_none(), "{:?}", received.error);
    let mut reasoning = String::new();
    let mut signatures = 0;
    let mut first_text_block = None;
    for event in &received.events {
        let Event::ContentBlockDelta(delta) = event else { continue };
        match delta.delta() {
            Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text))) => {
                assert_eq!((delta.content_block_index(), signatures, first_text_block), (0, 0, None));
                reasoning.push_str(text);
            }
            Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(signature))) => {
                assert!(!signature.is_empty());
                signatures += 1;
            }
            Some(ContentBlockDelta::Text(_)) => {
                first_text_block.get_or_insert(delta.content_block_index());
            }
            other => panic!("unexpected delta {other:?}"),
        }
    }
    assert!(reasoning.starts_with("The user wants a story about owls."), "{reasoning}");
    assert_eq!(signatures, 1);
    assert_eq!(first_text_block, Some(1), "the story is the second content block");
    assert!(received.text().starts_with("Once upon a time there was a story about owls."));
    let usage = metadata(&received.events).unwrap().usage().unwrap();
    let reasoning_tokens = reasoning.split_whitespace().count() as i32;
    assert_eq!(usage.output_tokens(), 60 + reasoning_tokens, "thinking is billed as output");
}

#[tokio::test]
async fn the_cache_fault_reports_cached_input_in_usage() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let received = receive(converse(&client, "fault_cache about: pantries").send().await.unwrap()).await;

    let usage = metadata(&received.events).unwrap().usage().unwrap();
    assert_eq!(usage.cache_read_input_tokens(), Some(CACHE_READ_TOKENS as i32));
    assert_eq!(usage.cache_write_input_tokens(), Some(CACHE_WRITE_TOKENS as i32));
    assert_eq!(
        usage.total_tokens(),
        usage.input_tokens() + usage.output_tokens() + (CACHE_READ_TOKENS + CACHE_WRITE_TOKENS) as i32
    );
}

#[tokio::test]
async fn plain_usage_has_no_cache_counts_and_no_metrics_leaves_out_latency() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let plain = receive(converse(&client, "about: maps").send().await.unwrap()).await;
    let without_metrics = receive(converse(&client, "fault_no_metrics about: maps").send().await.unwrap()).await;

    let plain = metadata(&plain.events).unwrap();
    assert_eq!(plain.usage().unwrap().cache_read_input_tokens(), None);
    assert!(plain.metrics().is_some());
    let without_metrics = metadata(&without_metrics.events).unwrap();
    // The Rust SDK fills a required member that is missing with its default (smithy's client
    // error correction), so a missing `metrics` reads as `latencyMs: 0`, not as `None`.
    assert_eq!(without_metrics.metrics().map(|m| m.latency_ms()), Some(0));
    assert_eq!(without_metrics.usage().unwrap().output_tokens(), 60);
}

#[tokio::test]
async fn an_empty_first_delta_comes_well_before_the_first_word() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let received = receive(converse(&client, "fault_empty_first_delta about: dawn").send().await.unwrap()).await;

    let deltas = received.deltas();
    assert_eq!(deltas[..2], ["", "Once"]);
    assert_eq!(deltas.len(), 61);
    // The first word's deadline is a lower bound; how late a busy machine sends the empty delta is
    // not asserted.
    let request = &emulator.requests()[0];
    assert!(request.delta_times[1] >= request.received_at + EMPTY_DELTA_LEAD);
}

#[tokio::test]
async fn without_metadata_the_body_ends_after_message_stop() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let received = receive(converse(&client, "fault_no_metadata about: endings").send().await.unwrap()).await;

    assert!(received.error.is_none(), "{:?}", received.error);
    assert!(matches!(received.events.last(), Some(Event::MessageStop(_))), "{:?}", received.events.last());
    assert!(metadata(&received.events).is_none());
    assert_eq!(received.deltas().len(), 60);
    assert!(matches!(emulator.requests()[0].outcome, ExchangeOutcome::Completed { .. }));
}

#[tokio::test]
async fn a_lingering_body_stays_open_after_metadata_until_the_client_leaves() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let mut output = converse(&client, "fault_linger about: doors").send().await.unwrap();
    while !matches!(output.stream.recv().await.unwrap(), Some(Event::Metadata(_))) {}
    let next = tokio::time::timeout(Duration::from_millis(300), output.stream.recv()).await;
    assert!(next.is_err(), "nothing follows metadata, and the body does not end: {next:?}");
    assert_eq!(emulator.requests()[0].outcome, ExchangeOutcome::Streaming);

    drop(output);
    let left = emulator
        .wait_for(Duration::from_secs(2), |r| matches!(r[0].outcome, ExchangeOutcome::ClientDisconnected { .. }))
        .await;
    assert!(left, "the client leaving is recorded like for other faults");
}

#[tokio::test]
async fn a_bad_frame_is_a_decoding_error_after_the_deltas() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let received = receive(converse(&client, "fault_bad_frame about: static").send().await.unwrap()).await;

    assert_eq!(received.deltas(), ["Once", " upon", " a"]);
    let error = received.error.expect("the stream ends in an error");
    assert!(error.as_service_error().is_none(), "not a Bedrock error but an unreadable stream: {error:?}");
    assert!(matches!(error, SdkError::ResponseError(_)), "{error:?}");
    assert_eq!(emulator.requests()[0].outcome, ExchangeOutcome::Failed);
}

#[tokio::test]
async fn an_exception_type_the_sdk_does_not_model_is_an_unhandled_stream_error() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator).await;

    let received = receive(converse(&client, "fault_unknown_exception about: novelty").send().await.unwrap()).await;

    assert_eq!(received.deltas().len(), 3);
    let error = received.service_error().expect("a stream error");
    let modelled = matches!(
        error,
        ConverseStreamOutputError::InternalServerException(_)
            | ConverseStreamOutputError::ModelStreamErrorException(_)
            | ConverseStreamOutputError::ServiceUnavailableException(_)
            | ConverseStreamOutputError::ThrottlingException(_)
            | ConverseStreamOutputError::ValidationException(_)
    );
    assert!(!modelled, "{error:?}");
    assert_eq!(error.message(), Some("Something new went wrong inside Bedrock."));
    assert_eq!(emulator.requests().len(), 1, "never retried");
}
