//! A request's `guardrailConfig` and what a guardrail that intervenes sends, as Bedrock does in a
//! stream.
//!
//! Sources, read 2026-12-07: GuardrailStreamConfiguration, ConverseStreamTrace and
//! GuardrailTraceAssessment in the Bedrock API reference; the user guide's "Configure streaming
//! response behavior to filter content" (docs.aws.amazon.com/bedrock/latest/userguide/guardrails-streaming.html):
//! in `sync` mode the guardrail buffers response chunks and assesses them before they are sent; in
//! `async` mode chunks are sent as soon as they exist while the guardrail assesses them in the
//! background, so text it flags may already have been sent, and once it flags, later chunks are
//! blocked. When a guardrail blocks, the answer is the guardrail's blocked message and the stop
//! reason `guardrail_intervened`; the `metadata` event carries `trace.guardrail` when the request
//! asked for a trace.

use serde_json::{Value, json};

/// What the emulator's guardrail says when it blocks a prompt: a stand-in for the blocked-input
/// message a real guardrail is configured with.
pub const BLOCKED_INPUT_MESSAGE: &str = "Sorry, the model cannot answer this question.";

/// What it says when it blocks an answer: a stand-in for the blocked-output message.
pub const BLOCKED_OUTPUT_MESSAGE: &str = "Sorry, the model cannot answer this question. The answer was blocked.";

/// Tokens of an answer the guardrail flags: in `sync` mode they are held back and replaced by the
/// blocked message; in `async` mode they have already gone out when the guardrail acts.
pub const FLAGGED_TOKENS: usize = 2;

/// The denied topic the emulator's guardrail reports for an answer it blocks.
pub const BLOCKED_TOPIC: &str = "Graphic violence";

/// `guardrailConfig.streamProcessingMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Bedrock's default.
    #[default]
    Sync,
    Async,
}

/// The request's `guardrailConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GuardrailConfig {
    pub identifier: String,
    pub mode: Mode,
    /// `trace` is `enabled` or `enabled_full`: the `metadata` event says what the guardrail did.
    pub trace: bool,
}

impl GuardrailConfig {
    /// Reads `guardrailConfig`; `None` when the request has none (or it is not an object).
    pub fn read(value: Option<&Value>) -> Option<GuardrailConfig> {
        let config = value?.as_object()?;
        let text = |member: &str| config.get(member).and_then(Value::as_str).unwrap_or_default().to_owned();
        Some(GuardrailConfig {
            identifier: text("guardrailIdentifier"),
            mode: if text("streamProcessingMode") == "async" { Mode::Async } else { Mode::Sync },
            trace: matches!(text("trace").as_str(), "enabled" | "enabled_full"),
        })
    }

    /// The key of the trace's assessment maps: the guardrail's id (the last part of an ARN).
    fn id(&self) -> &str {
        self.identifier.rsplit('/').next().unwrap_or_default()
    }

    /// `trace` for the `metadata` event of a stream the guardrail stopped on the input side (a
    /// content filter blocked the prompt) or the output side (a denied topic blocked the answer).
    pub fn trace(&self, input: bool) -> Option<Value> {
        if !self.trace {
            return None;
        }
        let guardrail = if input {
            let assessment = json!({ "contentPolicy": { "filters": [{
                "type": "VIOLENCE", "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED", "detected": true
            }]}});
            json!({ "inputAssessment": { self.id(): assessment } })
        } else {
            let assessment = json!({ "topicPolicy": { "topics": [{
                "name": BLOCKED_TOPIC, "type": "DENY", "action": "BLOCKED", "detected": true
            }]}});
            json!({ "inputAssessment": { self.id(): {} }, "outputAssessments": { self.id(): [assessment] } })
        };
        Some(json!({ "guardrail": guardrail }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_mode_and_trace_and_keys_the_trace_by_id() {
        let config = GuardrailConfig::read(Some(&json!({
            "guardrailIdentifier": "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123",
            "guardrailVersion": "1", "streamProcessingMode": "async", "trace": "enabled"
        })))
        .unwrap();
        assert_eq!(config.mode, Mode::Async);
        let trace = config.trace(true).unwrap();
        assert_eq!(trace["guardrail"]["inputAssessment"]["abc123"]["contentPolicy"]["filters"][0]["action"], "BLOCKED");
        let output = config.trace(false).unwrap();
        assert_eq!(
            output["guardrail"]["outputAssessments"]["abc123"][0]["topicPolicy"]["topics"][0]["name"],
            BLOCKED_TOPIC
        );
        let quiet =
            GuardrailConfig::read(Some(&json!({"guardrailIdentifier": "abc", "guardrailVersion": "1"}))).unwrap();
        assert_eq!((quiet.mode, quiet.trace(true)), (Mode::Sync, None), "sync and no trace by default");
        assert_eq!(GuardrailConfig::read(None), None);
    }
}
