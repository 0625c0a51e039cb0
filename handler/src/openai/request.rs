//! `POST /v1/chat/completions` as OpenAI's Chat Completions API defines its body (API reference,
//! "Create chat completion", read 2026-12-07), read into the project's own conversation under the
//! stack's policy. What this function can honour is taken (`model` as an alias, `messages`,
//! `max_completion_tokens`/`max_tokens`, `temperature`, `top_p`, `stop`, `stream`,
//! `stream_options.include_usage`); what it cannot (`n` other than 1, tools and functions, image
//! or audio parts, a `response_format` other than text, logprobs, penalties, logit bias, audio
//! output) is refused with 400 naming the parameter, never silently ignored; the remaining fields
//! (`user`, `seed`, `metadata`, `store`, …) change nothing about the answer and are ignored.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::request::conversation::{ChatLimits, Conversation, read_messages};
use crate::request::models::{Model, Models};
use crate::request::{self, kind};

/// A body the messages of a refused request show.
const EXAMPLE: &str = r#"{"model":"default","messages":[{"role":"user","content":"Hello"}]}"#;

/// Most `stop` sequences a request may send (OpenAI's own limit; Bedrock takes more).
pub const MAX_STOP: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest<'m> {
    pub conversation: Conversation,
    /// The model to call: the alias the caller named as `model`, or the default when it sends none.
    pub model: &'m Model,
    /// `max_completion_tokens` or `max_tokens`, within `1..=cap` of that model.
    pub max_tokens: Option<u32>,
    /// From 0 to 1 (Bedrock's range), and only when the alias does not fix it.
    pub temperature: Option<f32>,
    /// From 0 to 1, and only when the alias does not fix it.
    pub top_p: Option<f32>,
    /// Converse's `stopSequences`.
    pub stop: Vec<String>,
    /// Answer as `chat.completion.chunk` server-sent events rather than one `chat.completion`.
    pub stream: bool,
    /// `stream_options.include_usage`: one more chunk, with `usage` and empty `choices`.
    pub include_usage: bool,
}

pub fn parse<'m>(body: &[u8], models: &'m Models, limits: ChatLimits) -> Result<CompletionRequest<'m>, ApiError> {
    let fields = request::json_object(body, limits.max_body_bytes(), EXAMPLE)?;
    refuse_unsupported(&fields)?;
    let model = request::model(&fields, models)?;
    let max_tokens = max_tokens(&fields, model.max_tokens_cap)?;
    let temperature = sampling(&fields, "temperature", model.temperature.is_some(), &model.alias)?;
    let top_p = sampling(&fields, "top_p", model.top_p.is_some(), &model.alias)?;
    let stop = stop(fields.get("stop"))?;
    let stream = match fields.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(other) => return Err(parameter("stream", format!("stream must be true or false, not {}", kind(other)))),
    };
    let include_usage = match fields.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(options)) => match options.get("include_usage") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(include)) => *include,
            Some(other) => {
                return Err(parameter(
                    "stream_options.include_usage",
                    format!("stream_options.include_usage must be true or false, not {}", kind(other)),
                ));
            }
        },
        Some(other) => {
            return Err(parameter("stream_options", format!("stream_options must be an object, not {}", kind(other))));
        }
    };
    let conversation = Conversation::new(read_messages(fields.get("messages"))?, limits)?;
    Ok(CompletionRequest { conversation, model, max_tokens, temperature, top_p, stop, stream, include_usage })
}

