//! Every way a request can fail, with its HTTP status and stable `code` in one place. Before the
//! stream starts an error is the whole response (status + JSON body); after, it is the last event.
//! Variants are named like their codes; what Bedrock said is carried in typed fields, and the
//! caller's message is rendered from them here.

use http::StatusCode;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The Lambda event is not a request this function can read: neither a Function URL event nor
    /// an API Gateway REST proxy event of the shape it reads (see `crate::lambda::request`).
    #[error("the Lambda event is not a Function URL or API Gateway request: {0}")]
    InvalidEvent(String),
    /// The event's body cannot be decoded (flagged base64 but is not).
    #[error("{0}")]
    InvalidBody(String),
    /// A path no route has ([`crate::service::routes`]): the method and path asked for, and what
    /// the function does serve.
    #[error("{} {} is not served here; this function serves {served}", echo(.method), echo(.path))]
    NotFound { method: String, path: String, served: String },
    /// A path whose routes take other methods: those methods (`allow`, the 405's `Allow` header,
    /// as "GET, HEAD"), and what the function serves.
    #[error("{} {} is not served here; this function serves {served}", echo(.method), echo(.path))]
    MethodNotAllowed { method: String, path: String, allow: String, served: String },
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
    /// `model`: what the caller sent as `"model"`, as JSON text (`"huge"`, `7`).
    #[error("model {} is not offered here; choose one of: {allowed}", echo(.model))]
    ModelNotAllowed { model: String, allowed: String },
    #[error("cannot answer with {}; accepted: application/x-ndjson, application/json, text/event-stream, text/plain", echo(.0))]
    NotAcceptable(String),
    /// A conversation's `messages` the stack's policy refuses (none, an unknown role, empty
    /// content, opening or ending with the assistant); `param` names the field, such as
    /// `messages[2].role`, for the OpenAI error object.
    #[error("{message}")]
    InvalidMessages { param: String, message: String },
    /// A conversation over one of the stack's limits (`chatMaxMessages`, `chatMaxMessageChars`,
    /// `chatMaxTotalChars`).
    #[error("{message}")]
    ConversationTooLarge { param: String, message: String },
    /// A parameter this function cannot honour (`n` other than 1, tools, image parts, a
    /// `response_format` other than text), refused rather than ignored.
    #[error("{message}")]
    UnsupportedParameter { param: String, message: String },
    /// A parameter outside what the model alias allows (a `temperature` above 1, one the alias
    /// fixes, a `stop` that is not a list of strings).
    #[error("{message}")]
    InvalidParameter { param: String, message: String },

    /// Bedrock's ThrottlingException; `message` is Bedrock's own (it says which quota, such as
    /// "Too many tokens per day"), `retried` whether the call was retried (never mid-stream).
    #[error("Bedrock is throttling requests for {model}{}: {message} Slow down or request a quota increase", retried_text(*.retried))]
    Throttled { model: String, message: String, retried: bool },
    /// Bedrock's ServiceQuotaExceededException (not modelled by the Rust SDK for ConverseStream:
    /// it arrives as an unhandled error whose code names it).
    #[error(
        "Bedrock refused {model}: a service quota of this account is used up: {message} Wait, or request an \
         increase in Service Quotas"
    )]
    QuotaExceeded { model: String, message: String },
    /// The stack's daily budget is spent: its CloudWatch alarm is in ALARM and the stack refuses
    /// new requests until it clears ([`crate::budget`]); nothing reached Bedrock.
    #[error(
        "this service's daily budget is spent: new requests are refused until its budget alarm clears (a new day's \
         costs stay under the budget, or the budget is raised)"
    )]
    BudgetExceeded,
    /// Bedrock's ModelNotReadyException, after the retries.
    #[error("the model {model} is not ready to serve requests yet ({message}); retry in a few seconds")]
    ModelNotReady { model: String, message: String },
    /// `detail`: Bedrock's own message. Model access is no longer granted on a console page (the
    /// "Model access" page is retired; docs/deploy.md, Bedrock model access, read 2026-11-29).
    #[error(
        "Bedrock denied access to {model} ({detail}). The account may not be subscribed to the model yet: as an \
         administrator, open {model} in the Bedrock console's Model catalog, submit the use-case form if it asks, \
         and make one call to it (the playground) so AWS Marketplace subscribes the account. Also check that the \
         function's role allows bedrock:InvokeModelWithResponseStream on it"
    )]
    ModelAccessDenied { model: String, detail: String },
    /// Bedrock's "This model version has reached the end of its life" (a ResourceNotFoundException
    /// today; matched on the text, whatever exception carries it).
    #[error(
        "the model {model} has reached the end of its life in {region} ({detail}): configure a model served \
         there (`pulumi config set modelId <model id>`) and redeploy (`just deploy ENV`)"
    )]
    ModelEndOfLife { model: String, region: String, detail: String },
    /// Bedrock's "This Model is marked by provider as Legacy and you have not been actively using
    /// the model in the last 15 days" (a ResourceNotFoundException; matched on the text): an
    /// account gate, not a wrong id. `detail`: Bedrock's own words.
    #[error(
        "Bedrock refuses {model} to this account: the model is Legacy and the account has not used it lately \
         ({detail}). Configure an Active model (Bedrock's model lifecycle page lists them; `pulumi config set \
         modelId <model id>`) and redeploy (`just deploy ENV`)"
    )]
    ModelLegacy { model: String, detail: String },
    /// Bedrock's "Model use case details have not been submitted for this account" (a
    /// ResourceNotFoundException; matched on the text): Anthropic's models need a use-case form
    /// once per account (or AWS Organization). `detail`: Bedrock's own words.
    #[error(
        "Bedrock refuses {model} until this account submits Anthropic's use-case form ({detail}). As an \
         administrator, open {model} in the Bedrock console's Model catalog and submit the use case details (once \
         per account or AWS Organization); Bedrock serves it about 15 minutes later"
    )]
    ModelUseCaseRequired { model: String, detail: String },
    #[error(
        "Bedrock has no model {model} in this region: check the model id, or use an inference profile id such as us.{model} ({detail})"
    )]
    ModelNotFound { model: String, detail: String },
    #[error("Bedrock rejected the request for {model}: {detail}{}", then(.advice))]
    BedrockRejected { model: String, detail: String, advice: Option<Advice> },
    #[error("{0}")]
    UpstreamTimeout(NoAnswer),
    /// Bedrock's InternalServerException (before the stream, after the retries) or
    /// `internalServerException` (mid-stream, never retried): a failure inside Bedrock; its message.
    /// Both stream exceptions here are documented in ConverseStreamOutput (Bedrock API reference,
    /// read 2026-12-07), so a caller can tell an outage from a rejection (`bedrock_rejected`).
    #[error("Bedrock failed with an internal error{}: {message} A new request may succeed", during(*.mid_stream))]
    BedrockInternalError { message: String, mid_stream: bool },
    /// Bedrock's ServiceUnavailableException or `serviceUnavailableException`: an outage; its message.
    #[error("Bedrock is unavailable{}: {message} Retry later", during(*.mid_stream))]
    BedrockUnavailable { message: String, mid_stream: bool },
    #[error("Bedrock failed: {0}")]
    UpstreamError(UpstreamFailure),

    /// Bedrock's `modelStreamErrorException`: its message, and what the model itself reported.
    #[error("the model stream failed: {message}{}", model_said(*.original_status_code, .original_message.as_deref()))]
    ModelStreamError { message: String, original_status_code: Option<i32>, original_message: Option<String> },
    #[error("the answer did not finish within {secs} s")]
    Timeout { secs: u64 },
    #[error("{0}")]
    UpstreamIncomplete(StreamBreak),
}

