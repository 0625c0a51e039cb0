//! A conversation as this function sends it to Bedrock, whichever route it came by (`POST /chat`,
//! `POST /v1/chat/completions`): the caller's system text and the turns, under the stack's
//! policy. Both routes read `messages` the same way here ([`read_messages`]), then
//! [`Conversation::new`] applies the stack's limits and Converse's shape: Converse requires the
//! first message to be the user's, roles to alternate, no empty text, and the system prompt in
//! `system`, never as a message (Converse API reference, `Message`, read 2026-12-07).

use serde_json::Value;

use crate::error::ApiError;
use crate::request::kind;

/// Who said a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// One turn as Bedrock gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub role: Role,
    pub text: String,
}

/// A message as the caller wrote it, its content read to text; `System` for `system` and
/// `developer` (OpenAI's newer name for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Option<Role>,
    pub text: String,
}

/// The stack's limits on a conversation, in Unicode characters (not bytes); system messages
/// count like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatLimits {
    /// Most messages a request may send (`chatMaxMessages`).
    pub max_messages: usize,
    /// Most characters in one message (`chatMaxMessageChars`).
    pub max_message_chars: usize,
    /// Most characters in all messages together (`chatMaxTotalChars`).
    pub max_total_chars: usize,
}

impl ChatLimits {
    /// Largest request body a conversation within these limits can need: every character written
    /// as a `\uXXXX\uXXXX` surrogate-pair escape (12 bytes), plus 64 KiB for the JSON around the
    /// text and the other fields.
    pub fn max_body_bytes(&self) -> usize {
        self.max_total_chars.saturating_mul(12).saturating_add(64 * 1024)
    }
}

/// A conversation under the stack's policy: it opens and ends with the user, roles alternate
/// (consecutive messages of one role joined by a blank line), and no text is blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The caller's `system` messages, joined by a blank line. Bedrock gets it after the stack's
    /// own system prompt, never instead of it.
    pub system: Option<String>,
    pub turns: Vec<Turn>,
}

impl Conversation {
    /// Applies the stack's policy to the messages a request sent.
    pub fn new(messages: Vec<Message>, limits: ChatLimits) -> Result<Conversation, ApiError> {
        if messages.len() > limits.max_messages {
            return Err(too_large(
                "messages",
                format!("messages holds {} messages; the limit here is {}", messages.len(), limits.max_messages),
            ));
        }
        let mut total = 0usize;
        for (i, message) in messages.iter().enumerate() {
            let chars = message.text.chars().count();
            if chars > limits.max_message_chars {
                return Err(too_large(
                    &format!("messages[{i}].content"),
                    format!(
                        "messages[{i}].content is {chars} characters long; the limit here is {} per message",
                        limits.max_message_chars
                    ),
                ));
            }
            if message.text.trim().is_empty() {
                return Err(invalid(&format!("messages[{i}].content"), format!("messages[{i}].content is empty")));
            }
            total += chars;
        }
        if total > limits.max_total_chars {
            return Err(too_large(
                "messages",
                format!(
                    "the messages are {total} characters long together; the limit here is {}",
                    limits.max_total_chars
                ),
            ));
        }

        let mut system: Vec<String> = Vec::new();
        let mut turns: Vec<Turn> = Vec::new();
        let mut first_turn = None;
        let mut last_turn = None;
        for (i, message) in messages.into_iter().enumerate() {
            let Some(role) = message.role else {
                system.push(message.text);
                continue;
            };
            first_turn.get_or_insert((i, role));
            last_turn = Some((i, role));
            match turns.last_mut() {
                Some(previous) if previous.role == role => {
                    previous.text.push_str("\n\n");
                    previous.text.push_str(&message.text);
                }
                _ => turns.push(Turn { role, text: message.text }),
            }
        }
        match (first_turn, last_turn) {
            (None, _) | (_, None) => {
                return Err(invalid(
                    "messages",
                    "messages must hold at least one user message, such as {\"role\":\"user\",\"content\":\"Hello\"}"
                        .into(),
                ));
            }
            (Some((i, Role::Assistant)), _) => {
                return Err(invalid(
                    &format!("messages[{i}].role"),
                    format!("a conversation opens with the user: messages[{i}], the first turn, is the assistant's"),
                ));
            }
            (_, Some((i, Role::Assistant))) => {
                return Err(invalid(
                    &format!("messages[{i}].role"),
                    format!(
                        "a conversation ends with the user's message, which the model answers: messages[{i}], the \
                         last one, is the assistant's"
                    ),
                ));
            }
            _ => {}
        }
        let system = (!system.is_empty()).then(|| system.join("\n\n"));
        Ok(Conversation { system, turns })
    }

    /// A conversation of one user message (a story's prompt).
    pub fn single(prompt: String) -> Conversation {
        Conversation { system: None, turns: vec![Turn { role: Role::User, text: prompt }] }
    }
}

