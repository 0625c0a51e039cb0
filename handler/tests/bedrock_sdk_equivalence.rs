//! The handler's Bedrock client against aws-sdk-bedrockruntime, the SDK it called Bedrock through
//! before, as the oracle: for every stream and fault the emulator scripts, the same call through
//! both gives the same items, the same error and the same number of requests (so the same retries).
//! The SDK's events and errors are mapped with the code `bedrock.rs` used then (below, unchanged
//! but for names).

mod support;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::config::Credentials;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput, GuardrailAssessment,
    GuardrailStreamConfiguration, GuardrailStreamProcessingMode, GuardrailTrace, GuardrailTraceAssessment,
    InferenceConfiguration, Message, ReasoningContentBlockDelta,
};
use aws_smithy_types::event_stream::RawMessage;
use bedrock_emulator::{Emulator, Fault};
use bedrock_streamer::bedrock::{self, Call, Finding, Intervention, Metadata, Side, StreamItem, TokenUsage};
use bedrock_streamer::error::{Advice, ApiError, NoAnswer, StreamBreak, UpstreamFailure};
use bedrock_streamer::request::conversation::{Role, Turn};
use bedrock_streamer::settings::tier::ServiceTier;
use bedrock_streamer::settings::{Guardrail, StreamProcessingMode};
use futures_util::StreamExt;

const MODEL: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

/// How long a silent stream is waited for (the `stall` and `linger` faults never end).
const SILENCE: Duration = Duration::from_secs(2);

/// How long an answer is waited for: the retries' backoff is at most 1 s and then 2 s (the
/// `hang` fault never answers).
const ANSWER: Duration = Duration::from_secs(8);

/// What a call came to: refused, or the items until the stream ended or went silent.
#[derive(Debug, PartialEq)]
enum Outcome {
    Refused(ApiError),
    Items { items: Vec<Result<StreamItem, ApiError>>, silent: bool },
    NoAnswer,
}

fn guardrail(mode: StreamProcessingMode) -> Guardrail {
    Guardrail { id: "gr1abc".to_owned(), version: "3".to_owned(), mode }
}

async fn ours(emulator: &Emulator, prompt: &str, guardrail: Option<&Guardrail>) -> Outcome {
    let client = bedrock::Client::for_endpoint(&emulator.endpoint(), "us-east-1", "AKIDEXAMPLE", "secret");
    let turns = [Turn { role: Role::User, text: prompt.to_owned() }];
    let call = Call {
        model_id: MODEL,
        system: vec!["You tell stories."],
        turns: &turns,
        stop_sequences: &[],
        max_tokens: 200,
        temperature: Some(0.5),
        top_p: None,
        additional_model_request_fields: None,
        cache_points: None,
        service_tier: None,
    };
    let accepted = match tokio::time::timeout(ANSWER, client.converse_stream(call, guardrail)).await {
        Err(_) => return Outcome::NoAnswer,
        Ok(Err(error)) => return Outcome::Refused(error),
        Ok(Ok(accepted)) => accepted,
    };
    let mut items = Vec::new();
    let mut stream = accepted.items;
    loop {
        match tokio::time::timeout(SILENCE, stream.next()).await {
            Err(_) => return Outcome::Items { items, silent: true },
            Ok(None) => return Outcome::Items { items, silent: false },
            Ok(Some(item)) => items.push(item),
        }
    }
}

async fn sdk(emulator: &Emulator, prompt: &str, guardrail: Option<&Guardrail>) -> Outcome {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .load()
        .await;
    let client = aws_sdk_bedrockruntime::Client::new(&config);
    let message =
        Message::builder().role(ConversationRole::User).content(ContentBlock::Text(prompt.to_owned())).build().unwrap();
    let guardrail_config = guardrail.map(|g| {
        GuardrailStreamConfiguration::builder()
            .guardrail_identifier(&g.id)
            .guardrail_version(&g.version)
            .stream_processing_mode(match g.mode {
                StreamProcessingMode::Sync => GuardrailStreamProcessingMode::Sync,
                StreamProcessingMode::Async => GuardrailStreamProcessingMode::Async,
            })
            .trace(GuardrailTrace::Enabled)
            .build()
    });
    let sent = client
        .converse_stream()
        .model_id(MODEL)
        .messages(message)
        .system(aws_sdk_bedrockruntime::types::SystemContentBlock::Text("You tell stories.".to_owned()))
        .inference_config(InferenceConfiguration::builder().max_tokens(200).temperature(0.5).build())
        .set_guardrail_config(guardrail_config)
        .send();
    let mut output = match tokio::time::timeout(ANSWER, sent).await {
        Err(_) => return Outcome::NoAnswer,
        Ok(Err(error)) => return Outcome::Refused(refused(MODEL, "us-east-1", error)),
        Ok(Ok(output)) => output,
    };
    let mut items = Vec::new();
    loop {
        match tokio::time::timeout(SILENCE, output.stream.recv()).await {
            Err(_) => return Outcome::Items { items, silent: true },
            Ok(Ok(None)) => return Outcome::Items { items, silent: false },
            Ok(Ok(Some(event))) => items.extend(item(event).map(Ok)),
            Ok(Err(error)) => {
                items.push(Err(interrupted(MODEL, &error)));
                return Outcome::Items { items, silent: false };
            }
        }
    }
}

