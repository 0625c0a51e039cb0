//! The guardrail on a ConverseStream call: the request's `guardrailConfig`, and what the `metadata`
//! event's `trace.guardrail` says the guardrail did.
//!
//! Shapes: GuardrailStreamConfiguration, ConverseStreamTrace, GuardrailTraceAssessment and
//! GuardrailAssessment in the Bedrock API reference (docs.aws.amazon.com/bedrock/latest/APIReference),
//! read 2026-12-07. The trace is only sent when the request asks for it (`trace: enabled`), so every
//! call with a guardrail asks.

use aws_sdk_bedrockruntime::types::{
    GuardrailAssessment, GuardrailStreamConfiguration, GuardrailStreamProcessingMode, GuardrailTrace,
    GuardrailTraceAssessment,
};
use serde::Serialize;

use crate::settings::{Guardrail, StreamProcessingMode};

/// Which side of the call the guardrail stopped: the prompt before the model ran, or the model's
/// answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Input,
    Output,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Input => "input",
            Side::Output => "output",
        }
    }
}

/// What a guardrail that intervened did, from the trace: the side it acted on and each policy that
/// acted. `side` is `None` and `policies` empty when Bedrock sent no trace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Intervention {
    pub side: Option<Side>,
    /// `blocked` when any policy blocked, `masked` when policies only masked (sensitive
    /// information anonymized), absent when the trace says neither.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    pub policies: Vec<Finding>,
}

/// One policy that acted: the trace's policy (`contentPolicy`, `topicPolicy`, `wordPolicy`,
/// `sensitiveInformationPolicy`, `contextualGroundingPolicy`), what in it matched (a content
/// filter's type, a denied topic's name, a PII type…; never the matched text, which may be the
/// very thing the guardrail keeps back) and its action (`BLOCKED`, `ANONYMIZED`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub policy: &'static str,
    pub name: String,
    pub action: String,
}

/// `guardrailConfig` for the call, asking for the trace that says which side intervened.
pub(super) fn config(guardrail: &Guardrail) -> GuardrailStreamConfiguration {
    GuardrailStreamConfiguration::builder()
        .guardrail_identifier(&guardrail.id)
        .guardrail_version(&guardrail.version)
        .stream_processing_mode(match guardrail.mode {
            StreamProcessingMode::Sync => GuardrailStreamProcessingMode::Sync,
            StreamProcessingMode::Async => GuardrailStreamProcessingMode::Async,
        })
        .trace(GuardrailTrace::Enabled)
        .build()
}

/// What the trace says the guardrail did: the input side when an input assessment acted (the
/// model never ran), else the output side when an output assessment did.
pub(super) fn intervention(trace: Option<&GuardrailTraceAssessment>) -> Option<Intervention> {
    let trace = trace?;
    let input: Vec<Finding> =
        trace.input_assessment().into_iter().flat_map(|m| m.values()).flat_map(findings).collect();
    let output: Vec<Finding> =
        trace.output_assessments().into_iter().flat_map(|m| m.values()).flatten().flat_map(findings).collect();
    let (side, policies) = match (input.is_empty(), output.is_empty()) {
        (false, _) => (Side::Input, input),
        (true, false) => (Side::Output, output),
        (true, true) => return None,
    };
    let action = if policies.iter().any(|f| f.action == "BLOCKED") {
        Some("blocked")
    } else if policies.iter().any(|f| f.action == "ANONYMIZED") {
        Some("masked")
    } else {
        None
    };
    Some(Intervention { side: Some(side), action, policies })
}

/// The policies of one assessment that acted (an action other than `NONE`).
fn findings(assessment: &GuardrailAssessment) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut push = |policy: &'static str, name: &str, action: &str| {
        if action != "NONE" {
            found.push(Finding { policy, name: name.to_owned(), action: action.to_owned() });
        }
    };
    if let Some(p) = assessment.content_policy() {
        for f in &p.filters {
            push("contentPolicy", f.r#type.as_str(), f.action.as_str());
        }
    }
    if let Some(p) = assessment.topic_policy() {
        for t in &p.topics {
            push("topicPolicy", &t.name, t.action.as_str());
        }
    }
    if let Some(p) = assessment.word_policy() {
        for w in &p.custom_words {
            push("wordPolicy", "CUSTOM", w.action.as_str());
        }
        for w in &p.managed_word_lists {
            push("wordPolicy", w.r#type.as_str(), w.action.as_str());
        }
    }
    if let Some(p) = assessment.sensitive_information_policy() {
        for e in &p.pii_entities {
            push("sensitiveInformationPolicy", e.r#type.as_str(), e.action.as_str());
        }
        for r in &p.regexes {
            push("sensitiveInformationPolicy", r.name.as_deref().unwrap_or("REGEX"), r.action.as_str());
        }
    }
    if let Some(p) = assessment.contextual_grounding_policy() {
        for f in p.filters() {
            push("contextualGroundingPolicy", f.r#type.as_str(), f.action.as_str());
        }
    }
    found
}