/// Reads a request's `messages`: a non-empty list of `{"role", "content"}` objects, `content` a
/// string or a list of `{"type":"text","text":…}` parts (joined by a newline). Other part types
/// (images, audio, files) and `tool`/`function` messages are refused as unsupported, never
/// dropped; an unknown role is refused with the roles there are.
pub fn read_messages(value: Option<&Value>) -> Result<Vec<Message>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => {
            return Err(invalid(
                "messages",
                "messages is required: a list such as [{\"role\":\"user\",\"content\":\"Hello\"}]".into(),
            ));
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(invalid("messages", format!("messages must be a list of messages, not {}", kind(other))));
        }
    };
    if items.is_empty() {
        return Err(invalid(
            "messages",
            "messages is empty; send at least one, such as {\"role\":\"user\",\"content\":\"Hello\"}".into(),
        ));
    }
    items.iter().enumerate().map(|(i, item)| read_message(i, item)).collect()
}

fn read_message(i: usize, item: &Value) -> Result<Message, ApiError> {
    let Value::Object(fields) = item else {
        return Err(invalid(
            &format!("messages[{i}]"),
            format!("messages[{i}] must be an object with a role and a content, not {}", kind(item)),
        ));
    };
    let param = format!("messages[{i}].role");
    let role = match fields.get("role") {
        Some(Value::String(role)) => match role.as_str() {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "system" | "developer" => None,
            "tool" | "function" => {
                return Err(ApiError::UnsupportedParameter {
                    message: format!("{param} is {role:?}: tool and function calls are not supported here"),
                    param,
                });
            }
            _ => {
                return Err(invalid(
                    &param,
                    format!("{param} must be one of user, assistant, system; got {}", Value::from(role.as_str())),
                ));
            }
        },
        None | Some(Value::Null) => return Err(invalid(&param, format!("{param} is required"))),
        Some(other) => return Err(invalid(&param, format!("{param} must be a string, not {}", kind(other)))),
    };
    if fields.get("tool_calls").is_some_and(|calls| !calls.is_null()) {
        return Err(ApiError::UnsupportedParameter {
            param: format!("messages[{i}].tool_calls"),
            message: format!("messages[{i}].tool_calls: tool calls are not supported here"),
        });
    }
    let text = content(i, fields.get("content"))?;
    Ok(Message { role, text })
}

fn content(i: usize, value: Option<&Value>) -> Result<String, ApiError> {
    let param = format!("messages[{i}].content");
    match value {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for (j, part) in parts.iter().enumerate() {
                let part_param = format!("{param}[{j}]");
                let kind_of_part = part.get("type").and_then(Value::as_str);
                match (kind_of_part, part.get("text")) {
                    (Some("text"), Some(Value::String(text))) => texts.push(text.as_str()),
                    (Some("text"), _) => {
                        return Err(invalid(
                            &format!("{part_param}.text"),
                            format!("{part_param}.text must be a string"),
                        ));
                    }
                    (Some(other), _) => {
                        return Err(ApiError::UnsupportedParameter {
                            message: format!(
                                "{part_param}.type is {}: only text parts are supported here",
                                Value::from(other)
                            ),
                            param: format!("{part_param}.type"),
                        });
                    }
                    (None, _) => {
                        return Err(invalid(
                            &part_param,
                            format!("{part_param} must be an object such as {{\"type\":\"text\",\"text\":\"Hello\"}}"),
                        ));
                    }
                }
            }
            Ok(texts.join("\n"))
        }
        None | Some(Value::Null) => Err(invalid(&param, format!("{param} is required"))),
        Some(other) => {
            Err(invalid(&param, format!("{param} must be a string or a list of text parts, not {}", kind(other))))
        }
    }
}

fn invalid(param: &str, message: String) -> ApiError {
    ApiError::InvalidMessages { param: param.to_owned(), message }
}

