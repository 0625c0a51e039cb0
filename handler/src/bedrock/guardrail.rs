//! The guardrail on a ConverseStream call: what the `metadata` event's `trace.guardrail` says the
//! guardrail did (the request's `guardrailConfig` is written in `body`, with `trace: enabled`:
//! the trace is only sent when the request asks for it, so every call with a guardrail asks).
//!
//! Shapes: GuardrailStreamConfiguration, ConverseStreamTrace, GuardrailTraceAssessment and
//! GuardrailAssessment in the Bedrock API reference (docs.aws.amazon.com/bedrock/latest/APIReference),
//! read 2026-12-07.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// `GuardrailTraceAssessment`: the assessments by guardrail id (input) and, for the output, a
/// list per guardrail. The matched text (`match`, `modelOutput`) is skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Trace {
    #[serde(default)]
    input_assessment: BTreeMap<String, Assessment>,
    #[serde(default)]
    output_assessments: BTreeMap<String, Vec<Assessment>>,
}

/// `GuardrailAssessment`, the policies the caller hears about.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assessment {
    content_policy: Option<Filters>,
    topic_policy: Option<Topics>,
    word_policy: Option<Words>,
    sensitive_information_policy: Option<SensitiveInformation>,
    contextual_grounding_policy: Option<Filters>,
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    filters: Vec<Named>,
}

#[derive(Debug, Default, Deserialize)]
struct Topics {
    #[serde(default)]
    topics: Vec<Topic>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Words {
    #[serde(default)]
    custom_words: Vec<Action>,
    #[serde(default)]
    managed_word_lists: Vec<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SensitiveInformation {
    #[serde(default)]
    pii_entities: Vec<Named>,
    #[serde(default)]
    regexes: Vec<Regex>,
}

/// A filter, managed word list or PII entity: its `type` and `action` (required members; a
/// missing one reads as empty, as the SDK's error correction filled it).
#[derive(Debug, Default, Deserialize)]
struct Named {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    action: String,
}

#[derive(Debug, Default, Deserialize)]
struct Topic {
    #[serde(default)]
    name: String,
    #[serde(default)]
    action: String,
}

#[derive(Debug, Default, Deserialize)]
struct Action {
    #[serde(default)]
    action: String,
}

#[derive(Debug, Default, Deserialize)]
struct Regex {
    name: Option<String>,
    #[serde(default)]
    action: String,
}

/// What the trace says the guardrail did: the input side when an input assessment acted (the
/// model never ran), else the output side when an output assessment did.
pub(super) fn intervention(trace: Option<&Trace>) -> Option<Intervention> {
    let trace = trace?;
    let input: Vec<Finding> = trace.input_assessment.values().flat_map(findings).collect();
    let output: Vec<Finding> = trace.output_assessments.values().flatten().flat_map(findings).collect();
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
fn findings(assessment: &Assessment) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut push = |policy: &'static str, name: &str, action: &str| {
        if action != "NONE" {
            found.push(Finding { policy, name: name.to_owned(), action: action.to_owned() });
        }
    };
    if let Some(p) = &assessment.content_policy {
        for f in &p.filters {
            push("contentPolicy", &f.kind, &f.action);
        }
    }
    if let Some(p) = &assessment.topic_policy {
        for t in &p.topics {
            push("topicPolicy", &t.name, &t.action);
        }
    }
    if let Some(p) = &assessment.word_policy {
        for w in &p.custom_words {
            push("wordPolicy", "CUSTOM", &w.action);
        }
        for w in &p.managed_word_lists {
            push("wordPolicy", &w.kind, &w.action);
        }
    }
    if let Some(p) = &assessment.sensitive_information_policy {
        for e in &p.pii_entities {
            push("sensitiveInformationPolicy", &e.kind, &e.action);
        }
        for r in &p.regexes {
            push("sensitiveInformationPolicy", r.name.as_deref().unwrap_or("REGEX"), &r.action);
        }
    }
    if let Some(p) = &assessment.contextual_grounding_policy {
        for f in &p.filters {
            push("contextualGroundingPolicy", &f.kind, &f.action);
        }
    }
    found
}