/// What the caller can do about a request Bedrock rejected, when the rejection says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Advice {
    /// Bedrock's "on-demand throughput isn't supported": the model is served only through inference profiles.
    #[error("use an inference profile id (such as us.<model id>) as the model id")]
    UseInferenceProfile,
    /// Current Claude models take `temperature` or `topP`, not both (Bedrock's text: "`temperature` and
    /// `top_p` cannot both be specified for this model").
    #[error(
        "this model takes a temperature or a topP, not both: unset one of them (STREAMER_TEMPERATURE or \
         STREAMER_TOP_P, or the model alias's temperature or topP)"
    )]
    TemperatureOrTopP,
}

/// Why Bedrock gave no answer in time (`upstream_timeout`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoAnswer {
    /// Bedrock's `ModelTimeoutException`, with its message.
    #[error("the model {model} timed out: {message}")]
    ModelTimeout { model: String, message: String },
    /// The request's deadline came first.
    #[error("Bedrock did not answer within {secs} s")]
    Deadline { secs: u64 },
}

/// How Bedrock failed before or during the stream, when it is none of the named errors (`upstream_error`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamFailure {
    /// A Bedrock exception with no code of its own here: its code (such as
    /// `ServiceUnavailableException`) and message.
    #[error("{code}: {message}")]
    Exception { code: String, message: String },
    /// A mid-stream exception of a type the handler does not know (`:exception-type`), with its message.
    #[error("Bedrock sent an exception this handler does not know, {exception_type}: {message}")]
    UnknownException { exception_type: String, message: String },
    /// No connection to Bedrock; `cause` is the innermost error of the attempt (a refused
    /// connection, a name that did not resolve, `invalid peer certificate: UnknownIssuer`): the
    /// top-level texts of the HTTP client say only that a request failed.
    #[error("could not reach Bedrock: {cause}")]
    Unreachable { cause: String },
}

