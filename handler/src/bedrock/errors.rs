//! What each Bedrock failure means to the caller, as [`ApiError`]s: a refusal before the stream
//! (an HTTP error status, or no answer at all) and a break in it (an exception message, a frame
//! that cannot be read, a body cut short).
//!
//! An HTTP error names its error in the `x-amzn-errortype` header (`ThrottlingException`, or
//! `ThrottlingException:http://internal.amazon.com/…`) and carries `{"message": …}`; an exception
//! message names it in `:exception-type` (ConverseStream API reference, "Errors", and the
//! restJson1 protocol's error rules, read 2026-12-07). Read as aws-sdk-bedrockruntime 1.153.0 read
//! them (`json_errors.rs`, its unmarshaller), so each maps as it did through the SDK.
//!
//! Error text for the caller comes from the error's code and message; the full detail goes to the
//! logs only.

use serde::Deserialize;
use serde_json::Value;

use super::events::Broken;
use crate::error::{Advice, ApiError, NoAnswer, StreamBreak, UpstreamFailure};

/// Why Bedrock did not accept the call.
#[derive(Debug)]
pub(super) enum Refusal {
    /// An HTTP error status, with the error's code and message when Bedrock's answer had them.
    Status { status: u16, code: Option<String>, message: Option<String> },
    /// No HTTP answer: the connection could not be made, or broke (the innermost cause).
    Unreachable { cause: String },
}

impl Refusal {
    /// An HTTP error answer: the code from `x-amzn-errortype`, else the body's `code` or
    /// `__type`; the body's `message` (or `Message`, `errorMessage`). A body that is not JSON
    /// gives neither, as it gave the SDK an unmodelled error.
    pub(super) fn from_answer(status: u16, error_type: Option<&str>, body: &[u8]) -> Refusal {
        let Ok(fields) = error_fields(body) else {
            return Refusal::Status { status, code: None, message: None };
        };
        let code = error_type.or(fields.code.as_deref()).map(sanitize).map(str::to_owned);
        Refusal::Status { status, code, message: fields.message }
    }
}

/// A code and message as an error's JSON gives them.
#[derive(Default)]
struct ErrorFields {
    code: Option<String>,
    message: Option<String>,
}

/// The string members `code` (else `__type`) and `message` (else `Message`, `errorMessage`) of a
/// JSON object; nothing from an empty body or another JSON value; `Err` for a body that is not JSON.
fn error_fields(body: &[u8]) -> Result<ErrorFields, serde_json::Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ErrorFields::default());
    }
    let Value::Object(object) = serde_json::from_slice::<Value>(body)? else { return Ok(ErrorFields::default()) };
    let string = |keys: &[&str]| keys.iter().find_map(|k| object.get(*k).and_then(Value::as_str)).map(str::to_owned);
    Ok(ErrorFields { code: string(&["code", "__type"]), message: string(&["message", "Message", "errorMessage"]) })
}

/// `ns#Name:uri` → `Name` (aws-sdk-bedrockruntime's `sanitize_error_code`).
fn sanitize(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code)
}

/// Whether the SDK's standard retry mode retried a refusal (aws-smithy-runtime 1.16 and
/// aws-runtime 1.10 classifiers, read 2026-12-07): throttling and transient error codes, the
/// modelled-retryable `ModelNotReadyException`, HTTP 500, 502, 503 and 504, and no answer at all
/// when the connection failed in a way worth another try (`transient`).
pub(super) fn retryable(refusal: &Refusal, transient: bool) -> bool {
    const THROTTLING: [&str; 14] = [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    ];
    const TRANSIENT: [&str; 3] = ["RequestTimeout", "RequestTimeoutException", "ModelNotReadyException"];
    match refusal {
        Refusal::Status { status, code, .. } => {
            matches!(status, 500 | 502 | 503 | 504)
                || code.as_deref().is_some_and(|c| THROTTLING.contains(&c) || TRANSIENT.contains(&c))
        }
        Refusal::Unreachable { .. } => transient,
    }
}

/// What a refusal before the stream means for the caller, after the retries.
pub(super) fn refused(model: &str, region: &str, refusal: Refusal) -> ApiError {
    tracing::warn!(error = ?refusal, "Bedrock refused the call");
    let model = model.to_owned();
    let (code, detail) = match refusal {
        Refusal::Status { code, message, .. } => (code, message.unwrap_or_else(|| "no message".to_owned())),
        Refusal::Unreachable { cause } => return ApiError::UpstreamError(UpstreamFailure::Unreachable { cause }),
    };
    // Account gates and end of life come as ResourceNotFoundException today; the words say
    // which, whatever exception carries them (Bedrock's texts and their public sources, read
    // 2026-12-07: emulator/src/fault.rs `EndOfLife`, `Legacy`, `UseCaseRequired`).
    if detail.contains("reached the end of its life") {
        return ApiError::ModelEndOfLife { model, region: region.to_owned(), detail };
    }
    if detail.contains("marked by provider as Legacy") {
        return ApiError::ModelLegacy { model, detail };
    }
    if detail.contains("use case details have not been submitted") {
        return ApiError::ModelUseCaseRequired { model, detail };
    }
    match code.as_deref() {
        Some("ThrottlingException") => ApiError::Throttled { model, message: detail, retried: true },
        Some("ModelNotReadyException") => ApiError::ModelNotReady { model, message: detail },
        Some("AccessDeniedException") => ApiError::ModelAccessDenied { model, detail },
        Some("ResourceNotFoundException") => ApiError::ModelNotFound { model, detail },
        Some("ValidationException") => rejected(model, detail),
        Some("ModelTimeoutException") => ApiError::UpstreamTimeout(NoAnswer::ModelTimeout { model, message: detail }),
        Some("InternalServerException") => ApiError::BedrockInternalError { message: detail, mid_stream: false },
        Some("ServiceUnavailableException") => ApiError::BedrockUnavailable { message: detail, mid_stream: false },
        Some("ServiceQuotaExceededException") => ApiError::QuotaExceeded { model, message: detail },
        other => failure(other, detail),
    }
}

