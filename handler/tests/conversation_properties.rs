//! Properties of the conversation routes' request parsing, on generated inputs: whatever the body
//! (any bytes, any JSON, any list of messages), `POST /chat` and `POST /v1/chat/completions` read
//! it without panicking into either a conversation Converse accepts (the user first and last,
//! roles alternating, no blank text, within the stack's limits) or a 4xx naming the problem.

use bedrock_streamer::error::ApiError;
use bedrock_streamer::openai::request as openai;
use bedrock_streamer::request::chat;
use bedrock_streamer::request::conversation::{ChatLimits, Conversation, Role};
use bedrock_streamer::request::models::{Model, Models};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const LIMITS: ChatLimits = ChatLimits { max_messages: 8, max_message_chars: 24, max_total_chars: 80 };

fn models() -> Models {
    Models::single(Model::new("default", "m", 100, 200))
}

/// Any JSON value, nested a few levels, with the field names both routes read made common.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|x| json!(x)),
        ".{0,12}".prop_map(Value::from),
        select(vec!["user", "assistant", "system", "developer", "tool", "text", "image_url", ""]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = select(vec![
            "messages",
            "role",
            "content",
            "type",
            "text",
            "model",
            "maxTokens",
            "max_tokens",
            "n",
            "stream",
            "stop",
            "tools",
            "temperature",
            "stream_options",
            "include_usage",
            "x",
        ]);
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key, inner), 0..6).prop_map(|fields| Value::Object(
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>()
            )),
        ]
    })
}

/// A message of a known or unknown role, with string or part content, blank or not.
fn message() -> impl Strategy<Value = Value> {
    let role = select(vec!["user", "assistant", "system", "developer", "tool", "wizard"]);
    let text = prop_oneof![Just(String::new()), Just("  ".to_owned()), "[a-zé🦦 ]{1,30}"];
    let content = prop_oneof![
        text.clone().prop_map(Value::from),
        vec(text, 0..3)
            .prop_map(|parts| json!(parts.iter().map(|t| json!({"type": "text", "text": t})).collect::<Vec<_>>())),
    ];
    (role, content).prop_map(|(role, content)| json!({"role": role, "content": content}))
}

/// What Converse requires of a conversation, and the stack's limits.
fn acceptable(conversation: &Conversation) -> Result<(), TestCaseError> {
    let turns = &conversation.turns;
    prop_assert!(!turns.is_empty());
    prop_assert_eq!(turns[0].role, Role::User);
    prop_assert_eq!(turns[turns.len() - 1].role, Role::User);
    prop_assert!(turns.windows(2).all(|pair| pair[0].role != pair[1].role), "roles alternate");
    prop_assert!(turns.iter().all(|turn| !turn.text.trim().is_empty()), "no blank text");
    Ok(())
}

fn refused_as_a_4xx(error: &ApiError) -> Result<(), TestCaseError> {
    prop_assert!(error.status().is_client_error(), "{} {}", error.status(), error);
    prop_assert!(!error.to_string().is_empty());
    Ok(())
}

proptest! {
    #[test]
    fn any_bytes_are_a_conversation_or_a_4xx(body in vec(any::<u8>(), 0..256)) {
        match chat::parse(&body, &models(), LIMITS) {
            Ok(request) => acceptable(&request.conversation)?,
            Err(error) => refused_as_a_4xx(&error)?,
        }
        match openai::parse(&body, &models(), LIMITS) {
            Ok(request) => acceptable(&request.conversation)?,
            Err(error) => refused_as_a_4xx(&error)?,
        }
    }

    #[test]
    fn any_json_is_a_conversation_or_a_4xx(value in any_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        for parsed in [chat::parse(&body, &models(), LIMITS).map(|r| r.conversation),
                       openai::parse(&body, &models(), LIMITS).map(|r| r.conversation)] {
            match parsed {
                Ok(conversation) => acceptable(&conversation)?,
                Err(error) => refused_as_a_4xx(&error)?,
            }
        }
    }

    #[test]
    fn any_list_of_messages_is_one_converse_accepts_or_a_4xx_naming_a_message(messages in vec(message(), 0..10)) {
        let body = serde_json::to_vec(&json!({"messages": messages})).unwrap();
        for parsed in [chat::parse(&body, &models(), LIMITS).map(|r| r.conversation),
                       openai::parse(&body, &models(), LIMITS).map(|r| r.conversation)] {
            match parsed {
                Ok(conversation) => {
                    acceptable(&conversation)?;
                    let chars: usize = messages.iter().map(|m| m.to_string().chars().count()).sum();
                    prop_assert!(messages.len() <= LIMITS.max_messages && chars > 0);
                }
                Err(error) => {
                    refused_as_a_4xx(&error)?;
                    prop_assert!(error.to_string().contains("messages"), "{}", error);
                }
            }
        }
    }
}
