//! How an emulator is set up: where it listens, how its model is paced, and what it does when
//! nothing else is asked for.

use crate::catalog::Models;
use crate::fault::Fault;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How the emulated model behaves when nothing else is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one (see [`Emulator::endpoint`](crate::Emulator::endpoint)).
    pub addr: SocketAddr,
    /// Time from receiving a request to sending its first `contentBlockDelta`; `messageStart`
    /// goes out at once, as it does from Bedrock.
    pub first_token_delay: Duration,
    /// Time between consecutive deltas.
    pub token_interval: Duration,
    /// Words (= tokens = deltas) in a full story; thousands are fine for benchmarks.
    pub story_words: usize,
    /// Tells the opening and one chapter, a complete text ending with a full stop, whatever
    /// `story_words` says: what a person reads in `just demo` and `just playground`.
    pub whole_story: bool,
    /// The fault for requests that neither the script nor a prompt marker gives one.
    pub default_fault: Option<Fault>,
    /// Whether model ids are answered like Bedrock in the request's region ([`Models::Strict`])
    /// or all served ([`Models::Any`], the default, so tests may use any id in any region).
    pub models: Models,
    /// Leaves Nagle's algorithm on for accepted connections (no `TCP_NODELAY`), as a server that
    /// does not disable it would: each small event-stream frame then waits for the client's ACK
    /// of the previous one, which a client that delays its ACKs holds back ~40 ms on Linux. Off
    /// by default; `just bench` measures both (whether Bedrock's servers disable Nagle is not
    /// known).
    pub nagle: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            first_token_delay: Duration::ZERO,
            token_interval: Duration::ZERO,
            story_words: 60,
            whole_story: false,
            default_fault: None,
            models: Models::Any,
            nagle: false,
        }
    }
}