/// Why the Bedrock stream ended before the story was complete (`upstream_incomplete`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamBreak {
    /// Bedrock closed the body before `messageStop`.
    #[error("the Bedrock stream ended before the story was complete")]
    EndedEarly,
    /// The connection broke mid-stream.
    #[error("the Bedrock stream ended before the story was complete: the connection to Bedrock was lost")]
    ConnectionLost,
    /// The body ended in the middle of an event-stream message.
    #[error("the Bedrock stream ended in the middle of an event")]
    Truncated,
    /// A frame that is not a valid event-stream message (such as a wrong checksum).
    #[error("Bedrock sent a frame that could not be decoded ({reason}); the story is incomplete")]
    Undecodable { reason: String },
    /// A well-formed message whose content could not be read (such as an unknown message type).
    #[error("Bedrock sent an event that could not be read ({reason}); the story is incomplete")]
    Unreadable { reason: String },
}

/// Longest caller value a message repeats whole: the longest a model alias can be (settings.rs
/// `is_alias`), as a storyType ([`crate::request::story_type::MAX_CHARS`]), which is checked before any message
/// repeats it.
const ECHO_CHARS: usize = 64;

/// A value the caller sent, as a message repeats it: whole up to [`ECHO_CHARS`] characters; longer,
/// its first ones, `…` and how long it was (`"xxxx… (16390 characters)`), so a 16 KiB `model` is
/// not sent back (or logged) whole.
fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}… ({} characters)", &value[..cut], value.chars().count()),
    }
}

/// ` while streaming the story` for an exception inside the stream.
fn during(mid_stream: bool) -> &'static str {
    if mid_stream { " while streaming the story" } else { "" }
}

fn retried_text(retried: bool) -> &'static str {
    if retried { " and still was after retries" } else { "" }
}

/// `; <advice>`, or nothing.
fn then(advice: &Option<Advice>) -> String {
    advice.map(|a| format!("; {a}")).unwrap_or_default()
}

/// ` (model said <status>: <message>)`, or as much of it as the model reported.
fn model_said(status: Option<i32>, message: Option<&str>) -> String {
    match (status, message) {
        (Some(code), Some(msg)) => format!(" (model said {code}: {msg})"),
        (Some(code), None) => format!(" (model said {code})"),
        (None, Some(msg)) => format!(" (model said: {msg})"),
        (None, None) => String::new(),
    }
}