pub(super) fn rejected(model: String, detail: String) -> ApiError {
    let advice = if detail.contains("on-demand throughput") {
        Some(Advice::UseInferenceProfile)
    } else if detail.contains("temperature") && detail.contains("top_p") {
        Some(Advice::TemperatureOrTopP)
    } else {
        None
    };
    ApiError::BedrockRejected { model, detail, advice }
}

fn failure(code: Option<&str>, message: String) -> ApiError {
    ApiError::UpstreamError(UpstreamFailure::Exception { code: code.unwrap_or("error").to_owned(), message })
}

/// A modelled exception's payload: `message`, and a `modelStreamErrorException`'s
/// `originalStatusCode` and `originalMessage` (the model's own failure).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionPayload {
    message: Option<String>,
    original_status_code: Option<i32>,
    original_message: Option<String>,
}

/// An exception message on the stream: its `:exception-type` and JSON payload.
pub(super) fn exception(exception_type: &str, payload: &[u8], model: &str) -> ApiError {
    let Ok(generic) = error_fields(payload) else {
        return ApiError::UpstreamError(UpstreamFailure::UnknownException {
            exception_type: exception_type.to_owned(),
            message: "no message".to_owned(),
        });
    };
    let modelled = || {
        serde_json::from_slice::<ExceptionPayload>(payload).unwrap_or(ExceptionPayload {
            message: None,
            original_status_code: None,
            original_message: None,
        })
    };
    let detail = |message: Option<String>| message.unwrap_or_else(|| "no message".to_owned());
    match exception_type {
        "modelStreamErrorException" => {
            let e = modelled();
            ApiError::ModelStreamError {
                message: detail(e.message),
                original_status_code: e.original_status_code,
                original_message: e.original_message,
            }
        }
        "throttlingException" => {
            ApiError::Throttled { model: model.to_owned(), message: detail(modelled().message), retried: false }
        }
        "validationException" => rejected(model.to_owned(), detail(modelled().message)),
        "internalServerException" => {
            ApiError::BedrockInternalError { message: detail(modelled().message), mid_stream: true }
        }
        "serviceUnavailableException" => {
            ApiError::BedrockUnavailable { message: detail(modelled().message), mid_stream: true }
        }
        // Not modelled: one whose payload names no code is named by its `:exception-type`.
        _ => match generic.code.as_deref().map(sanitize) {
            None => ApiError::UpstreamError(UpstreamFailure::UnknownException {
                exception_type: exception_type.to_owned(),
                message: detail(generic.message),
            }),
            code => failure(code, detail(generic.message)),
        },
    }
}

/// What a failure after the stream started means for the caller.
pub(super) fn interrupted(broken: Broken) -> ApiError {
    tracing::warn!(error = ?broken, "the Bedrock stream failed");
    match broken {
        Broken::Exception(error) => error,
        Broken::Unreadable(reason) => ApiError::UpstreamIncomplete(StreamBreak::Unreadable { reason }),
        Broken::Truncated => ApiError::UpstreamIncomplete(StreamBreak::Truncated),
        Broken::Undecodable(reason) => ApiError::UpstreamIncomplete(StreamBreak::Undecodable { reason }),
        Broken::ConnectionLost(cause) => {
            tracing::debug!(%cause, "the connection to Bedrock broke mid-stream");
            ApiError::UpstreamIncomplete(StreamBreak::ConnectionLost)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_for_temperature_and_top_p_together_says_which_settings_to_drop() {
        // Bedrock's text for current Claude models (reported in aws-samples/bedrock-access-gateway
        // issue 191, 2025-10-16).
        let detail = "The model returned the following errors: `temperature` and `top_p` cannot both be specified \
                      for this model. Please use only one.";
        let error = rejected("m".into(), detail.into());
        assert_eq!(error.code(), "bedrock_rejected");
        let message = error.to_string();
        assert!(message.contains(detail), "{message}");
        assert!(message.contains("unset one of them (STREAMER_TEMPERATURE or STREAMER_TOP_P"), "{message}");
    }

    #[test]
    fn the_error_type_header_wins_and_loses_its_namespace_and_uri() {
        let refusal = Refusal::from_answer(
            429,
            Some("com.amazon.bedrock#ThrottlingException:http://internal.amazon.com/coral/"),
            br#"{"__type":"Other","Message":"slow down"}"#,
        );
        let Refusal::Status { code, message, .. } = &refusal else { panic!("{refusal:?}") };
        assert_eq!((code.as_deref(), message.as_deref()), (Some("ThrottlingException"), Some("slow down")));
        assert!(retryable(&refusal, false));
        let unknown = Refusal::from_answer(400, None, br#"{"__type":"a#ServiceQuotaExceededException"}"#);
        assert_eq!(refused("m", "r", unknown).code(), "quota_exceeded");
    }
}
