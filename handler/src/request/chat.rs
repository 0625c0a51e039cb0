//! The native conversation request: `POST /chat` with `{"messages": [...], "model"?, "maxTokens"?}`,
//! checked against the settings before anything reaches Bedrock. `messages` is read and held to
//! the stack's policy by [`crate::request::conversation`]; other fields are ignored, as a story request's are.

use crate::error::ApiError;
use crate::request;
use crate::request::conversation::{ChatLimits, Conversation, read_messages};
use crate::request::models::{Model, Models};

/// A body the messages of a refused request show.
const EXAMPLE: &str = r#"{"messages":[{"role":"user","content":"Hello"}]}"#;

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest<'m> {
    pub conversation: Conversation,
    /// The model to call: the alias the caller named as `"model"`, or the default.
    pub model: &'m Model,
    /// What the caller asked for, already within `1..=cap` of that model.
    pub max_tokens: Option<u32>,
}

pub fn parse<'m>(body: &[u8], models: &'m Models, limits: ChatLimits) -> Result<ChatRequest<'m>, ApiError> {
    let fields = request::json_object(body, limits.max_body_bytes(), EXAMPLE)?;
    let model = request::model(&fields, models)?;
    let max_tokens = request::max_tokens(&fields, "maxTokens", model.max_tokens_cap)?;
    let conversation = Conversation::new(read_messages(fields.get("messages"))?, limits)?;
    Ok(ChatRequest { conversation, model, max_tokens })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::conversation::{Role, Turn};

    const LIMITS: ChatLimits = ChatLimits { max_messages: 10, max_message_chars: 100, max_total_chars: 200 };

    fn models() -> Models {
        Models::new(vec![Model::new("fast", "m-fast", 100, 200), Model::new("smart", "m-smart", 1000, 4000)], "fast")
            .unwrap()
    }

    fn refused(body: &str) -> (u16, &'static str, String) {
        let error = parse(body.as_bytes(), &models(), LIMITS).expect_err(body);
        (error.status().as_u16(), error.code(), error.to_string())
    }

    #[test]
    fn messages_alone_are_a_complete_request() {
        let models = models();
        let got = parse(br#"{"messages":[{"role":"user","content":"Hello"}]}"#, &models, LIMITS).unwrap();
        assert_eq!(got.model.alias, "fast");
        assert_eq!(got.max_tokens, None);
        assert_eq!(got.conversation.turns, [Turn { role: Role::User, text: "Hello".into() }]);
    }

    #[test]
    fn a_model_and_max_tokens_within_its_cap() {
        let body = br#"{"messages":[{"role":"user","content":"Hi"}],"model":"smart","maxTokens":4000}"#;
        let models = models();
        let got = parse(body, &models, LIMITS).unwrap();
        assert_eq!((got.model.alias.as_str(), got.max_tokens), ("smart", Some(4000)));
    }

    #[test]
    fn each_bad_request_names_its_problem_before_reaching_bedrock() {
        let cases = [
            ("", 400, "invalid_json", "the request body is empty; send a JSON object such as {\"messages\""),
            ("{\"messages\":", 400, "invalid_json", "not valid JSON"),
            ("[]", 400, "invalid_json", "must be a JSON object"),
            (r#"{"messages":[],"messages":[]}"#, 400, "invalid_json", "names a field twice"),
            ("{}", 400, "invalid_messages", "messages is required"),
            (
                r#"{"messages":[{"role":"user","content":"Hi"}],"model":"huge"}"#,
                400,
                "model_not_allowed",
                "choose one of: fast, smart",
            ),
            (
                r#"{"messages":[{"role":"user","content":"Hi"}],"maxTokens":201}"#,
                400,
                "invalid_max_tokens",
                "maxTokens must be a whole number from 1 to 200",
            ),
            (r#"{"messages":[{"role":"tool","content":"Hi"}]}"#, 400, "unsupported_parameter", "messages[0].role"),
        ];
        for (body, status, code, want) in cases {
            let (got_status, got_code, message) = refused(body);
            assert_eq!((got_status, got_code), (status, code), "{body}: {message}");
            assert!(message.contains(want), "{body}: got {message:?}");
        }
    }

    #[test]
    fn the_body_limit_follows_the_conversation_limits() {
        let body = format!(r#"{{"messages":[{{"role":"user","content":"{}"}}]}}"#, "x".repeat(LIMITS.max_body_bytes()));
        let (status, code, _) = refused(&body);
        assert_eq!((status, code), (413, "payload_too_large"));
    }
}
