//! Model ids: by default every id streams and the known ones behave like their model; with
//! `Models::Strict` each id is answered the way Bedrock answers it in the request's region, read
//! from the SigV4 credential scope.

mod common;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ConverseStreamOutput as Event, InferenceConfiguration};
use aws_smithy_types::Document;
use bedrock_emulator::{EmulatorConfig, Models};
use common::{MODEL_ID, Received, client_in, converse, emulator, receive, start};
use std::collections::HashMap;

const HAIKU_4_5: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const HAIKU_5_5_US: &str = "us.anthropic.claude-haiku-5-5";

fn reasoning_deltas(received: &Received) -> usize {
    let is_reasoning = |event: &Event| matches!(event, Event::ContentBlockDelta(d) if matches!(d.delta(), Some(ContentBlockDelta::ReasoningContent(_))));
    received.events.iter().filter(|event| is_reasoning(event)).count()
}

fn thinking(kind: &str) -> Document {
    let thinking = Document::Object(HashMap::from([("type".to_owned(), Document::String(kind.to_owned()))]));
    Document::Object(HashMap::from([("thinking".to_owned(), thinking)]))
}

#[tokio::test]
async fn by_default_every_id_streams_in_every_region() {
    let emulator = emulator().await;
    let client = client_in(&emulator, "us-east-1").await;

    let received = receive(converse(&client, "about: harbours").send().await.unwrap()).await;

    assert!(received.text().contains("harbours"), "the handler's default model streams in us-east-1");
    let recorded = &emulator.requests()[0];
    assert_eq!((recorded.model_id.as_str(), recorded.region.as_str()), (MODEL_ID, "us-east-1"));
}

#[tokio::test]
async fn strictly_claude_3_haiku_is_end_of_life_in_us_east_1_and_served_in_ca_central_1() {
    let emulator = start(EmulatorConfig { models: Models::Strict, ..Default::default() }).await;

    let us = client_in(&emulator, "us-east-1").await;
    let error = converse(&us, "about: tides").send().await.unwrap_err().into_service_error();
    let ConverseStreamError::ResourceNotFoundException(end_of_life) = &error else { panic!("{error:?}") };
    assert_eq!(
        end_of_life.message(),
        Some(
            "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
        )
    );

    let canada = client_in(&emulator, "ca-central-1").await;
    let received = receive(converse(&canada, "about: tides").send().await.unwrap()).await;
    assert!(received.text().contains("tides"));
    let regions: Vec<_> = emulator.requests().iter().map(|r| (r.region.clone(), r.status)).collect();
    assert_eq!(regions, [("us-east-1".to_owned(), 404), ("ca-central-1".to_owned(), 200)]);
}

#[tokio::test]
async fn strictly_a_profile_only_model_needs_its_inference_profile() {
    let emulator = start(EmulatorConfig { models: Models::Strict, ..Default::default() }).await;
    let client = client_in(&emulator, "us-west-2").await;

    let bare = converse(&client, "about: gulls").model_id(HAIKU_4_5).send().await.unwrap_err().into_service_error();
    let profile = converse(&client, "about: gulls").model_id(format!("us.{HAIKU_4_5}")).send().await;

    assert!(bare.is_validation_exception(), "{bare:?}");
    assert_eq!(
        bare.message(),
        Some(
            "Invocation of model ID anthropic.claude-haiku-4-5-20251001-v1:0 with on-demand throughput isn’t \
             supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        )
    );
    assert!(receive(profile.unwrap()).await.text().contains("gulls"));
}

#[tokio::test]
async fn strictly_end_of_life_and_unknown_ids_are_refused() {
    let emulator = start(EmulatorConfig { models: Models::Strict, ..Default::default() }).await;
    let client = client_in(&emulator, "us-east-1").await;

    let old = converse(&client, "hi").model_id("us.anthropic.claude-3-5-haiku-20241022-v1:0").send().await;
    let unknown = converse(&client, "hi").model_id("anthropic.claude-imaginary").send().await;

    assert!(old.unwrap_err().into_service_error().is_resource_not_found_exception());
    let unknown = unknown.unwrap_err().into_service_error();
    assert!(unknown.is_validation_exception(), "{unknown:?}");
    assert_eq!(unknown.message(), Some("The provided model identifier is invalid."));
    assert!(emulator.requests().iter().all(|r| r.status == 400 || r.status == 404));
}

#[tokio::test]
async fn claude_haiku_5_5_thinks_unless_the_request_turns_thinking_off() {
    let emulator = emulator().await;
    let client = client_in(&emulator, "us-east-1").await;

    let by_default = converse(&client, "about: foxes").model_id(HAIKU_5_5_US).send().await.unwrap();
    let turned_off = converse(&client, "about: foxes")
        .model_id(HAIKU_5_5_US)
        .additional_model_request_fields(thinking("disabled"))
        .send()
        .await
        .unwrap();
    let turned_on = converse(&client, "about: foxes").additional_model_request_fields(thinking("enabled"));
    let turned_on = turned_on.model_id(MODEL_ID).send().await.unwrap();

    let by_default = receive(by_default).await;
    assert!(reasoning_deltas(&by_default) > 0);
    assert!(by_default.text().contains("foxes"));
    let turned_off = receive(turned_off).await;
    assert_eq!(reasoning_deltas(&turned_off), 0);
    assert!(turned_off.text().contains("foxes"));
    assert!(reasoning_deltas(&receive(turned_on).await) > 0, "thinking asked for, thinking streamed");
}

#[tokio::test]
async fn current_claude_models_refuse_temperature_with_top_p() {
    let emulator = emulator().await;
    let client = client_in(&emulator, "us-east-1").await;
    let both = InferenceConfiguration::builder().temperature(0.5).top_p(0.9).build();
    let one = InferenceConfiguration::builder().temperature(0.5).build();

    let refused = converse(&client, "hi").model_id(HAIKU_5_5_US).inference_config(both.clone()).send().await;
    let accepted = converse(&client, "hi").model_id(HAIKU_5_5_US).inference_config(one).send().await;
    let older = converse(&client, "hi").model_id(MODEL_ID).inference_config(both).send().await;

    let refused = refused.unwrap_err().into_service_error();
    assert!(refused.is_validation_exception(), "{refused:?}");
    assert_eq!(
        refused.message(),
        Some(
            "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this \
             model. Please use only one."
        )
    );
    assert!(accepted.is_ok());
    assert!(older.is_ok(), "Claude 3 Haiku takes both");
}
