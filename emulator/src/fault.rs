//! The faults the emulator can inject, how they are named, and what Bedrock sends for each.

use std::fmt;
use std::str::FromStr;

use crate::eventstream::StreamException;

/// How many deltas a mid-stream fault lets through when it is picked by a prompt marker or by a
/// name without `:N`.
pub const DEFAULT_AFTER_TOKENS: usize = 3;

/// Something Bedrock does that a caller has to handle, injected into one `converse-stream`
/// request: a failure, or a legitimate variation of a stream (thinking, cached input, missing
/// parts) that the plain story does not show.
///
/// Pre-stream faults answer the HTTP request with an error status before any event is sent, the
/// way Bedrock rejects a call; the SDK turns them into `ConverseStreamError` variants and retries
/// the retryable ones (429 and 5xx). Mid-stream faults start a normal `200` event stream and
/// break it after `after_tokens` text `contentBlockDelta` events; the SDK never retries those.
/// Stream variations change what a successful `200` stream carries.
///
/// Each fault has a name (see [`Fault::name`]) accepted by [`FromStr`] (`"stall"`, `"stall:5"`)
/// and usable as a prompt marker `fault_<name>` (always with [`DEFAULT_AFTER_TOKENS`]);
/// [`Fault::documented`] lists them all with a one-line summary.
///
/// Error texts are Bedrock's own where a public report shows them; each variant names its source
/// (read 2026-11-29).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `429 ThrottlingException`: "Too many tokens per day, please wait before trying again."
    /// (the text Bedrock sends for an exhausted tokens-per-day quota, as quoted in
    /// github.com/minorun365/agent-book issue 29, 2026-01-08). Retried by the SDK.
    /// Name `throttling`.
    Throttling,
    /// `403 AccessDeniedException`: model access has not been granted. Name `access_denied`.
    AccessDenied,
    /// `400 ValidationException`: "Invocation of model ID … with on-demand throughput isn’t
    /// supported. Retry your request with the ID or ARN of an inference profile that contains
    /// this model." (curly apostrophe, as Bedrock writes it: github.com/terricain/aioboto3
    /// issue 352). Name `validation`.
    Validation,
    /// `404 ResourceNotFoundException`: the model id does not resolve. Name `model_not_found`.
    ModelNotFound,
    /// `404 ResourceNotFoundException`: "This model version has reached the end of its life.
    /// Please refer to the AWS documentation for more details." (Bedrock's text for a model past
    /// its end-of-life date, quoted in github.com/aws-samples/amazon-bedrock-ai-karaoke issue 21
    /// and aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws
    /// issue 708, 2026-08-31). Not retried. Name `end_of_life`.
    EndOfLife,
    /// `404 ResourceNotFoundException`: "Access denied. This Model is marked by provider as
    /// Legacy and you have not been actively using the model in the last 15 days. Please upgrade
    /// to an active model on Amazon Bedrock" (Bedrock's text for a Legacy model the account has
    /// not used lately, quoted in github.com/awslabs/llmeter issue 35, 2026-03-24, and
    /// aws-samples/amazon-bedrock-workshop issue 386, 2026-03-16; others quote "30 days", e.g.
    /// fourTheorem/podwhisperer pull request 24; read 2026-12-07). Not retried. Name `legacy`.
    Legacy,
    /// `404 ResourceNotFoundException`: "Model use case details have not been submitted for this
    /// account. Fill out the Anthropic use case details form before using the model. If you have
    /// already filled out the form, try again in 15 minutes." (Bedrock's text until an account
    /// has submitted Anthropic's use-case form, quoted whole in Obot's Bedrock provider guide and
    /// its first two sentences in many public setup notes; read 2026-12-07). Not retried. Name
    /// `use_case_required`.
    UseCaseRequired,
    /// `400 ServiceQuotaExceededException` (the status the Bedrock Runtime API reference gives
    /// it): "Your request exceeds the service quota for your account. You can view your quotas
    /// at Viewing service quotas. You can resubmit your request later." (the shape's documented
    /// description; no public report shows another text). The Rust SDK does not model this
    /// error for ConverseStream: it arrives as an unhandled error whose code names it. Not
    /// retried. Name `quota_exceeded`.
    QuotaExceeded,
    /// `429 ModelNotReadyException`: "The model specified in the request is not ready to serve
    /// inference requests." (the API reference's description). The SDK retries it.
    /// Name `model_not_ready`.
    ModelNotReady,
    /// `408 ModelTimeoutException`: the model took too long. Name `model_timeout`.
    ModelTimeout,
    /// `503 ServiceUnavailableException`. Retried by the SDK. Name `unavailable`.
    ServiceUnavailable,
    /// `500 InternalServerException`. Retried by the SDK. Name `internal`.
    InternalError,
    /// Accepts the request and never answers: no status, no headers, until the client leaves.
    /// What an unreachable or overloaded endpoint looks like to a caller with a deadline.
    /// Name `hang`.
    Hang,
    /// Sends `after_tokens` deltas, then a `modelStreamErrorException` exception message, then
    /// ends the body cleanly. Name `midstream_error`.
    MidStreamModelError {
        /// Deltas sent before the exception.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then a `throttlingException` exception message, then ends
    /// the body cleanly. Name `midstream_throttling`.
    MidStreamThrottling {
        /// Deltas sent before the exception.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then an `internalServerException` exception message, then
    /// ends the body. Name `midstream_internal`.
    MidStreamInternal {
        /// Deltas sent before the exception.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then a `serviceUnavailableException` exception message, then
    /// ends the body. Name `midstream_unavailable`.
    MidStreamUnavailable {
        /// Deltas sent before the exception.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then a `validationException` exception message, then ends
    /// the body. Name `midstream_validation`.
    MidStreamValidation {
        /// Deltas sent before the exception.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then an exception message of a type no SDK models
    /// (`:exception-type: someNewException`, `{"message": …}`), then ends the body: what a new
    /// Bedrock error looks like to an SDK built before it. Name `unknown_exception`.
    UnknownException {
        /// Deltas sent before the exception.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then a frame whose message checksum is wrong (the bytes of a
    /// delta with its CRC flipped), then ends the body: an event stream the SDK cannot decode.
    /// Name `bad_frame`.
    BadFrame {
        /// Deltas sent before the broken frame.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then goes silent while keeping the connection open until the
    /// client leaves: what a hung model looks like to a caller. Name `stall`.
    Stall {
        /// Deltas sent before going silent.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then ends the body cleanly with no `messageStop` or
    /// `metadata`: a stream cut short without any error to show for it. Name `truncate`.
    Truncate {
        /// Deltas sent before the body ends.
        after_tokens: usize,
    },
    /// Sends `after_tokens` deltas, then aborts the connection without ending the chunked body,
    /// so the client sees a broken transport rather than an event. Name `drop`.
    Drop {
        /// Deltas sent before the connection breaks.
        after_tokens: usize,
    },
    /// The first `contentBlockDelta` carries `{"text":""}` and the first word follows
    /// [`EMPTY_DELTA_LEAD`] later (reported from several models on Bedrock). Name
    /// `empty_first_delta`.
    EmptyFirstDelta,
    /// The body ends right after `messageStop`, with no `metadata` event. Name `no_metadata`.
    NoMetadata,
    /// The whole stream, `metadata` included, then the body stays open without a byte more
    /// until the client leaves (recorded as a client disconnect). Name `linger`.
    Linger,
    /// The model thinks first: `reasoningContent` deltas (`{"text": …}`, then one
    /// `{"signature": …}`) in content block 0, then the story in content block 1. The
    /// reasoning tokens count as output tokens. Name `reasoning`.
    Reasoning,
    /// `metadata.usage` also reports prompt caching: `cacheReadInputTokens` =
    /// [`CACHE_READ_TOKENS`], `cacheWriteInputTokens` = [`CACHE_WRITE_TOKENS`], both counted in
    /// `totalTokens`. Name `cache`.
    Cache,
    /// `metadata` carries `usage` but no `metrics` (no `latencyMs`). Name `no_metrics`.
    NoMetrics,
    /// The request's guardrail blocks the prompt: the whole answer is the blocked-input message
    /// ([`crate::guardrail::BLOCKED_INPUT_MESSAGE`]), the stop reason `guardrail_intervened`, and
    /// `metadata` carries the input assessment (when the request asked for a trace). Only for a
    /// request with a `guardrailConfig`; without one the story streams as usual. Name
    /// `guardrail_input`.
    GuardrailInput,
    /// The request's guardrail blocks the answer after `after_tokens` deltas: in `sync` mode the
    /// flagged text is held back and replaced by the blocked-output message; in `async` mode the
    /// flagged text ([`crate::guardrail::FLAGGED_TOKENS`] more deltas) has already gone out and
    /// nothing follows it; either way the stop reason is `guardrail_intervened` and `metadata`
    /// carries the output assessment. Only for a request with a `guardrailConfig`. Name
    /// `guardrail_output`.
    GuardrailOutput {
        /// Deltas the guardrail let through before the text it flags.
        after_tokens: usize,
    },
}

/// How long after the empty first delta of [`Fault::EmptyFirstDelta`] the first word follows
/// (the delay measured in the field report).
pub const EMPTY_DELTA_LEAD: std::time::Duration = std::time::Duration::from_millis(150);

/// `cacheReadInputTokens` reported by [`Fault::Cache`]: one 4,096-token checkpoint, the minimum
/// Claude Haiku 4.5 caches (Bedrock prompt caching guide, read 2026-11-29).
pub const CACHE_READ_TOKENS: usize = 4096;

/// `cacheWriteInputTokens` reported by [`Fault::Cache`].
pub const CACHE_WRITE_TOKENS: usize = 512;

/// The error response Bedrock sends for a rejected request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ErrorResponse {
    pub status: u16,
    /// The `x-amzn-ErrorType` shape name, e.g. `ThrottlingException`.
    pub error_type: &'static str,
    pub message: String,
}

impl ErrorResponse {
    pub fn validation(message: impl Into<String>) -> Self {
        Self { status: 400, error_type: "ValidationException", message: message.into() }
    }

    /// Bedrock's refusal of a bare model id that is served only through inference profiles.
    pub fn on_demand_not_supported(model_id: &str) -> Self {
        Self::validation(format!(
            "Invocation of model ID {model_id} with on-demand throughput isn’t supported. Retry your request with \
             the ID or ARN of an inference profile that contains this model."
        ))
    }

    /// Bedrock's answer for a model past its end of life.
    pub fn end_of_life() -> Self {
        Self {
            status: 404,
            error_type: "ResourceNotFoundException",
            message: "This model version has reached the end of its life. Please refer to the AWS documentation for \
                      more details."
                .to_owned(),
        }
    }
}

/// One named fault: the name, a summary for `--help`, and how to build it from a token count
/// (ignored by faults that take none).
struct Kind {
    name: &'static str,
    summary: &'static str,
    make: fn(usize) -> Fault,
}

/// Every fault, in the order emulator/README.md documents them: the one list that parsing, prompt
/// markers and `--help` are built from.
const KINDS: [Kind; 31] = [
    Kind { name: "throttling", summary: "429 ThrottlingException (SDK retries)", make: |_| Fault::Throttling },
    Kind { name: "access_denied", summary: "403 AccessDeniedException", make: |_| Fault::AccessDenied },
    Kind {
        name: "validation",
        summary: "400 ValidationException: on-demand throughput isn’t supported",
        make: |_| Fault::Validation,
    },
    Kind { name: "model_not_found", summary: "404 ResourceNotFoundException", make: |_| Fault::ModelNotFound },
    Kind {
        name: "end_of_life",
        summary: "404 ResourceNotFoundException: the model reached the end of its life",
        make: |_| Fault::EndOfLife,
    },
    Kind {
        name: "legacy",
        summary: "404 ResourceNotFoundException: a Legacy model the account has not used lately",
        make: |_| Fault::Legacy,
    },
    Kind {
        name: "use_case_required",
        summary: "404 ResourceNotFoundException: the Anthropic use-case form is not submitted",
        make: |_| Fault::UseCaseRequired,
    },
    Kind {
        name: "quota_exceeded",
        summary: "400 ServiceQuotaExceededException (not modelled by the Rust SDK)",
        make: |_| Fault::QuotaExceeded,
    },
    Kind {
        name: "model_not_ready",
        summary: "429 ModelNotReadyException (SDK retries)",
        make: |_| Fault::ModelNotReady,
    },
    Kind { name: "model_timeout", summary: "408 ModelTimeoutException", make: |_| Fault::ModelTimeout },
    Kind {
        name: "unavailable",
        summary: "503 ServiceUnavailableException (SDK retries)",
        make: |_| Fault::ServiceUnavailable,
    },
    Kind { name: "internal", summary: "500 InternalServerException (SDK retries)", make: |_| Fault::InternalError },
    Kind { name: "hang", summary: "no answer at all until the client leaves", make: |_| Fault::Hang },
    Kind {
        name: "midstream_error",
        summary: "N deltas, then a modelStreamErrorException",
        make: |after_tokens| Fault::MidStreamModelError { after_tokens },
    },
    Kind {
        name: "midstream_throttling",
        summary: "N deltas, then a throttlingException",
        make: |after_tokens| Fault::MidStreamThrottling { after_tokens },
    },
    Kind {
        name: "midstream_internal",
        summary: "N deltas, then an internalServerException",
        make: |after_tokens| Fault::MidStreamInternal { after_tokens },
    },
    Kind {
        name: "midstream_unavailable",
        summary: "N deltas, then a serviceUnavailableException",
        make: |after_tokens| Fault::MidStreamUnavailable { after_tokens },
    },
    Kind {
        name: "midstream_validation",
        summary: "N deltas, then a validationException",
        make: |after_tokens| Fault::MidStreamValidation { after_tokens },
    },
    Kind {
        name: "unknown_exception",
        summary: "N deltas, then an exception of a type no SDK models",
        make: |after_tokens| Fault::UnknownException { after_tokens },
    },
    Kind {
        name: "bad_frame",
        summary: "N deltas, then a frame with a broken checksum",
        make: |after_tokens| Fault::BadFrame { after_tokens },
    },
    Kind {
        name: "stall",
        summary: "N deltas, then silence until the client leaves",
        make: |after_tokens| Fault::Stall { after_tokens },
    },
    Kind {
        name: "truncate",
        summary: "N deltas, then the body ends with no messageStop or metadata",
        make: |after_tokens| Fault::Truncate { after_tokens },
    },
    Kind {
        name: "drop",
        summary: "N deltas, then the connection breaks mid-body",
        make: |after_tokens| Fault::Drop { after_tokens },
    },
    Kind {
        name: "empty_first_delta",
        summary: "the first delta is {\"text\":\"\"}, the first word 150 ms later",
        make: |_| Fault::EmptyFirstDelta,
    },
    Kind { name: "no_metadata", summary: "the body ends after messageStop, no metadata", make: |_| Fault::NoMetadata },
    Kind { name: "linger", summary: "the whole stream, then the body stays open", make: |_| Fault::Linger },
    Kind { name: "reasoning", summary: "reasoningContent deltas before the text", make: |_| Fault::Reasoning },
    Kind { name: "cache", summary: "usage also reports cacheRead/cacheWriteInputTokens", make: |_| Fault::Cache },
    Kind { name: "no_metrics", summary: "metadata without metrics (no latencyMs)", make: |_| Fault::NoMetrics },
    Kind {
        name: "guardrail_input",
        summary: "with a guardrailConfig: the guardrail blocks the prompt",
        make: |_| Fault::GuardrailInput,
    },
    Kind {
        name: "guardrail_output",
        summary: "with a guardrailConfig: N deltas, then the guardrail blocks the answer",
        make: |after_tokens| Fault::GuardrailOutput { after_tokens },
    },
];

fn kinds() -> impl Iterator<Item = &'static Kind> {
    KINDS.iter()
}

impl Fault {
    /// The canonical name, as accepted by [`FromStr`] and used in `fault_<name>` prompt markers.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Throttling => "throttling",
            Self::AccessDenied => "access_denied",
            Self::Validation => "validation",
            Self::ModelNotFound => "model_not_found",
            Self::EndOfLife => "end_of_life",
            Self::Legacy => "legacy",
            Self::UseCaseRequired => "use_case_required",
            Self::QuotaExceeded => "quota_exceeded",
            Self::ModelNotReady => "model_not_ready",
            Self::ModelTimeout => "model_timeout",
            Self::ServiceUnavailable => "unavailable",
            Self::InternalError => "internal",
            Self::Hang => "hang",
            Self::MidStreamModelError { .. } => "midstream_error",
            Self::MidStreamThrottling { .. } => "midstream_throttling",
            Self::MidStreamInternal { .. } => "midstream_internal",
            Self::MidStreamUnavailable { .. } => "midstream_unavailable",
            Self::MidStreamValidation { .. } => "midstream_validation",
            Self::UnknownException { .. } => "unknown_exception",
            Self::BadFrame { .. } => "bad_frame",
            Self::Stall { .. } => "stall",
            Self::Truncate { .. } => "truncate",
            Self::Drop { .. } => "drop",
            Self::EmptyFirstDelta => "empty_first_delta",
            Self::NoMetadata => "no_metadata",
            Self::Linger => "linger",
            Self::Reasoning => "reasoning",
            Self::Cache => "cache",
            Self::NoMetrics => "no_metrics",
            Self::GuardrailInput => "guardrail_input",
            Self::GuardrailOutput { .. } => "guardrail_output",
        }
    }

    /// Every fault's usage (`name`, or `name[:N]` for those that take a token count) with a
    /// one-line summary, in documentation order: what `--help` prints.
    pub fn documented() -> impl Iterator<Item = (String, &'static str)> {
        kinds().map(|kind| {
            let usage = match (kind.make)(0).after_tokens() {
                Some(_) => format!("{}[:N]", kind.name),
                None => kind.name.to_owned(),
            };
            (usage, kind.summary)
        })
    }

    /// For mid-stream faults, how many deltas go out before the fault; `None` for the others.
    pub fn after_tokens(&self) -> Option<usize> {
        match *self {
            Self::MidStreamModelError { after_tokens }
            | Self::MidStreamThrottling { after_tokens }
            | Self::MidStreamInternal { after_tokens }
            | Self::MidStreamUnavailable { after_tokens }
            | Self::MidStreamValidation { after_tokens }
            | Self::UnknownException { after_tokens }
            | Self::BadFrame { after_tokens }
            | Self::Stall { after_tokens }
            | Self::Truncate { after_tokens }
            | Self::Drop { after_tokens }
            | Self::GuardrailOutput { after_tokens } => Some(after_tokens),
            _ => None,
        }
    }

    /// Whether the fault is the guardrail's, which only a request with a `guardrailConfig` has.
    pub fn needs_guardrail(&self) -> bool {
        matches!(self, Self::GuardrailInput | Self::GuardrailOutput { .. })
    }

    /// The exception message a mid-stream exception fault ends its stream with.
    pub(crate) fn stream_exception(&self) -> Option<StreamException> {
        match self {
            Self::MidStreamModelError { .. } => Some(StreamException::ModelStreamError),
            Self::MidStreamThrottling { .. } => Some(StreamException::Throttling),
            Self::MidStreamInternal { .. } => Some(StreamException::InternalServer),
            Self::MidStreamUnavailable { .. } => Some(StreamException::ServiceUnavailable),
            Self::MidStreamValidation { .. } => Some(StreamException::Validation),
            Self::UnknownException { .. } => Some(StreamException::Unknown),
            _ => None,
        }
    }

    /// Finds a `fault_<name>` marker word in a prompt; the last marker wins, like the subject.
    pub fn from_prompt(prompt: &str) -> Option<Fault> {
        prompt
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter_map(|word| word.strip_prefix("fault_"))
            .filter_map(|name| name.parse().ok())
            .next_back()
    }

    /// The HTTP error Bedrock answers with, for faults that reject the request before streaming.
    pub(crate) fn pre_stream_error(&self, model_id: &str) -> Option<ErrorResponse> {
        let (status, error_type, message) = match self {
            Self::Throttling => {
                (429, "ThrottlingException", "Too many tokens per day, please wait before trying again.".to_owned())
            }
            Self::AccessDenied => (
                403,
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.".to_owned(),
            ),
            Self::Validation => return Some(ErrorResponse::on_demand_not_supported(model_id)),
            Self::ModelNotFound => (
                404,
                "ResourceNotFoundException",
                "Could not resolve the foundation model from the provided model identifier.".to_owned(),
            ),
            Self::EndOfLife => return Some(ErrorResponse::end_of_life()),
            Self::Legacy => (
                404,
                "ResourceNotFoundException",
                "Access denied. This Model is marked by provider as Legacy and you have not been actively using the \
                 model in the last 15 days. Please upgrade to an active model on Amazon Bedrock"
                    .to_owned(),
            ),
            Self::UseCaseRequired => (
                404,
                "ResourceNotFoundException",
                "Model use case details have not been submitted for this account. Fill out the Anthropic use case \
                 details form before using the model. If you have already filled out the form, try again in 15 \
                 minutes."
                    .to_owned(),
            ),
            Self::QuotaExceeded => (
                400,
                "ServiceQuotaExceededException",
                "Your request exceeds the service quota for your account. You can view your quotas at Viewing \
                 service quotas. You can resubmit your request later."
                    .to_owned(),
            ),
            Self::ModelNotReady => (
                429,
                "ModelNotReadyException",
                "The model specified in the request is not ready to serve inference requests.".to_owned(),
            ),
            Self::ModelTimeout => (
                408,
                "ModelTimeoutException",
                "Model has timed out in processing the request. Try your request again.".to_owned(),
            ),
            Self::ServiceUnavailable => {
                (503, "ServiceUnavailableException", "Bedrock is unable to process your request.".to_owned())
            }
            Self::InternalError => (
                500,
                "InternalServerException",
                "The system encountered an unexpected error during processing. Try your request again.".to_owned(),
            ),
            _ => return None,
        };
        Some(ErrorResponse { status, error_type, message })
    }
}

impl fmt::Display for Fault {
    /// Writes the name, plus `:N` for mid-stream faults, so that `to_string().parse()` round-trips.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.after_tokens() {
            Some(n) => write!(f, "{}:{n}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// Why a fault name did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFaultError(String);

impl fmt::Display for ParseFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseFaultError {}

impl FromStr for Fault {
    type Err = ParseFaultError;

    /// Parses `name` or, for mid-stream faults, `name:after_tokens` (e.g. `stall:5`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, count) = match s.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (s, None),
        };
        let after_tokens = match count {
            None => DEFAULT_AFTER_TOKENS,
            Some(count) => {
                count.parse().map_err(|_| ParseFaultError(format!("fault {s:?}: {count:?} is not a token count")))?
            }
        };
        let Some(kind) = kinds().find(|kind| kind.name == name) else {
            let names: Vec<_> = kinds().map(|kind| kind.name).collect();
            return Err(ParseFaultError(format!("unknown fault {name:?}; expected one of: {}", names.join(", "))));
        };
        let fault = (kind.make)(after_tokens);
        if count.is_some() && fault.after_tokens().is_none() {
            return Err(ParseFaultError(format!("fault {name:?} takes no token count")));
        }
        Ok(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_builds_its_fault_and_round_trips_through_display() {
        for kind in kinds() {
            let fault: Fault = kind.name.parse().unwrap();
            assert_eq!(fault.name(), kind.name);
            assert_eq!(fault.to_string().parse::<Fault>().unwrap(), fault);
        }
        assert_eq!(kinds().count(), 31);
        assert_eq!(Fault::documented().count(), kinds().count());
    }

    #[test]
    fn mid_stream_faults_take_an_optional_token_count() {
        assert_eq!("stall".parse(), Ok(Fault::Stall { after_tokens: DEFAULT_AFTER_TOKENS }));
        assert_eq!("drop:0".parse(), Ok(Fault::Drop { after_tokens: 0 }));
        assert_eq!("bad_frame:1".parse(), Ok(Fault::BadFrame { after_tokens: 1 }));
        assert!("throttling:2".parse::<Fault>().is_err());
        assert!("linger:2".parse::<Fault>().is_err());
        assert!("stall:x".parse::<Fault>().is_err());
        assert!("bogus".parse::<Fault>().unwrap_err().to_string().contains("midstream_error"));
    }

    #[test]
    fn the_documented_list_marks_the_faults_that_take_a_count() {
        let documented: Vec<_> = Fault::documented().map(|(usage, _)| usage).collect();
        assert!(documented.contains(&"stall[:N]".to_owned()));
        assert!(documented.contains(&"hang".to_owned()));
        assert!(documented.contains(&"no_metrics".to_owned()));
    }

    #[test]
    fn prompt_markers_are_whole_words() {
        assert_eq!(
            Fault::from_prompt("a story about fault_midstream_error."),
            Some(Fault::MidStreamModelError { after_tokens: DEFAULT_AFTER_TOKENS })
        );
        assert_eq!(Fault::from_prompt("fault_stall then fault_drop"), Some(Fault::Drop { after_tokens: 3 }));
        assert_eq!(Fault::from_prompt("no default_fault_throttling here"), None);
        assert_eq!(Fault::from_prompt("fault_nonsense"), None);
        assert_eq!(Fault::from_prompt("think first fault_reasoning"), Some(Fault::Reasoning));
    }
}