/// Each parameter this function cannot honour, with the values that ask for nothing (which
/// clients send as defaults and are accepted).
fn refuse_unsupported(fields: &Map<String, Value>) -> Result<(), ApiError> {
    let harmless = |name: &str, value: &Value| match (name, value) {
        (_, Value::Null) => true,
        ("n", value) => value.as_f64() == Some(1.0),
        ("tools" | "functions", Value::Array(items)) => items.is_empty(),
        ("tool_choice" | "function_call", Value::String(choice)) => choice == "none",
        ("response_format", format) => format.get("type").and_then(Value::as_str) == Some("text"),
        ("logprobs", Value::Bool(on)) => !on,
        ("frequency_penalty" | "presence_penalty", value) => value.as_f64() == Some(0.0),
        ("logit_bias", Value::Object(biases)) => biases.is_empty(),
        ("modalities", Value::Array(kinds)) => kinds.iter().all(|k| k == "text"),
        _ => false,
    };
    const UNSUPPORTED: [(&str, &str); 13] = [
        ("n", "one choice per request is served here; n must be 1"),
        ("tools", "tool calls are not supported here"),
        ("functions", "function calls are not supported here"),
        ("tool_choice", "tool calls are not supported here"),
        ("function_call", "function calls are not supported here"),
        ("response_format", "only text answers are served here; response_format must be {\"type\":\"text\"}"),
        ("logprobs", "log probabilities are not available from Bedrock's Converse API"),
        ("top_logprobs", "log probabilities are not available from Bedrock's Converse API"),
        ("frequency_penalty", "Bedrock's Converse API has no frequency penalty; it must be 0"),
        ("presence_penalty", "Bedrock's Converse API has no presence penalty; it must be 0"),
        ("logit_bias", "Bedrock's Converse API has no logit bias"),
        ("modalities", "only text answers are served here; modalities must be [\"text\"]"),
        ("audio", "only text answers are served here"),
    ];
    for (name, why) in UNSUPPORTED {
        if let Some(value) = fields.get(name)
            && !harmless(name, value)
        {
            return Err(ApiError::UnsupportedParameter {
                param: name.to_owned(),
                message: format!("{name} {}: {why}", shown(value)),
            });
        }
    }
    Ok(())
}

/// A value as a message shows it: JSON text, at most 64 characters of it.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(64) {
        None => text,
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// `max_completion_tokens` (the current name) or `max_tokens` (the older one), not two different
/// numbers.
fn max_tokens(fields: &Map<String, Value>, cap: u32) -> Result<Option<u32>, ApiError> {
    let read =
        |field: &str| request::max_tokens(fields, field, cap).map_err(|error| parameter(field, error.to_string()));
    match (read("max_completion_tokens")?, read("max_tokens")?) {
        (Some(a), Some(b)) if a != b => Err(parameter(
            "max_tokens",
            format!("max_completion_tokens ({a}) and max_tokens ({b}) differ; send one of them"),
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// `temperature` or `top_p`: from 0 to 1, Bedrock's range (OpenAI's temperature goes to 2), and
/// only when the alias does not fix it: a stack that sets one for an alias owns it.
fn sampling(fields: &Map<String, Value>, name: &str, fixed: bool, alias: &str) -> Result<Option<f32>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) if fixed => Err(parameter(
            name,
            format!("{name} is set by this stack for model {alias:?}; leave it out of the request"),
        )),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => Ok(Some(x as f32)),
            _ => Err(parameter(name, format!("{name} must be a number from 0 to 1 here (Bedrock's range); got {n}"))),
        },
        Some(other) => Err(parameter(name, format!("{name} must be a number from 0 to 1, not {}", kind(other)))),
    }
}

/// `stop`: a string or a list of up to [`MAX_STOP`] strings, none empty.
fn stop(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let problem = || {
        parameter("stop", format!("stop must be a non-empty string or a list of up to {MAX_STOP} non-empty strings"))
    };
    let stops = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(stop)) => vec![stop.clone()],
        Some(Value::Array(items)) => {
            items.iter().map(|item| item.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>().ok_or_else(problem)?
        }
        Some(_) => return Err(problem()),
    };
    if stops.len() > MAX_STOP || stops.iter().any(String::is_empty) {
        return Err(problem());
    }
    Ok(stops)
}