/// What differs from one request to the next is left out: `latency_ms` is the emulator's own
/// measure of each call (and 0 ms, which reads as not sent, on a fast one), and a broken frame's checksums depend
/// on its random padding (the wording is compared).
fn timeless(mut outcome: Outcome) -> Outcome {
    if let Outcome::Items { items, .. } = &mut outcome {
        for item in items.iter_mut() {
            match item {
                Ok(StreamItem::Metadata(metadata)) => metadata.latency_ms = None,
                Err(ApiError::UpstreamIncomplete(StreamBreak::Undecodable { reason })) => {
                    let words: Vec<&str> =
                        reason.split(' ').map(|w| if w.starts_with("0x") { "0x…" } else { w }).collect();
                    *reason = words.join(" ");
                }
                _ => {}
            }
        }
    }
    outcome
}

#[tokio::test]
async fn every_stream_and_fault_of_the_emulator_reads_as_it_did_through_the_sdk() {
    let emulator = support::fast_emulator().await;
    let mut names: Vec<String> =
        Fault::documented().map(|(usage, _)| usage.trim_end_matches("[:N]").to_owned()).collect();
    names.insert(0, String::new());
    let mut compared = 0;
    for name in &names {
        let fault: Option<Fault> = (!name.is_empty()).then(|| name.parse().expect("a documented fault"));
        let modes: &[Option<StreamProcessingMode>] = if fault.as_ref().is_some_and(Fault::needs_guardrail) {
            &[Some(StreamProcessingMode::Sync), Some(StreamProcessingMode::Async)]
        } else {
            &[None]
        };
        for mode in modes {
            let guardrail = mode.map(guardrail);
            let prompt = if name.is_empty() { "otters".to_owned() } else { format!("otters fault_{name}") };
            let before = emulator.request_count();
            let theirs = sdk(&emulator, &prompt, guardrail.as_ref()).await;
            let sdk_requests = emulator.request_count() - before;
            let before = emulator.request_count();
            let ours = ours(&emulator, &prompt, guardrail.as_ref()).await;
            let our_requests = emulator.request_count() - before;
            assert_eq!(timeless(ours), timeless(theirs), "fault {name:?} with guardrail {mode:?}");
            assert_eq!(our_requests, sdk_requests, "requests (attempts) for fault {name:?}");
            compared += 1;
        }
    }
    assert!(compared > 30, "{compared} streams compared");
}

// What follows is bedrock.rs and bedrock/guardrail.rs of 28ec599 (the handler through the SDK),
// with the SDK's types as they were.