fn too_large(param: &str, message: String) -> ApiError {
    ApiError::ConversationTooLarge { param: param.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const LIMITS: ChatLimits = ChatLimits { max_messages: 6, max_message_chars: 20, max_total_chars: 40 };

    fn conversation(messages: Value) -> Result<Conversation, ApiError> {
        Conversation::new(read_messages(Some(&messages))?, LIMITS)
    }

    fn refused(messages: Value) -> (u16, &'static str, String) {
        let error = conversation(messages).expect_err("refused");
        (error.status().as_u16(), error.code(), error.to_string())
    }

    fn user(text: &str) -> Turn {
        Turn { role: Role::User, text: text.into() }
    }

    fn assistant(text: &str) -> Turn {
        Turn { role: Role::Assistant, text: text.into() }
    }

    #[test]
    fn turns_alternate_with_the_callers_system_text_apart() {
        let got = conversation(json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "I am Otto."},
            {"role": "assistant", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "Otto."}]},
            {"role": "developer", "content": "No puns"},
            {"role": "user", "content": "Name?"}
        ]))
        .unwrap();
        assert_eq!(got.system.as_deref(), Some("Be brief.\n\nNo puns"));
        assert_eq!(got.turns, [user("I am Otto."), assistant("Hi\nOtto."), user("Name?")]);
    }

    #[test]
    fn consecutive_messages_of_one_role_are_joined_because_converse_requires_alternation() {
        let got = conversation(json!([
            {"role": "user", "content": "One."},
            {"role": "user", "content": "Two."},
            {"role": "assistant", "content": "A."},
            {"role": "system", "content": "S."},
            {"role": "assistant", "content": "B."},
            {"role": "user", "content": "Three."}
        ]))
        .unwrap();
        assert_eq!(got.turns, [user("One.\n\nTwo."), assistant("A.\n\nB."), user("Three.")]);
    }

    #[test]
    fn a_conversation_opens_and_ends_with_the_user() {
        let (status, code, message) =
            refused(json!([{"role": "assistant", "content": "Hi."}, {"role": "user", "content": "Hi."}]));
        assert_eq!((status, code), (400, "invalid_messages"));
        assert!(message.contains("messages[0], the first turn, is the assistant's"), "{message}");
        let (_, _, message) =
            refused(json!([{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello"}]));
        assert!(message.contains("messages[1], the last one, is the assistant's"), "{message}");
        let (_, code, message) = refused(json!([{"role": "system", "content": "Be brief."}]));
        assert_eq!(code, "invalid_messages");
        assert!(message.starts_with("messages must hold at least one user message"), "{message}");
    }

    #[test]
    fn each_malformed_message_names_its_place() {
        let cases = [
            (json!(null), "invalid_messages", "messages is required"),
            (json!("hi"), "invalid_messages", "messages must be a list of messages, not a string"),
            (json!([]), "invalid_messages", "messages is empty"),
            (json!([7]), "invalid_messages", "messages[0] must be an object with a role and a content, not a number"),
            (json!([{"content": "x"}]), "invalid_messages", "messages[0].role is required"),
            (
                json!([{"role": "wizard", "content": "x"}]),
                "invalid_messages",
                "messages[0].role must be one of user, assistant, system; got \"wizard\"",
            ),
            (
                json!([{"role": 1, "content": "x"}]),
                "invalid_messages",
                "messages[0].role must be a string, not a number",
            ),
            (json!([{"role": "tool", "content": "x"}]), "unsupported_parameter", "messages[0].role is \"tool\""),
            (json!([{"role": "user"}]), "invalid_messages", "messages[0].content is required"),
            (
                json!([{"role": "user", "content": 5}]),
                "invalid_messages",
                "messages[0].content must be a string or a list of text parts, not a number",
            ),
            (json!([{"role": "user", "content": "   "}]), "invalid_messages", "messages[0].content is empty"),
            (json!([{"role": "user", "content": []}]), "invalid_messages", "messages[0].content is empty"),
            (
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
                "unsupported_parameter",
                "messages[0].content[0].type is \"image_url\": only text parts",
            ),
            (
                json!([{"role": "user", "content": [{"type": "input_audio"}]}]),
                "unsupported_parameter",
                "\"input_audio\"",
            ),
            (
                json!([{"role": "user", "content": [{"type": "text"}]}]),
                "invalid_messages",
                "messages[0].content[0].text must be a string",
            ),
            (
                json!([{"role": "user", "content": ["x"]}]),
                "invalid_messages",
                "messages[0].content[0] must be an object",
            ),
            (
                json!([{"role": "assistant", "content": null, "tool_calls": []}]),
                "unsupported_parameter",
                "messages[0].tool_calls",
            ),
        ];
        for (messages, code, want) in cases {
            let (status, got_code, message) = refused(messages.clone());
            assert_eq!((status, got_code), (400, code), "{messages}: {message}");
            assert!(message.contains(want), "{messages}: got {message:?}, want {want:?}");
        }
    }

    #[test]
    fn limits_count_messages_and_unicode_characters_not_bytes() {
        let fits = "é".repeat(20);
        assert!(conversation(json!([{"role": "user", "content": fits}])).is_ok(), "40 bytes, 20 characters");
        let (status, code, message) = refused(json!([{"role": "user", "content": "é".repeat(21)}]));
        assert_eq!((status, code), (413, "conversation_too_large"));
        assert_eq!(message, "messages[0].content is 21 characters long; the limit here is 20 per message");
        let three = json!([
            {"role": "user", "content": "a".repeat(15)},
            {"role": "assistant", "content": "b".repeat(15)},
            {"role": "user", "content": "c".repeat(15)}
        ]);
        let (status, _, message) = refused(three);
        assert_eq!(status, 413);
        assert_eq!(message, "the messages are 45 characters long together; the limit here is 40");
        let seven: Vec<Value> = (0..7).map(|_| json!({"role": "user", "content": "x"})).collect();
        let (_, code, message) = refused(Value::Array(seven));
        assert_eq!(
            (code, message.as_str()),
            ("conversation_too_large", "messages holds 7 messages; the limit here is 6")
        );
    }

    #[test]
    fn the_body_limit_fits_the_longest_conversation_written_the_longest_way() {
        let limits = ChatLimits { max_messages: 1, max_message_chars: 10, max_total_chars: 10 };
        assert_eq!(limits.max_body_bytes(), 120 + 65_536);
    }
}
