//! The ConverseStream request body: what the emulator needs from it, and Bedrock's validation.
//!
//! Fields are read one by one from a JSON value instead of a strict schema so that a request
//! Bedrock would reject is still recorded with everything that could be read from it.
//!
//! The checks follow the Converse API reference (`InferenceConfiguration`: `maxTokens` ≥ 1,
//! `temperature` and `topP` from 0 to 1; `Message.role`: `user` or `assistant`; read
//! 2026-11-29); the texts are Bedrock's as quoted in public reports: "A conversation must
//! alternate between user and assistant roles. …" (github.com/langchain-ai/langchain-aws issue
//! 130), "The content field in the Message object at messages.N is empty. …"
//! (github.com/earendil-works/pi pull 3443), "The text field in the ContentBlock object at
//! messages.N.content.M is blank. …" (github.com/aws-samples/bedrock-engineer issue 8), "Value '1.5'
//! at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less
//! than or equal to 1" (github.com/stdapi-ai/stdapi.ai issue 224). `stopSequences`: 0 to 2,500
//! strings of at least one character (API reference, `InferenceConfiguration`, read 2026-12-07).

use serde_json::Value;

use crate::guardrail::GuardrailConfig;

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
    /// Every message, in order: its role and its text blocks joined by newlines.
    pub messages: Vec<Turn>,
    /// `inferenceConfig.stopSequences`.
    pub stop_sequences: Vec<String>,
    /// Words in every message and system block: a stand-in for the model's tokenizer.
    pub input_tokens: usize,
    /// `additionalModelRequestFields`, as sent (recorded for tests).
    pub additional_model_request_fields: Option<Value>,
    /// `additionalModelRequestFields.thinking.type` (`enabled`, `adaptive`, `disabled`), the
    /// Anthropic switch for extended thinking.
    pub thinking: Option<String>,
    /// `guardrailConfig`, as sent (recorded for tests).
    pub guardrail_config: Option<Value>,
    /// `guardrailConfig` as the emulated guardrail reads it.
    pub guardrail: Option<GuardrailConfig>,
    /// Every `cachePoint` block, in prompt order (`system`, then `messages`).
    pub cache_points: Vec<CachePoint>,
    /// What comes before each cache point, in the same order (the emulator's prompt cache).
    pub cache_prefixes: Vec<Prefix>,
    /// `serviceTier.type`, as sent.
    pub service_tier: Option<String>,
    /// `(cacheReadInputTokens, cacheWriteInputTokens)` from the emulator's prompt cache, set by
    /// the exchange once the request is accepted; `None` without a cache point.
    pub cached: Option<(usize, usize)>,
}

/// A `cachePoint` block as it reached the emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachePoint {
    /// Where the block is: `system.<i>` or `messages.<i>.content.<j>`, its index among its
    /// siblings, as Bedrock's validation messages name a place.
    pub at: String,
    /// `cachePoint.type` (`default`).
    pub kind: String,
    /// `cachePoint.ttl` (`5m`, `1h`), when sent.
    pub ttl: Option<String>,
}

/// The prompt before one cache point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// Every text block before the point, each after its place (`system`, or the message's role).
    pub text: String,
    /// Its words: the emulator's tokens.
    pub words: usize,
}

/// One message of the conversation as it reached the emulator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// `user` or `assistant` (whatever was sent, when the request is refused for it).
    pub role: String,
    /// The message's text blocks, joined by newlines.
    pub text: String,
}

impl ConverseRequest {
    /// Whether the model thinks before answering: as the request's thinking setting says, else
    /// as the model does by default.
    pub fn thinks(&self, by_default: bool) -> bool {
        match self.thinking.as_deref() {
            Some("disabled") => false,
            Some("enabled" | "adaptive") => true,
            _ => by_default,
        }
    }
}