/// The one table of variant → HTTP status → code: `status`, `code` and `CODES` are built from it,
/// so a variant cannot be added without both.
macro_rules! codes {
    ($($variant:ident => $status:ident, $code:literal;)*) => {
        impl ApiError {
            /// Every `code` an error can carry, in the order docs/api.md's Errors table lists them.
            pub const CODES: &[&str] = &[$($code),*];

            /// The HTTP status of the whole response when the error comes before the stream.
            pub fn status(&self) -> StatusCode {
                match self {
                    $(ApiError::$variant { .. } => StatusCode::$status,)*
                }
            }

            /// The stable, machine-readable code (docs/api.md's Errors table).
            pub fn code(&self) -> &'static str {
                match self {
                    $(ApiError::$variant { .. } => $code,)*
                }
            }
        }
    };
}

codes! {
    InvalidJson => BAD_REQUEST, "invalid_json";
    InvalidBody => BAD_REQUEST, "invalid_body";
    InvalidEvent => BAD_REQUEST, "invalid_event";
    InvalidStoryType => BAD_REQUEST, "invalid_story_type";
    StoryTypeNotAllowed => BAD_REQUEST, "story_type_not_allowed";
    InvalidMaxTokens => BAD_REQUEST, "invalid_max_tokens";
    ModelNotAllowed => BAD_REQUEST, "model_not_allowed";
    InvalidMessages => BAD_REQUEST, "invalid_messages";
    UnsupportedParameter => BAD_REQUEST, "unsupported_parameter";
    InvalidParameter => BAD_REQUEST, "invalid_parameter";
    NotFound => NOT_FOUND, "not_found";
    MethodNotAllowed => METHOD_NOT_ALLOWED, "method_not_allowed";
    NotAcceptable => NOT_ACCEPTABLE, "not_acceptable";
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "payload_too_large";
    ConversationTooLarge => PAYLOAD_TOO_LARGE, "conversation_too_large";
    Throttled => TOO_MANY_REQUESTS, "throttled";
    QuotaExceeded => TOO_MANY_REQUESTS, "quota_exceeded";
    ModelNotReady => TOO_MANY_REQUESTS, "model_not_ready";
    BudgetExceeded => TOO_MANY_REQUESTS, "budget_exceeded";
    ModelAccessDenied => BAD_GATEWAY, "model_access_denied";
    ModelNotFound => BAD_GATEWAY, "model_not_found";
    ModelEndOfLife => BAD_GATEWAY, "model_end_of_life";
    ModelLegacy => BAD_GATEWAY, "model_legacy";
    ModelUseCaseRequired => BAD_GATEWAY, "model_use_case_required";
    BedrockRejected => BAD_GATEWAY, "bedrock_rejected";
    BedrockInternalError => BAD_GATEWAY, "bedrock_internal_error";
    BedrockUnavailable => BAD_GATEWAY, "bedrock_unavailable";
    UpstreamError => BAD_GATEWAY, "upstream_error";
    UpstreamTimeout => GATEWAY_TIMEOUT, "upstream_timeout";
    ModelStreamError => BAD_GATEWAY, "model_stream_error";
    Timeout => GATEWAY_TIMEOUT, "timeout";
    UpstreamIncomplete => BAD_GATEWAY, "upstream_incomplete";
}

impl ApiError {
    /// A 4xx this function decided (the caller's mistake, or the stack's own daily budget) rather
    /// than Bedrock's failure: its other 429s are Bedrock's quotas.
    pub fn is_client_error(&self) -> bool {
        self.status().is_client_error()
            && (self.status() != StatusCode::TOO_MANY_REQUESTS || matches!(self, ApiError::BudgetExceeded))
    }

