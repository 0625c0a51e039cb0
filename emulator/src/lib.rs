//! A wire-level emulator of Amazon Bedrock's `ConverseStream` operation.
//!
//! It answers `POST /model/{modelId}/converse-stream` the way Bedrock does: a `200` response of
//! type `application/vnd.amazon.eventstream` whose AWS event-stream messages carry
//! `messageStart`, one `contentBlockDelta` per token, `contentBlockStop`, `messageStop` and
//! `metadata`, each JSON payload padded with a random `"p"` field; or an HTTP error with an
//! `x-amzn-ErrorType` header and a `{"message": ...}` body. The real AWS SDK, pointed at
//! [`Emulator::endpoint`], decodes it into its typed events and errors.
//!
//! The "model" tells a short story about the prompt's subject (the text after the last
//! `about:`, else the last word), paced by [`EmulatorConfig::first_token_delay`] and
//! [`EmulatorConfig::token_interval`]. [`Fault`]s, picked per request from a script, a
//! `fault_<name>` word in the prompt, or a default, reproduce Bedrock's failures before and during
//! the stream. A last user message carrying the word [`ECHO_MARKER`] is answered with the
//! conversation it was sent instead of a story. Every request is recorded as a [`RecordedRequest`] for tests to assert on.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use bedrock_emulator::{Emulator, EmulatorConfig, Fault};
//!
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! emulator.script([Fault::Throttling]); // the first attempt is throttled, the SDK's retry streams
//! // ... point the SDK at emulator.endpoint() and call converse_stream ...
//! assert_eq!(emulator.request_count(), 2);
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod alarm;
mod body;
mod catalog;
mod config;
mod converse;
mod eventstream;
mod exchange;
mod fault;
mod guardrail;
mod model;
mod parameter;
mod prompt_cache;
mod record;
mod server;
mod story;

pub use catalog::Models;
pub use config::EmulatorConfig;
pub use converse::{CachePoint, Turn};
pub use fault::{
    CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, DEFAULT_AFTER_TOKENS, EMPTY_DELTA_LEAD, Fault, ParseFaultError,
};
pub use guardrail::{BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE, BLOCKED_TOPIC, FLAGGED_TOKENS};
pub use parameter::ParameterRead;
pub use record::{ExchangeOutcome, RecordedRequest};
pub use server::Emulator;
pub use story::ECHO_MARKER;