/// Reads a request body into what could be read of it and, when Bedrock would refuse it, its
/// validation message (the first problem found: field constraints, then the conversation).
pub(crate) fn parse(body: &[u8]) -> (ConverseRequest, Option<String>) {
    let mut request = ConverseRequest::default();
    let error = read(body, &mut request).err();
    (request, error)
}

fn read(body: &[u8], request: &mut ConverseRequest) -> Result<(), String> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(malformed("the body is not a JSON object"));
    };

    request.additional_model_request_fields =
        body.get("additionalModelRequestFields").filter(|v| !v.is_null()).cloned();
    request.thinking = body
        .get("additionalModelRequestFields")
        .and_then(|fields| fields.get("thinking"))
        .and_then(|thinking| thinking.get("type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    request.guardrail_config = body.get("guardrailConfig").filter(|v| !v.is_null()).cloned();
    request.guardrail = GuardrailConfig::read(request.guardrail_config.as_ref());
    request.system = body.get("system").and_then(Value::as_array).map(|blocks| texts(blocks)).filter(|s| !s.is_empty());
    let messages = body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let role = |message: &Value| message.get("role").and_then(Value::as_str).map(str::to_owned);
    let content = |message: &Value| message.get("content").and_then(Value::as_array).map(|c| texts(c));
    if let Some(last_user) = messages.iter().rev().find(|m| role(m).as_deref() == Some("user")) {
        request.prompt = content(last_user).unwrap_or_default();
    }
    request.messages = messages
        .iter()
        .map(|m| Turn { role: role(m).unwrap_or_default(), text: content(m).unwrap_or_default() })
        .collect();
    request.input_tokens =
        messages.iter().filter_map(content).chain(request.system.clone()).map(|t| word_count(&t)).sum();
    read_cache_points(&body, request);
    request.service_tier =
        body.get("serviceTier").and_then(|tier| tier.get("type")).and_then(Value::as_str).map(str::to_owned);

    read_inference_config(body.get("inferenceConfig"), request)?;
    match body.get("messages") {
        None | Some(Value::Null) => return Err(null_member("messages")),
        Some(Value::Array(_)) => {}
        Some(_) => return Err(malformed("messages is not an array")),
    }
    check_conversation(messages)
}

fn read_inference_config(config: Option<&Value>, request: &mut ConverseRequest) -> Result<(), String> {
    let config = match config {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(config)) => config,
        Some(_) => return Err(malformed("inferenceConfig is not an object")),
    };
    let mut error = None;
    match config.get("maxTokens") {
        None | Some(Value::Null) => {}
        Some(value) => match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => {
                request.max_tokens = Some(n);
                if n < 1 {
                    error = Some(constraint(&n.to_string(), "inferenceConfig.maxTokens", "greater than or equal to 1"));
                }
            }
            None => error = Some(malformed("inferenceConfig.maxTokens is not an integer")),
        },
    }
    for (member, field) in [("temperature", &mut request.temperature), ("topP", &mut request.top_p)] {
        match config.get(member) {
            None | Some(Value::Null) => {}
            Some(value) => match value.as_f64() {
                Some(x) => {
                    *field = Some(x as f32);
                    let path = format!("inferenceConfig.{member}");
                    if x > 1.0 {
                        error = error.or(Some(constraint(&java_float(x), &path, "less than or equal to 1")));
                    } else if x < 0.0 {
                        error = error.or(Some(constraint(&java_float(x), &path, "greater than or equal to 0")));
                    }
                }
                None => error = error.or(Some(malformed(&format!("inferenceConfig.{member} is not a number")))),
            },
        }
    }
    match config.get("stopSequences") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let stops: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_owned)).collect();
            match stops {
                Some(stops) => {
                    if stops.len() > MAX_STOP_SEQUENCES {
                        error = error.or(Some(format!(
                            "1 validation error detected: Value at 'inferenceConfig.stopSequences' failed to satisfy \
                             constraint: Member must have length less than or equal to {MAX_STOP_SEQUENCES}"
                        )));
                    } else if stops.iter().any(String::is_empty) {
                        error = error.or(Some(
                            "1 validation error detected: Value at 'inferenceConfig.stopSequences' failed to satisfy \
                             constraint: Member must satisfy constraint: [Member must have length greater than or \
                             equal to 1]"
                                .to_owned(),
                        ));
                    }
                    request.stop_sequences = stops;
                }
                None => error = error.or(Some(malformed("inferenceConfig.stopSequences is not a list of strings"))),
            }
        }
        Some(_) => error = error.or(Some(malformed("inferenceConfig.stopSequences is not a list of strings"))),
    }
    error.map_or(Ok(()), Err)
}