    /// The `Allow` header of a 405: the methods the path answers.
    pub fn allow(&self) -> Option<&str> {
        match self {
            ApiError::MethodNotAllowed { allow, .. } => Some(allow),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn upstream_refusals_tell_the_operator_what_to_do() {
        let denied =
            ApiError::ModelAccessDenied { model: "anthropic.claude-3-haiku-20240307-v1:0".into(), detail: "no".into() };
        assert_eq!((denied.status().as_u16(), denied.code()), (502, "model_access_denied"));
        let text = denied.to_string();
        assert!(text.contains("open anthropic.claude-3-haiku-20240307-v1:0 in the Bedrock console's Model catalog"));
        assert!(!text.contains("(Model access)"), "the Model access page is retired: {text}");
        let timeout = ApiError::UpstreamTimeout(NoAnswer::Deadline { secs: 30 });
        assert_eq!((timeout.status().as_u16(), timeout.code()), (504, "upstream_timeout"));
        assert_eq!(timeout.to_string(), "Bedrock did not answer within 30 s");
        assert_eq!(
            ApiError::Throttled { model: "m".into(), message: "Too many tokens per day.".into(), retried: true }
                .status()
                .as_u16(),
            429
        );
    }

    #[test]
    fn messages_are_rendered_from_what_bedrock_said() {
        let rejected = ApiError::BedrockRejected {
            model: "m".into(),
            detail: "on-demand throughput isn't supported".into(),
            advice: Some(Advice::UseInferenceProfile),
        };
        assert_eq!(
            rejected.to_string(),
            "Bedrock rejected the request for m: on-demand throughput isn't supported; use an inference profile id \
             (such as us.<model id>) as the model id"
        );
        let stream_error = ApiError::ModelStreamError {
            message: "boom".into(),
            original_status_code: Some(500),
            original_message: Some("overloaded".into()),
        };
        assert_eq!(stream_error.to_string(), "the model stream failed: boom (model said 500: overloaded)");
        let failed = ApiError::UpstreamError(UpstreamFailure::Exception {
            code: "ServiceUnavailableException".into(),
            message: "try later".into(),
        });
        assert_eq!(failed.to_string(), "Bedrock failed: ServiceUnavailableException: try later");
    }

    #[test]
    fn only_caller_mistakes_count_as_client_errors() {
        assert!(ApiError::InvalidJson("x".into()).is_client_error());
        assert!(
            !ApiError::Throttled { model: "m".into(), message: "Too many tokens per day.".into(), retried: true }
                .is_client_error()
        );
        assert!(!ApiError::UpstreamError(UpstreamFailure::Unreachable { cause: "refused".into() }).is_client_error());
    }

    #[test]
    fn a_long_value_the_caller_sent_is_cut_in_the_message_saying_how_long_it_was() {
        let alias = "a".repeat(62);
        let model = ApiError::ModelNotAllowed { model: format!("\"{alias}\""), allowed: "fast".into() };
        assert_eq!(model.to_string(), format!("model \"{alias}\" is not offered here; choose one of: fast"));
        let huge = ApiError::ModelNotAllowed { model: format!("\"{}\"", "é".repeat(16_000)), allowed: "fast".into() };
        assert_eq!(
            huge.to_string(),
            format!("model \"{}… (16002 characters) is not offered here; choose one of: fast", "é".repeat(63))
        );
        let accept = ApiError::NotAcceptable("x/y, ".repeat(2000)).to_string();
        let first = &"x/y, ".repeat(2000)[..64];
        assert!(accept.starts_with(&format!("cannot answer with {first}… (10000 characters);")), "{accept}");
    }

    #[test]
    fn a_request_no_route_takes_is_told_what_the_function_serves() {
        let favicon =
            ApiError::NotFound { method: "GET".into(), path: "/favicon.ico".into(), served: "GET /models".into() };
        assert_eq!(favicon.to_string(), "GET /favicon.ico is not served here; this function serves GET /models");
        let long = ApiError::NotFound { method: "GET".into(), path: "/a".repeat(50), served: "GET /models".into() };
        assert!(long.to_string().starts_with(&format!("GET {}… (100 characters) is not served", "/a".repeat(32))));
    }

    #[test]
    fn each_code_is_listed_once() {
        let unique: HashSet<&str> = ApiError::CODES.iter().copied().collect();
        assert_eq!(unique.len(), ApiError::CODES.len());
        assert!(ApiError::CODES.contains(&ApiError::Timeout { secs: 1 }.code()));
    }
}
