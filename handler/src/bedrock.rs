//! The Bedrock side: one ConverseStream call, and what each Bedrock failure means to the caller.
//! Error text for the caller comes from the error's code and message (an AccessDenied's Display is
//! just "service error"); the full chain goes to the logs only.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseStreamOutput, InferenceConfiguration, Message, SystemContentBlock,
};
use aws_smithy_types::event_stream::RawMessage;

use crate::error::ApiError;

pub type Events = EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>;
pub type StreamError = SdkError<ConverseStreamOutputError, RawMessage>;

/// Everything one ConverseStream call needs.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub model_id: &'a str,
    pub prompt: String,
    pub system: Option<&'a str>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
}

/// A stream Bedrock has accepted (its response headers have arrived).
pub struct Accepted {
    pub events: Events,
    pub request_id: Option<String>,
}

/// Sends the call; returns once Bedrock has accepted it or refused it (after the SDK's retries of
/// throttling and 5xx), so a refusal can still be a real HTTP status.
pub async fn converse_stream(client: &Client, call: Call<'_>) -> Result<Accepted, ApiError> {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(call.prompt))
        .build()
        .map_err(|e| ApiError::UpstreamFailed(format!("could not build the request: {e}")))?;
    let inference = InferenceConfiguration::builder()
        .max_tokens(i32::try_from(call.max_tokens).unwrap_or(i32::MAX))
        .set_temperature(call.temperature)
        .set_top_p(call.top_p)
        .build();
    let output = client
        .converse_stream()
        .model_id(call.model_id)
        .messages(message)
        .set_system(call.system.map(|s| vec![SystemContentBlock::Text(s.to_owned())]))
        .inference_config(inference)
        .send()
        .await
        .map_err(|e| refused(call.model_id, e))?;
    let request_id = output.request_id().map(str::to_owned);
    Ok(Accepted { events: output.stream, request_id })
}

/// What a failure before the stream started means for the caller.
fn refused(model: &str, error: SdkError<ConverseStreamError>) -> ApiError {
    tracing::warn!(error = %DisplayErrorContext(&error), "Bedrock refused the call");
    let model = model.to_owned();
    match &error {
        SdkError::ServiceError(service) => {
            let detail = service.err().message().unwrap_or("no message").to_owned();
            match service.err() {
                ConverseStreamError::ThrottlingException(_) => ApiError::Throttled { model },
                ConverseStreamError::AccessDeniedException(_) => ApiError::ModelAccessDenied { model, detail },
                ConverseStreamError::ResourceNotFoundException(_) => ApiError::ModelNotFound { model, detail },
                ConverseStreamError::ValidationException(_) => rejected(model, detail),
                ConverseStreamError::ModelTimeoutException(_) => {
                    ApiError::UpstreamTimeout(format!("the model {model} timed out: {detail}"))
                }
                other => ApiError::UpstreamFailed(format!("{}: {detail}", other.code().unwrap_or("error"))),
            }
        }
        SdkError::TimeoutError(_) => ApiError::UpstreamTimeout("Bedrock did not answer in time".into()),
        SdkError::DispatchFailure(_) => ApiError::UpstreamFailed("could not reach Bedrock".into()),
        _ => ApiError::UpstreamFailed("Bedrock's answer could not be read".into()),
    }
}

fn rejected(model: String, detail: String) -> ApiError {
    let hint = if detail.contains("on-demand throughput") {
        "; use an inference profile id (such as us.<model id>) as the model id"
    } else {
        ""
    };
    ApiError::UpstreamRejected { model, detail, hint }
}

/// What a failure after the stream started means for the caller.
pub fn interrupted(model: &str, error: &StreamError) -> ApiError {
    tracing::warn!(error = %DisplayErrorContext(error), "the Bedrock stream failed");
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let detail = err.message().unwrap_or("no message").to_owned();
            match err {
                ConverseStreamOutputError::ModelStreamErrorException(e) => {
                    let original = match (e.original_status_code, e.original_message.as_deref()) {
                        (Some(code), Some(msg)) => format!(" (model said {code}: {msg})"),
                        (Some(code), None) => format!(" (model said {code})"),
                        (None, Some(msg)) => format!(" (model said: {msg})"),
                        (None, None) => String::new(),
                    };
                    ApiError::ModelStreamError(format!("{detail}{original}"))
                }
                ConverseStreamOutputError::ThrottlingException(_) => ApiError::Throttled { model: model.to_owned() },
                ConverseStreamOutputError::ValidationException(_) => rejected(model.to_owned(), detail),
                other => ApiError::UpstreamFailed(format!("{}: {detail}", other.code().unwrap_or("error"))),
            }
        }
        _ => ApiError::StreamIncomplete(": the connection to Bedrock was lost".into()),
    }
}