/// Most stop sequences `InferenceConfiguration` takes.
const MAX_STOP_SEQUENCES: usize = 2500;

/// Roles, then the conversation's shape: starts with a user turn, alternates, no empty content
/// and no blank text.
fn check_conversation(messages: &[Value]) -> Result<(), String> {
    for (i, message) in messages.iter().enumerate() {
        match message.get("role") {
            None | Some(Value::Null) => return Err(null_member(&format!("messages.{i}.member.role"))),
            Some(Value::String(role)) if role == "user" || role == "assistant" => {}
            Some(other) => {
                let value = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
                return Err(format!(
                    "1 validation error detected: Value '{value}' at 'messages.{i}.member.role' failed to satisfy \
                     constraint: Member must satisfy enum value set: [user, assistant]"
                ));
            }
        }
    }
    fn role(message: &Value) -> Option<&str> {
        message.get("role").and_then(Value::as_str)
    }
    if messages.first().and_then(role) != Some("user") {
        return Err("A conversation must start with a user message. Try again with a conversation that starts with a \
                    user message."
            .to_owned());
    }
    if messages.windows(2).any(|pair| role(&pair[0]) == role(&pair[1])) {
        return Err("A conversation must alternate between user and assistant roles. Make sure the conversation \
                    alternates between user and assistant roles and try again."
            .to_owned());
    }
    for (i, message) in messages.iter().enumerate() {
        let blocks = match message.get("content") {
            None | Some(Value::Null) => return Err(null_member(&format!("messages.{i}.member.content"))),
            Some(Value::Array(blocks)) => blocks,
            Some(_) => return Err(malformed(&format!("messages.{i}.content is not an array"))),
        };
        if blocks.is_empty() {
            return Err(format!(
                "The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the \
                 content field and try again."
            ));
        }
        for (j, block) in blocks.iter().enumerate() {
            if block.get("text").and_then(Value::as_str).is_some_and(|text| text.trim().is_empty()) {
                return Err(format!(
                    "The text field in the ContentBlock object at messages.{i}.content.{j} is blank. Add text to the \
                     text field, and try again."
                ));
            }
        }
    }
    Ok(())
}

fn malformed(why: &str) -> String {
    format!("Malformed input request: {why}, please reformat your input and try again.")
}

fn null_member(path: &str) -> String {
    format!("1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null")
}

fn constraint(value: &str, path: &str, bound: &str) -> String {
    format!(
        "1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: Member must have \
         value {bound}"
    )
}

/// A number as Bedrock's (Java) service prints a float: `5.0`, `1.5`, `-0.2`.
fn java_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{x:.1}") } else { x.to_string() }
}

