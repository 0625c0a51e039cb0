//! Multi-turn conversations through the real SDK: every turn reaches the emulator, the echo marker
//! answers with them, stop sequences stop the answer, Bedrock's conversation rules refuse what it
//! refuses, and a fault marker in the last user message applies mid-conversation.

mod common;

use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseStreamOutput as Event, InferenceConfiguration, Message, StopReason,
    SystemContentBlock,
};
use bedrock_emulator::{ECHO_MARKER, Fault, Turn};
use common::*;

fn message(role: ConversationRole, text: &str) -> Message {
    Message::builder().role(role).content(ContentBlock::Text(text.to_owned())).build().unwrap()
}

fn three_turns(last: &str) -> Vec<Message> {
    vec![
        message(ConversationRole::User, "My name is Otto."),
        message(ConversationRole::Assistant, "Hello Otto."),
        message(ConversationRole::User, last),
    ]
}

fn stop_reason(received: &Received) -> Option<StopReason> {
    received.events.iter().find_map(|event| match event {
        Event::MessageStop(stop) => Some(stop.stop_reason.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn the_echo_marker_answers_with_every_turn_the_sdk_sent() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    let output = client
        .converse_stream()
        .model_id(MODEL_ID)
        .set_messages(Some(three_turns(&format!("What is my name? {ECHO_MARKER}"))))
        .system(SystemContentBlock::Text("Be brief.".into()))
        .send()
        .await
        .unwrap();
    let received = receive(output).await;
    assert_eq!(
        received.text(),
        format!(
            "[system] Be brief. [user] My name is Otto. [assistant] Hello Otto. [user] What is my name? {ECHO_MARKER}"
        )
    );
    assert_eq!(stop_reason(&received), Some(StopReason::EndTurn));
    let recorded = &emulator.requests()[0];
    let turn = |role: &str, text: &str| Turn { role: role.into(), text: text.into() };
    assert_eq!(recorded.messages[..2], [turn("user", "My name is Otto."), turn("assistant", "Hello Otto.")]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_stop_sequence_ends_the_answer_with_stop_sequence() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    let inference = InferenceConfiguration::builder().stop_sequences("there").build();
    let output = converse(&client, "about: owls").inference_config(inference).send().await.unwrap();
    let received = receive(output).await;
    assert_eq!(received.text(), "Once upon a time ");
    assert_eq!(stop_reason(&received), Some(StopReason::StopSequence));
    assert_eq!(emulator.requests()[0].stop_sequences, ["there"]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_fault_marker_in_the_last_user_message_strikes_mid_conversation_and_earlier_ones_do_not() {
    let emulator = emulator().await;
    let client = client_without_retries(&emulator).await;
    let history = vec![
        message(ConversationRole::User, "tell me about fault_throttling"),
        message(ConversationRole::Assistant, "Too many tokens."),
        message(ConversationRole::User, "go on fault_midstream_error"),
    ];
    let output = client.converse_stream().model_id(MODEL_ID).set_messages(Some(history)).send().await.unwrap();
    let received = receive(output).await;
    assert_eq!(received.deltas().len(), 3);
    assert!(received.service_error().is_some_and(|e| e.is_model_stream_error_exception()));
    assert_eq!(emulator.requests()[0].fault, Some(Fault::MidStreamModelError { after_tokens: 3 }));
    emulator.shutdown().await;
}

#[tokio::test]
async fn conversations_bedrock_refuses_are_validation_errors() {
    let emulator = emulator().await;
    let client = client_without_retries(&emulator).await;
    let cases = [
        (
            vec![message(ConversationRole::Assistant, "Hi."), message(ConversationRole::User, "Hi.")],
            "must start with a user message",
        ),
        (vec![message(ConversationRole::User, "a"), message(ConversationRole::User, "b")], "must alternate"),
        (vec![message(ConversationRole::User, "  ")], "is blank"),
    ];
    for (messages, want) in cases {
        let error = client.converse_stream().model_id(MODEL_ID).set_messages(Some(messages)).send().await.unwrap_err();
        let Some(ConverseStreamError::ValidationException(e)) = error.as_service_error() else { panic!("{error:?}") };
        assert!(e.message().unwrap_or_default().contains(want), "{e:?}");
    }
    assert_eq!(emulator.request_count(), 3);
    emulator.shutdown().await;
}
