//! Every way a request can fail, with its HTTP status and stable `code` in one place. Before the
//! stream starts an error is the whole response (status + JSON body); after, it is the last event.

use http::StatusCode;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("method {0} is not allowed; send POST with a JSON body such as {{\"storyType\":\"CATS\"}}")]
    MethodNotAllowed(String),
    #[error("the request body is {size} bytes; the limit is {limit}")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidStoryType(String),
    #[error("storyType {story_type:?} is not offered here; choose one of: {allowed}")]
    StoryTypeNotAllowed { story_type: String, allowed: String },
    #[error("{0}")]
    InvalidMaxTokens(String),
    #[error("cannot answer with {0}; accepted: application/x-ndjson, application/json, text/event-stream, text/plain")]
    NotAcceptable(String),

    #[error(
        "Bedrock is throttling requests for {model} and still was after retries; slow down or request a quota increase"
    )]
    Throttled { model: String },
    #[error(
        "Bedrock denied access to {model}: enable model access for {model} in the Bedrock console \
         (Model access) for this account and region, and check the function's role allows \
         bedrock:InvokeModelWithResponseStream on it ({detail})"
    )]
    ModelAccessDenied { model: String, detail: String },
    #[error(
        "Bedrock has no model {model} in this region: check the model id, or use an inference profile id such as us.{model} ({detail})"
    )]
    ModelNotFound { model: String, detail: String },
    #[error("Bedrock rejected the request for {model}: {detail}{hint}")]
    UpstreamRejected { model: String, detail: String, hint: &'static str },
    #[error("{0}")]
    UpstreamTimeout(String),
    #[error("Bedrock failed: {0}")]
    UpstreamFailed(String),

    #[error("the model stream failed: {0}")]
    ModelStreamError(String),
    #[error("the story did not finish within {secs} s")]
    StreamTimeout { secs: u64 },
    #[error("the Bedrock stream ended before the story was complete{0}")]
    StreamIncomplete(String),
}

/// The JSON shape of every error the caller sees, before or during the stream.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub code: &'static str,
    pub message: &'a str,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::InvalidJson(_)
            | ApiError::InvalidStoryType(_)
            | ApiError::StoryTypeNotAllowed { .. }
            | ApiError::InvalidMaxTokens(_) => StatusCode::BAD_REQUEST,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ModelAccessDenied { .. }
            | ApiError::ModelNotFound { .. }
            | ApiError::UpstreamRejected { .. }
            | ApiError::UpstreamFailed(_)
            | ApiError::ModelStreamError(_)
            | ApiError::StreamIncomplete(_) => StatusCode::BAD_GATEWAY,
            ApiError::UpstreamTimeout(_) | ApiError::StreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidStoryType(_) => "invalid_story_type",
            ApiError::StoryTypeNotAllowed { .. } => "story_type_not_allowed",
            ApiError::InvalidMaxTokens(_) => "invalid_max_tokens",
            ApiError::NotAcceptable(_) => "not_acceptable",
            ApiError::Throttled { .. } => "throttled",
            ApiError::ModelAccessDenied { .. } => "model_access_denied",
            ApiError::ModelNotFound { .. } => "model_not_found",
            ApiError::UpstreamRejected { .. } => "bedrock_rejected",
            ApiError::UpstreamTimeout(_) => "upstream_timeout",
            ApiError::UpstreamFailed(_) => "upstream_error",
            ApiError::ModelStreamError(_) => "model_stream_error",
            ApiError::StreamTimeout { .. } => "timeout",
            ApiError::StreamIncomplete(_) => "upstream_incomplete",
        }
    }

    /// The caller's mistake (4xx) rather than ours or Bedrock's.
    pub fn is_client_error(&self) -> bool {
        self.status().is_client_error() && !matches!(self, ApiError::Throttled { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_refusals_tell_the_operator_what_to_do() {
        let denied =
            ApiError::ModelAccessDenied { model: "anthropic.claude-3-haiku-20240307-v1:0".into(), detail: "no".into() };
        assert_eq!((denied.status().as_u16(), denied.code()), (502, "model_access_denied"));
        assert!(
            denied
                .to_string()
                .contains("enable model access for anthropic.claude-3-haiku-20240307-v1:0 in the Bedrock console")
        );
        let timeout = ApiError::UpstreamTimeout("Bedrock did not answer within 30 s".into());
        assert_eq!((timeout.status().as_u16(), timeout.code()), (504, "upstream_timeout"));
        assert_eq!(ApiError::Throttled { model: "m".into() }.status().as_u16(), 429);
    }

    #[test]
    fn only_caller_mistakes_count_as_client_errors() {
        assert!(ApiError::InvalidJson("x".into()).is_client_error());
        assert!(!ApiError::Throttled { model: "m".into() }.is_client_error());
        assert!(!ApiError::UpstreamFailed("x".into()).is_client_error());
    }
}
