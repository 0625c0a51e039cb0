//! The ConverseStream request body: what the emulator needs from it, and Bedrock's validation.
//!
//! Fields are read one by one from a JSON value instead of a strict schema so that a request
//! Bedrock would reject is still recorded with everything that could be read from it.

use serde_json::Value;

/// The parts of a ConverseStream request the emulator uses or records.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ConverseRequest {
    pub max_tokens: Option<i32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// The `system` text blocks, joined by newlines.
    pub system: Option<String>,
    /// The text of the last user message, joined by newlines.
    pub prompt: String,
    /// Words in every message and system block: a stand-in for the model's tokenizer.
    pub input_tokens: usize,
}

/// Reads a request body; `Err` carries the partial request and Bedrock's validation message.
pub(crate) fn parse(body: &[u8]) -> Result<ConverseRequest, (ConverseRequest, String)> {
    let mut request = ConverseRequest::default();
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err((request, malformed("the body is not a JSON object")));
    };

    request.system = body.get("system").and_then(Value::as_array).map(|blocks| texts(blocks)).filter(|s| !s.is_empty());
    let mut error = None;
    match body.get("inferenceConfig") {
        None | Some(Value::Null) => {}
        Some(Value::Object(config)) => {
            request.temperature = config.get("temperature").and_then(Value::as_f64).map(|t| t as f32);
            request.top_p = config.get("topP").and_then(Value::as_f64).map(|p| p as f32);
            match config.get("maxTokens") {
                None | Some(Value::Null) => {}
                Some(value) => match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
                    Some(n) => {
                        request.max_tokens = Some(n);
                        if n < 1 {
                            error = Some(format!(
                                "1 validation error detected: Value '{n}' at 'inferenceConfig.maxTokens' failed to \
                                 satisfy constraint: Member must have value greater than or equal to 1"
                            ));
                        }
                    }
                    None => error = Some(malformed("inferenceConfig.maxTokens is not an integer")),
                },
            }
        }
        Some(_) => error = Some(malformed("inferenceConfig is not an object")),
    }

    let messages = match body.get("messages") {
        None | Some(Value::Null) => {
            let message = "1 validation error detected: Value null at 'messages' failed to satisfy constraint: \
                           Member must not be null";
            return Err((request, message.to_owned()));
        }
        Some(Value::Array(messages)) => messages,
        Some(_) => return Err((request, malformed("messages is not an array"))),
    };
    let role = |message: &Value| message.get("role").and_then(Value::as_str).map(str::to_owned);
    let content = |message: &Value| message.get("content").and_then(Value::as_array).map(|c| texts(c));
    if let Some(last_user) = messages.iter().rev().find(|m| role(m).as_deref() == Some("user")) {
        request.prompt = content(last_user).unwrap_or_default();
    }
    request.input_tokens =
        messages.iter().filter_map(content).chain(request.system.clone()).map(|t| word_count(&t)).sum();

    if messages.first().and_then(role).as_deref() != Some("user") {
        let message = "A conversation must start with a user message. Try again with a conversation that starts \
                       with a user message.";
        return Err((request, message.to_owned()));
    }
    match error {
        Some(message) => Err((request, message)),
        None => Ok(request),
    }
}

fn malformed(why: &str) -> String {
    format!("Malformed input request: {why}, please reformat your input and try again.")
}

/// Joins the `text` of content blocks; other block kinds (images, documents, tool results) do not
/// influence the story.
fn texts(blocks: &[Value]) -> String {
    blocks.iter().filter_map(|block| block.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_last_user_message_system_and_inference_config() {
        let body = br#"{
            "system": [{"text": "Be brief."}],
            "messages": [
                {"role": "user", "content": [{"text": "hello there"}]},
                {"role": "assistant", "content": [{"text": "hi"}]},
                {"role": "user", "content": [{"text": "a story"}, {"text": "about: otters"}]}
            ],
            "inferenceConfig": {"maxTokens": 12, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]}
        }"#;
        let request = parse(body).unwrap();
        assert_eq!(request.prompt, "a story\nabout: otters");
        assert_eq!(request.system.as_deref(), Some("Be brief."));
        assert_eq!((request.max_tokens, request.temperature, request.top_p), (Some(12), Some(0.5), Some(0.9)));
        assert_eq!(request.input_tokens, 2 + 1 + 4 + 2);
    }

    #[test]
    fn rejects_what_bedrock_rejects_but_keeps_what_it_read() {
        assert!(parse(b"not json").unwrap_err().1.starts_with("Malformed input request"));
        assert!(parse(b"{}").unwrap_err().1.contains("'messages'"));
        assert!(parse(br#"{"messages": []}"#).unwrap_err().1.starts_with("A conversation must start"));
        let (partial, message) = parse(
            br#"{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 0}}"#,
        )
        .unwrap_err();
        assert!(message.contains("inferenceConfig.maxTokens"));
        assert_eq!((partial.prompt.as_str(), partial.max_tokens), ("hi", Some(0)));
    }
}