fn item(output: ConverseStreamOutput) -> Option<StreamItem> {
    match output {
        ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta? {
            ContentBlockDelta::Text(text) => Some(StreamItem::Text(text)),
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text)) => {
                Some(StreamItem::Reasoning(text))
            }
            _ => None,
        },
        ConverseStreamOutput::MessageStop(stop) => {
            Some(StreamItem::Stop { reason: stop.stop_reason.as_str().to_owned() })
        }
        ConverseStreamOutput::Metadata(metadata) => Some(StreamItem::Metadata(Metadata {
            usage: metadata.usage.filter(|u| u.input_tokens != 0 || u.output_tokens != 0 || u.total_tokens != 0).map(
                |u| TokenUsage {
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    total_tokens: u.total_tokens,
                    cache_read_input_tokens: u.cache_read_input_tokens,
                    cache_write_input_tokens: u.cache_write_input_tokens,
                },
            ),
            latency_ms: metadata.metrics.map(|m| m.latency_ms).filter(|&ms| ms != 0),
            guardrail: intervention(metadata.trace.as_ref().and_then(|t| t.guardrail.as_ref())),
            service_tier: metadata.service_tier.and_then(|tier| ServiceTier::from_name(tier.r#type.as_str())),
        })),
        _ => None,
    }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn refused(model: &str, region: &str, error: SdkError<ConverseStreamError>) -> ApiError {
    let model = model.to_owned();
    match &error {
        SdkError::ServiceError(service) => {
            let detail = service.err().message().unwrap_or("no message").to_owned();
            if detail.contains("reached the end of its life") {
                return ApiError::ModelEndOfLife { model, region: region.to_owned(), detail };
            }
            if detail.contains("marked by provider as Legacy") {
                return ApiError::ModelLegacy { model, detail };
            }
            if detail.contains("use case details have not been submitted") {
                return ApiError::ModelUseCaseRequired { model, detail };
            }
            match service.err() {
                ConverseStreamError::ThrottlingException(_) => {
                    ApiError::Throttled { model, message: detail, retried: true }
                }
                ConverseStreamError::ModelNotReadyException(_) => ApiError::ModelNotReady { model, message: detail },
                ConverseStreamError::AccessDeniedException(_) => ApiError::ModelAccessDenied { model, detail },
                ConverseStreamError::ResourceNotFoundException(_) => ApiError::ModelNotFound { model, detail },
                ConverseStreamError::ValidationException(_) => rejected(model, detail),
                ConverseStreamError::ModelTimeoutException(_) => {
                    ApiError::UpstreamTimeout(NoAnswer::ModelTimeout { model, message: detail })
                }
                ConverseStreamError::InternalServerException(_) => {
                    ApiError::BedrockInternalError { message: detail, mid_stream: false }
                }
                ConverseStreamError::ServiceUnavailableException(_) => {
                    ApiError::BedrockUnavailable { message: detail, mid_stream: false }
                }
                other if other.code() == Some("ServiceQuotaExceededException") => {
                    ApiError::QuotaExceeded { model, message: detail }
                }
                other => exception(other.code(), detail),
            }
        }
        SdkError::DispatchFailure(failure) => {
            let cause = failure.as_connector_error().map_or_else(|| "no connection".to_owned(), |e| innermost(e));
            ApiError::UpstreamError(UpstreamFailure::Unreachable { cause })
        }
        // The handler's old mapping made these `upstream_timeout` (the SDK's own timeout) and
        // `upstream_error` (a request not built, an answer not read), variants the handler no
        // longer has. The client here sets no operation timeout and the emulator answers every
        // call with a readable response, so none occurs: one that did would be a difference.
        other => panic!("the SDK failed in a way the handler has no error for: {other:?}"),
    }
}

fn rejected(model: String, detail: String) -> ApiError {
    let advice = if detail.contains("on-demand throughput") {
        Some(Advice::UseInferenceProfile)
    } else if detail.contains("temperature") && detail.contains("top_p") {
        Some(Advice::TemperatureOrTopP)
    } else {
        None
    };
    ApiError::BedrockRejected { model, detail, advice }
}

fn exception(code: Option<&str>, message: String) -> ApiError {
    ApiError::UpstreamError(UpstreamFailure::Exception { code: code.unwrap_or("error").to_owned(), message })
}

fn interrupted(model: &str, error: &SdkError<ConverseStreamOutputError, RawMessage>) -> ApiError {
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let detail = err.message().unwrap_or("no message").to_owned();
            match err {
                ConverseStreamOutputError::ModelStreamErrorException(e) => ApiError::ModelStreamError {
                    message: detail,
                    original_status_code: e.original_status_code,
                    original_message: e.original_message.clone(),
                },
                ConverseStreamOutputError::ThrottlingException(_) => {
                    ApiError::Throttled { model: model.to_owned(), message: detail, retried: false }
                }
                ConverseStreamOutputError::ValidationException(_) => rejected(model.to_owned(), detail),
                ConverseStreamOutputError::InternalServerException(_) => {
                    ApiError::BedrockInternalError { message: detail, mid_stream: true }
                }
                ConverseStreamOutputError::ServiceUnavailableException(_) => {
                    ApiError::BedrockUnavailable { message: detail, mid_stream: true }
                }
                other => match (other.code(), exception_type(service.raw())) {
                    (None, Some(exception_type)) => {
                        ApiError::UpstreamError(UpstreamFailure::UnknownException { exception_type, message: detail })
                    }
                    (code, _) => exception(code, detail),
                },
            }
        }
        SdkError::ResponseError(response) => {
            let reason = std::error::Error::source(error).map_or_else(|| "no detail".to_owned(), |e| e.to_string());
            ApiError::UpstreamIncomplete(match response.raw() {
                RawMessage::Decoded(_) => StreamBreak::Unreadable { reason },
                RawMessage::Invalid(Some(_)) => StreamBreak::Truncated,
                _ => StreamBreak::Undecodable { reason },
            })
        }
        _ => ApiError::UpstreamIncomplete(StreamBreak::ConnectionLost),
    }
}

fn exception_type(raw: &RawMessage) -> Option<String> {
    let RawMessage::Decoded(message) = raw else { return None };
    let header = message.headers().iter().find(|h| h.name().as_str() == ":exception-type")?;
    header.value().as_string().ok().map(|v| v.as_str().to_owned())
}

fn intervention(trace: Option<&GuardrailTraceAssessment>) -> Option<Intervention> {
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
