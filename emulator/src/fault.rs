//! The faults the emulator can inject, how they are named, and what Bedrock sends for each.

use std::fmt;
use std::str::FromStr;

/// How many deltas a mid-stream fault lets through when it is picked by a prompt marker or by a
/// name without `:N`.
pub const DEFAULT_AFTER_TOKENS: usize = 3;

/// A failure Bedrock can produce, injected into one `converse-stream` request.
///
/// Pre-stream faults answer the HTTP request with an error status before any event is sent, the
/// way Bedrock rejects a call; the SDK turns them into `ConverseStreamError` variants and retries
/// the retryable ones (429 and 5xx). Mid-stream faults start a normal `200` event stream and
/// break it after `after_tokens` `contentBlockDelta` events; the SDK never retries those.
///
/// Each fault has a name (see [`Fault::name`]) accepted by [`FromStr`] (`"stall"`, `"stall:5"`)
/// and usable as a prompt marker `fault_<name>` (always with [`DEFAULT_AFTER_TOKENS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `429 ThrottlingException`: "Too many requests, please wait before trying again."
    /// Retried by the SDK. Name `throttling`.
    Throttling,
    /// `403 AccessDeniedException`: model access has not been granted. Name `access_denied`.
    AccessDenied,
    /// `400 ValidationException`: the model needs an inference profile for on-demand
    /// throughput. Name `validation`.
    Validation,
    /// `404 ResourceNotFoundException`: the model id does not resolve. Name `model_not_found`.
    ModelNotFound,
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
}

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
}

/// Every fault name, in the order the README documents them.
const NAMES: [&str; 13] = [
    "throttling",
    "access_denied",
    "validation",
    "model_not_found",
    "model_timeout",
    "unavailable",
    "internal",
    "hang",
    "midstream_error",
    "midstream_throttling",
    "stall",
    "truncate",
    "drop",
];

impl Fault {
    /// The canonical name, as accepted by [`FromStr`] and used in `fault_<name>` prompt markers.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Throttling => "throttling",
            Self::AccessDenied => "access_denied",
            Self::Validation => "validation",
            Self::ModelNotFound => "model_not_found",
            Self::ModelTimeout => "model_timeout",
            Self::ServiceUnavailable => "unavailable",
            Self::InternalError => "internal",
            Self::Hang => "hang",
            Self::MidStreamModelError { .. } => "midstream_error",
            Self::MidStreamThrottling { .. } => "midstream_throttling",
            Self::Stall { .. } => "stall",
            Self::Truncate { .. } => "truncate",
            Self::Drop { .. } => "drop",
        }
    }

    /// For mid-stream faults, how many deltas go out before the fault; `None` for pre-stream ones.
    pub fn after_tokens(&self) -> Option<usize> {
        match *self {
            Self::MidStreamModelError { after_tokens }
            | Self::MidStreamThrottling { after_tokens }
            | Self::Stall { after_tokens }
            | Self::Truncate { after_tokens }
            | Self::Drop { after_tokens } => Some(after_tokens),
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
                (429, "ThrottlingException", "Too many requests, please wait before trying again.".to_owned())
            }
            Self::AccessDenied => (
                403,
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.".to_owned(),
            ),
            Self::Validation => (
                400,
                "ValidationException",
                format!(
                    "Invocation of model ID {model_id} with on-demand throughput isn't supported. Retry your \
                     request with the ID or ARN of an inference profile that contains this model."
                ),
            ),
            Self::ModelNotFound => (
                404,
                "ResourceNotFoundException",
                "Could not resolve the foundation model from the provided model identifier.".to_owned(),
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
        let fault = match name {
            "throttling" => Self::Throttling,
            "access_denied" => Self::AccessDenied,
            "validation" => Self::Validation,
            "model_not_found" => Self::ModelNotFound,
            "model_timeout" => Self::ModelTimeout,
            "unavailable" => Self::ServiceUnavailable,
            "internal" => Self::InternalError,
            "hang" => Self::Hang,
            "midstream_error" => Self::MidStreamModelError { after_tokens },
            "midstream_throttling" => Self::MidStreamThrottling { after_tokens },
            "stall" => Self::Stall { after_tokens },
            "truncate" => Self::Truncate { after_tokens },
            "drop" => Self::Drop { after_tokens },
            _ => {
                return Err(ParseFaultError(format!("unknown fault {name:?}; expected one of: {}", NAMES.join(", "))));
            }
        };
        if count.is_some() && fault.after_tokens().is_none() {
            return Err(ParseFaultError(format!("fault {name:?} happens before streaming and takes no token count")));
        }
        Ok(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_through_display() {
        for name in NAMES {
            let fault: Fault = name.parse().unwrap();
            assert_eq!(fault.name(), name);
            assert_eq!(fault.to_string().parse::<Fault>().unwrap(), fault);
        }
    }

    #[test]
    fn mid_stream_faults_take_an_optional_token_count() {
        assert_eq!("stall".parse(), Ok(Fault::Stall { after_tokens: DEFAULT_AFTER_TOKENS }));
        assert_eq!("drop:0".parse(), Ok(Fault::Drop { after_tokens: 0 }));
        assert!("throttling:2".parse::<Fault>().is_err());
        assert!("stall:x".parse::<Fault>().is_err());
        assert!("bogus".parse::<Fault>().unwrap_err().to_string().contains("midstream_error"));
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
    }
}