fn parameter(param: &str, message: String) -> ApiError {
    ApiError::InvalidParameter { param: param.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::request::conversation::{Role, Turn};

    const LIMITS: ChatLimits = ChatLimits { max_messages: 10, max_message_chars: 100, max_total_chars: 200 };

    fn models() -> &'static Models {
        static MODELS: std::sync::LazyLock<Models> = std::sync::LazyLock::new(|| {
            let mut fixed = Model::new("fixed", "m-fixed", 100, 200);
            fixed.temperature = Some(0.2);
            Models::new(vec![Model::new("fast", "m-fast", 100, 200), fixed], "fast").unwrap()
        });
        &MODELS
    }

    fn with(extra: Value) -> Vec<u8> {
        let mut body = json!({"model": "fast", "messages": [{"role": "user", "content": "Hi"}]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::to_vec(&body).unwrap()
    }

    fn refused(extra: Value) -> (u16, &'static str, String, String) {
        let error = parse(&with(extra.clone()), models(), LIMITS).expect_err(&extra.to_string());
        let param = match &error {
            ApiError::UnsupportedParameter { param, .. }
            | ApiError::InvalidParameter { param, .. }
            | ApiError::InvalidMessages { param, .. } => param.clone(),
            _ => String::new(),
        };
        (error.status().as_u16(), error.code(), param, error.to_string())
    }

    #[test]
    fn a_plain_request_is_a_conversation_with_the_defaults() {
        let got = parse(&with(json!({})), models(), LIMITS).unwrap();
        assert_eq!(got.model.alias, "fast");
        assert_eq!(got.conversation.turns, [Turn { role: Role::User, text: "Hi".into() }]);
        assert_eq!(
            (got.max_tokens, got.temperature, got.top_p, got.stream, got.include_usage),
            (None, None, None, false, false)
        );
        assert!(got.stop.is_empty());
    }

    #[test]
    fn what_can_be_honoured_is_taken() {
        let got = parse(
            &with(json!({
                "max_completion_tokens": 50, "temperature": 0.5, "top_p": 0.9, "stop": "END", "stream": true,
                "stream_options": {"include_usage": true}, "user": "u-1", "seed": 7, "n": 1, "tools": [],
                "response_format": {"type": "text"}, "frequency_penalty": 0, "logprobs": false, "tool_choice": "none"
            })),
            models(),
            LIMITS,
        )
        .unwrap();
        assert_eq!((got.max_tokens, got.temperature, got.top_p), (Some(50), Some(0.5), Some(0.9)));
        assert_eq!(got.stop, ["END"]);
        assert!(got.stream && got.include_usage);
        let older = parse(&with(json!({"max_tokens": 70, "stop": ["a", "b"]})), models(), LIMITS).unwrap();
        assert_eq!((older.max_tokens, older.stop), (Some(70), vec!["a".to_owned(), "b".to_owned()]));
    }

    #[test]
    fn what_cannot_be_honoured_is_refused_naming_the_parameter() {
        let cases = [
            (json!({"n": 2}), "n"),
            (json!({"tools": [{"type": "function", "function": {"name": "f"}}]}), "tools"),
            (json!({"functions": [{"name": "f"}]}), "functions"),
            (json!({"tool_choice": "auto"}), "tool_choice"),
            (json!({"response_format": {"type": "json_object"}}), "response_format"),
            (json!({"logprobs": true}), "logprobs"),
            (json!({"top_logprobs": 2}), "top_logprobs"),
            (json!({"presence_penalty": 0.5}), "presence_penalty"),
            (json!({"logit_bias": {"50256": -100}}), "logit_bias"),
            (json!({"modalities": ["text", "audio"]}), "modalities"),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}]}),
                "messages[0].content[0].type",
            ),
        ];
        for (extra, want) in cases {
            let (status, code, param, message) = refused(extra.clone());
            assert_eq!((status, code, param.as_str()), (400, "unsupported_parameter", want), "{extra}: {message}");
        }
    }

    #[test]
    fn parameters_outside_what_the_alias_allows_are_refused() {
        let cases = [
            (json!({"temperature": 1.5}), "temperature", "from 0 to 1 here (Bedrock's range); got 1.5"),
            (json!({"top_p": "high"}), "top_p", "not a string"),
            (json!({"model": "fixed", "temperature": 0.3}), "temperature", "set by this stack for model \"fixed\""),
            (json!({"max_tokens": 201}), "max_tokens", "max_tokens must be a whole number from 1 to 200; got 201"),
            (json!({"max_completion_tokens": 0}), "max_completion_tokens", "from 1 to 200; got 0"),
            (json!({"max_tokens": 10, "max_completion_tokens": 20}), "max_tokens", "differ"),
            (json!({"stop": ["a", "b", "c", "d", "e"]}), "stop", "up to 4"),
            (json!({"stop": [""]}), "stop", "non-empty"),
            (json!({"stop": 7}), "stop", "non-empty string"),
            (json!({"stream": "yes"}), "stream", "true or false"),
            (json!({"stream_options": {"include_usage": 1}}), "stream_options.include_usage", "true or false"),
        ];
        for (extra, want_param, want) in cases {
            let (status, code, param, message) = refused(extra.clone());
            assert_eq!((status, code, param.as_str()), (400, "invalid_parameter", want_param), "{extra}: {message}");
            assert!(message.contains(want), "{extra}: {message}");
        }
        let error = parse(&with(json!({"model": "gpt-4o"})), models(), LIMITS).unwrap_err();
        assert_eq!(error.code(), "model_not_allowed");
    }
}