/// Records every `cachePoint` of `system` and of each message's `content`, and the prompt before
/// each, in the order Bedrock reads a prompt.
fn read_cache_points(body: &serde_json::Map<String, Value>, request: &mut ConverseRequest) {
    let mut prefix = Prefix::default();
    let mut visit = |place: &str, at: String, blocks: &[Value], request: &mut ConverseRequest| {
        for (j, block) in blocks.iter().enumerate() {
            if let Some(text) = block.get("text").and_then(Value::as_str) {
                prefix.text.push_str(&format!("[{place}] {text}\n"));
                prefix.words += word_count(text);
            } else if let Some(point) = block.get("cachePoint") {
                let field = |name: &str| point.get(name).and_then(Value::as_str).map(str::to_owned);
                request.cache_points.push(CachePoint {
                    at: format!("{at}.{j}"),
                    kind: field("type").unwrap_or_default(),
                    ttl: field("ttl"),
                });
                request.cache_prefixes.push(prefix.clone());
            }
        }
    };
    if let Some(system) = body.get("system").and_then(Value::as_array) {
        visit("system", "system".into(), system, request);
    }
    let messages = body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        if let Some(content) = message.get("content").and_then(Value::as_array) {
            visit(role, format!("messages.{i}.content"), content, request);
        }
    }
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
    fn records_cache_points_where_they_are_and_the_service_tier() {
        let body = br#"{
            "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default", "ttl": "1h"}}, {"text": "Mine."}],
            "messages": [
                {"role": "user", "content": [{"text": "hello there"}]},
                {"role": "assistant", "content": [{"text": "hi"}, {"cachePoint": {"type": "default"}}]},
                {"role": "user", "content": [{"text": "a story"}]}
            ],
            "serviceTier": {"type": "flex"}
        }"#;
        let (request, error) = parse(body);
        assert_eq!(error, None, "a cachePoint is no blank text block");
        let point = |at: &str, ttl: Option<&str>| CachePoint {
            at: at.into(),
            kind: "default".into(),
            ttl: ttl.map(Into::into),
        };
        assert_eq!(request.cache_points, [point("system.1", Some("1h")), point("messages.1.content.1", None)]);
        assert_eq!(request.cache_prefixes.iter().map(|p| p.words).collect::<Vec<_>>(), [2, 2 + 1 + 2 + 1]);
        assert_eq!(request.service_tier.as_deref(), Some("flex"));
        assert_eq!(request.system.as_deref(), Some("Be brief.\nMine."));
    }

    fn error(body: &str) -> String {
        parse(body.as_bytes()).1.expect("refused")
    }

    const HI: &str = r#"{"role": "user", "content": [{"text": "hi"}]}"#;

    #[test]
    fn reads_the_last_user_message_system_and_inference_config() {
        let body = br#"{
            "system": [{"text": "Be brief."}],
            "messages": [
                {"role": "user", "content": [{"text": "hello there"}]},
                {"role": "assistant", "content": [{"text": "hi"}]},
                {"role": "user", "content": [{"text": "a story"}, {"text": "about: otters"}]}
            ],
            "inferenceConfig": {"maxTokens": 12, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
            "additionalModelRequestFields": {"thinking": {"type": "disabled"}}
        }"#;
        let (request, error) = parse(body);
        assert_eq!(error, None);
        assert_eq!(request.prompt, "a story\nabout: otters");
        assert_eq!(request.system.as_deref(), Some("Be brief."));
        assert_eq!((request.max_tokens, request.temperature, request.top_p), (Some(12), Some(0.5), Some(0.9)));
        assert_eq!(request.input_tokens, 2 + 1 + 4 + 2);
        assert!(!request.thinks(true));
    }

    #[test]
    fn keeps_every_turn_of_the_conversation_and_the_stop_sequences() {
        let body = br#"{
            "messages": [
                {"role": "user", "content": [{"text": "My name is Otto."}]},
                {"role": "assistant", "content": [{"text": "Hello Otto."}]},
                {"role": "user", "content": [{"text": "What is my name?"}, {"text": "Say it."}]}
            ],
            "inferenceConfig": {"stopSequences": ["END", "\n\n"]}
        }"#;
        let (request, error) = parse(body);
        assert_eq!(error, None);
        let turn = |role: &str, text: &str| Turn { role: role.into(), text: text.into() };
        assert_eq!(
            request.messages,
            [
                turn("user", "My name is Otto."),
                turn("assistant", "Hello Otto."),
                turn("user", "What is my name?\nSay it.")
            ]
        );
        assert_eq!(request.stop_sequences, ["END", "\n\n"]);
    }

    #[test]
    fn stop_sequences_are_strings_of_at_least_one_character() {
        let with =
            |stops: &str| error(&format!(r#"{{"messages": [{HI}], "inferenceConfig": {{"stopSequences": {stops}}}}}"#));
        assert!(with(r#"["ok", ""]"#).contains("Member must have length greater than or equal to 1"));
        assert!(with(r#"[1]"#).starts_with("Malformed input request: inferenceConfig.stopSequences"));
        assert!(with(r#""END""#).starts_with("Malformed input request: inferenceConfig.stopSequences"));
        let many = serde_json::to_string(&vec!["x"; 2501]).unwrap();
        assert!(with(&many).contains("less than or equal to 2500"));
    }

    #[test]
    fn rejects_malformed_bodies_but_keeps_what_it_read() {
        assert!(error("not json").starts_with("Malformed input request"));
        assert!(error("{}").contains("Value null at 'messages'"));
        assert!(error(r#"{"messages": []}"#).starts_with("A conversation must start"));
        let body = format!(r#"{{"messages": [{HI}], "inferenceConfig": {{"maxTokens": 0}}}}"#);
        let (partial, message) = parse(body.as_bytes());
        assert!(message.unwrap().contains("'inferenceConfig.maxTokens'"));
        assert_eq!((partial.prompt.as_str(), partial.max_tokens), ("hi", Some(0)));
    }

    #[test]
    fn sampling_settings_must_be_between_0_and_1() {
        let with = |config: &str| error(&format!(r#"{{"messages": [{HI}], "inferenceConfig": {config}}}"#));
        assert_eq!(
            with(r#"{"temperature": 5}"#),
            "1 validation error detected: Value '5.0' at 'inferenceConfig.temperature' failed to satisfy constraint: \
             Member must have value less than or equal to 1"
        );
        assert!(with(r#"{"temperature": -0.5}"#).ends_with("greater than or equal to 0"));
        assert!(with(r#"{"topP": 1.5}"#).contains("Value '1.5' at 'inferenceConfig.topP'"));
        let edges = format!(r#"{{"messages": [{HI}], "inferenceConfig": {{"temperature": 0, "topP": 1}}}}"#);
        assert_eq!(parse(edges.as_bytes()).1, None);
    }

    #[test]
    fn roles_must_be_user_or_assistant_and_alternate_from_a_user_turn() {
        let conversation = |messages: &str| error(&format!(r#"{{"messages": {messages}}}"#));
        let alternate = "A conversation must alternate between user and assistant roles. Make sure the conversation \
                         alternates between user and assistant roles and try again.";
        assert_eq!(conversation(&format!("[{HI}, {HI}]")), alternate);
        let assistant = r#"{"role": "assistant", "content": [{"text": "hello"}]}"#;
        assert_eq!(conversation(&format!("[{HI}, {assistant}, {assistant}]")), alternate);
        assert!(conversation(&format!("[{assistant}, {HI}]")).starts_with("A conversation must start with a user"));
        assert!(
            conversation(r#"[{"role": "system", "content": [{"text": "x"}]}]"#)
                .contains("Value 'system' at 'messages.0.member.role'")
        );
        assert!(conversation(r#"[{"content": [{"text": "x"}]}]"#).contains("Value null at 'messages.0.member.role'"));
        let (_, ok) = parse(format!(r#"{{"messages": [{HI}, {assistant}, {HI}]}}"#).as_bytes());
        assert_eq!(ok, None);
    }

    #[test]
    fn content_must_not_be_empty_or_blank() {
        let conversation = |messages: &str| error(&format!(r#"{{"messages": {messages}}}"#));
        assert_eq!(
            conversation(r#"[{"role": "user", "content": []}]"#),
            "The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content \
             field and try again."
        );
        assert_eq!(
            conversation(r#"[{"role": "user", "content": [{"text": "a"}, {"text": "  "}]}]"#),
            "The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to the text field, \
             and try again."
        );
    }
}
