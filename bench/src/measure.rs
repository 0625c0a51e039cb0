//! The measurements, one function per phase. Each phase starts fresh function processes, each
//! with its own Runtime API, against an in-process emulator whose delta timestamps share the
//! harness's monotonic clock.

use std::path::Path;
use std::time::{Duration, Instant};

use bedrock_emulator::{Emulator, EmulatorConfig};
use bytes::Bytes;

use crate::event;
use crate::function::{Function, Launch};
use crate::runtime_api::{Invocation, RuntimeApi};
use crate::stream::{self, Streamed};

const INIT_TIMEOUT: Duration = Duration::from_secs(10);
const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);

/// What every phase needs to start the function.
pub struct Setup<'a> {
    pub handler: &'a Path,
    pub log: &'a Path,
}

/// The emulator of the cold and warm phases: a 60-word story, no first-token delay, no pacing.
pub fn short_story() -> EmulatorConfig {
    EmulatorConfig::default()
}

/// The short story from an emulator that leaves Nagle's algorithm on (no `TCP_NODELAY`), like
/// an upstream that keeps it: the warm phase runs against both.
pub fn short_story_with_nagle() -> EmulatorConfig {
    EmulatorConfig { nagle: true, ..EmulatorConfig::default() }
}

/// The relay phase's emulator: tokens paced 2 ms apart, like a fast model, so each delta is
/// relayed on its own instead of queueing behind the previous one. The first token comes 100 ms
/// after the request, after the once-per-response stall of the runtime client's connection (the
/// warm first-text-byte figure carries that), so the stall is not counted again for each delta
/// that would queue behind it.
pub fn paced_story() -> EmulatorConfig {
    EmulatorConfig {
        first_token_delay: Duration::from_millis(100),
        token_interval: Duration::from_millis(2),
        story_words: 200,
        ..EmulatorConfig::default()
    }
}

/// The throughput phase's emulator: thousands of tokens as fast as they can go.
pub fn long_story() -> EmulatorConfig {
    EmulatorConfig { story_words: 20_000, ..EmulatorConfig::default() }
}

pub struct ColdStarts {
    /// exec → first `next` poll.
    pub to_first_poll: Vec<Duration>,
    /// exec → first text event of the first invocation (event queued before the exec).
    pub to_first_text: Vec<Duration>,
}

pub async fn cold_starts(setup: &Setup<'_>, starts: usize) -> Result<ColdStarts, String> {
    let emulator = start_emulator(short_story()).await?;
    let mut result =
        ColdStarts { to_first_poll: Vec::with_capacity(starts), to_first_text: Vec::with_capacity(starts) };
    for i in 1..=starts {
        let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
        let first = api.invoke(story_event());
        let session = Session::launch(setup, &emulator, api).await?;
        let (_, streamed) = complete(first).await?;
        result.to_first_poll.push(session.first_poll - session.function.started);
        result.to_first_text.push(first_text(&streamed)? - session.function.started);
        session.stop().await?;
        progress("cold starts", i, starts);
    }
    Ok(result)
}

pub struct Warm {
    /// Event delivered → first text event received.
    pub to_first_text: Vec<Duration>,
    /// Event delivered → response body ended.
    pub whole: Vec<Duration>,
    /// Where `to_first_text` goes, per invocation, in order: delivered → response headers,
    /// headers → prelude, prelude → 8-NUL separator, separator → first text.
    pub steps: Vec<[Duration; 4]>,
    pub peak_rss: u64,
}

pub async fn warm(setup: &Setup<'_>, invocations: usize, upstream: EmulatorConfig) -> Result<Warm, String> {
    let emulator = start_emulator(upstream).await?;
    let session = Session::start(setup, &emulator).await?;
    session.invoke().await?;
    let mut result = Warm {
        to_first_text: Vec::with_capacity(invocations),
        whole: Vec::with_capacity(invocations),
        steps: Vec::with_capacity(invocations),
        peak_rss: 0,
    };
    for i in 1..=invocations {
        let (invocation, streamed) = session.invoke().await?;
        let text = first_text(&streamed)?;
        result.to_first_text.push(text - invocation.delivered);
        result.whole.push(invocation.ended - invocation.delivered);
        result.steps.push([
            invocation.response_began - invocation.delivered,
            streamed.prelude_at - invocation.response_began,
            streamed.separator_at - streamed.prelude_at,
            text - streamed.separator_at,
        ]);
        progress("warm invocations", i, invocations);
    }
    result.peak_rss = peak_rss(&session)?;
    session.stop().await?;
    Ok(result)
}

pub struct Relay {
    /// Per text event: the emulator handed the delta to its socket → the harness received the
    /// event.
    pub delays: Vec<Duration>,
    pub peak_rss: u64,
}

pub async fn relay(setup: &Setup<'_>, invocations: usize) -> Result<Relay, String> {
    let emulator = start_emulator(paced_story()).await?;
    let session = Session::start(setup, &emulator).await?;
    session.invoke().await?;
    let mut delays = Vec::new();
    for i in 1..=invocations {
        let (_, streamed) = session.invoke().await?;
        // Invocations are sequential and the SDK never retried a successful call, so the latest
        // recorded request is this invocation's.
        let recorded = emulator.requests().pop().ok_or("the emulator saw no request")?;
        let received = streamed.text_times();
        if received.len() != recorded.delta_times.len() {
            return Err(format!(
                "{} deltas sent but {} text events received",
                recorded.delta_times.len(),
                received.len()
            ));
        }
        delays.extend(
            received
                .iter()
                .zip(&recorded.delta_times)
                .map(|(received, sent)| received.saturating_duration_since(*sent)),
        );
        progress("relay invocations", i, invocations);
    }
    let peak_rss = peak_rss(&session)?;
    session.stop().await?;
    Ok(Relay { delays, peak_rss })
}

pub struct Throughput {
    /// Per long story: the function's CPU time (user + system, all threads) per 1,000 events.
    pub cpu_per_1000_events: Vec<Duration>,
    /// Per long story: events relayed / (event delivered → response ended).
    pub events_per_second: Vec<f64>,
    /// Events relayed per story (text events plus start, stop and usage).
    pub events: usize,
    pub peak_rss: u64,
}

pub async fn throughput(setup: &Setup<'_>, stories: usize) -> Result<Throughput, String> {
    let emulator = start_emulator(long_story()).await?;
    let session = Session::start(setup, &emulator).await?;
    session.invoke().await?;
    let mut result = Throughput {
        cpu_per_1000_events: Vec::with_capacity(stories),
        events_per_second: Vec::with_capacity(stories),
        events: 0,
        peak_rss: 0,
    };
    for i in 1..=stories {
        let before = session.function.cpu_time()?;
        let (invocation, streamed) = session.invoke().await?;
        let cpu = session.function.cpu_time()?.saturating_sub(before);
        let events = streamed.events.len();
        let elapsed = invocation.ended - invocation.delivered;
        result.cpu_per_1000_events.push(cpu * 1000 / u32::try_from(events).map_err(|e| e.to_string())?);
        result.events_per_second.push(events as f64 / elapsed.as_secs_f64());
        result.events = events;
        progress("long stories", i, stories);
    }
    result.peak_rss = peak_rss(&session)?;
    session.stop().await?;
    Ok(result)
}

/// The phase's peak RSS, also on stderr: the report shows only the highest.
fn peak_rss(session: &Session) -> Result<u64, String> {
    let bytes = session.function.peak_rss()?;
    eprintln!("  peak RSS of this phase's function: {:.2} MiB", bytes as f64 / (1024.0 * 1024.0));
    Ok(bytes)
}

/// A function process with its own Runtime API, past its init phase.
struct Session {
    api: RuntimeApi,
    function: Function,
    first_poll: Instant,
}

impl Session {
    async fn start(setup: &Setup<'_>, emulator: &Emulator) -> Result<Session, String> {
        let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
        Session::launch(setup, emulator, api).await
    }

    /// Starts the function on `api` and waits for its first poll.
    async fn launch(setup: &Setup<'_>, emulator: &Emulator, api: RuntimeApi) -> Result<Session, String> {
        let endpoint = emulator.endpoint();
        let mut function = Function::spawn(&Launch {
            binary: setup.handler,
            runtime_api: api.addr(),
            bedrock_endpoint: &endpoint,
            max_tokens: long_story().story_words,
            log: setup.log,
        })?;
        let first_poll = function.ready(&api, INIT_TIMEOUT).await?;
        Ok(Session { api, function, first_poll })
    }

    async fn invoke(&self) -> Result<(Invocation, Streamed<Instant>), String> {
        self.ask(Ask::Story).await
    }

    async fn ask(&self, ask: Ask) -> Result<(Invocation, Streamed<Instant>), String> {
        complete(self.api.invoke(event_for(ask))).await
    }

    async fn stop(self) -> Result<(), String> {
        self.function.stop().await
    }
}

fn story_event() -> Bytes {
    event::function_url_post(r#"{"storyType":"CATS"}"#)
}

/// What an invocation asks the function for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// `POST /` `{"storyType":"CATS"}`, NDJSON.
    Story,
    /// The same prompt as a one-message conversation on `POST /v1/chat/completions`, streamed, as
    /// an OpenAI client sends it.
    Conversation,
}

fn event_for(ask: Ask) -> Bytes {
    match ask {
        Ask::Story => story_event(),
        Ask::Conversation => event::function_url_post_to(
            "/v1/chat/completions",
            r#"{"model":"default","stream":true,"messages":[{"role":"user","content":"Tell me a very short story about: CATS"}]}"#,
            "application/json",
        ),
    }
}

/// A story and a conversation side by side, on one function process, alternating invocations so
/// both meet the same machine: the conversation row's figures and the story path's of the same
/// phase.
pub struct Conversation {
    /// Event delivered → first text event, per invocation.
    pub story_first_text: Vec<Duration>,
    pub chat_first_text: Vec<Duration>,
    /// Per long answer: the function's CPU time per 1,000 events (chunks for the conversation).
    pub story_cpu_per_1000_events: Vec<Duration>,
    pub chat_cpu_per_1000_events: Vec<Duration>,
}

pub async fn conversation(setup: &Setup<'_>, invocations: usize, long: usize) -> Result<Conversation, String> {
    let mut result = Conversation {
        story_first_text: Vec::with_capacity(invocations),
        chat_first_text: Vec::with_capacity(invocations),
        story_cpu_per_1000_events: Vec::with_capacity(long),
        chat_cpu_per_1000_events: Vec::with_capacity(long),
    };
    let emulator = start_emulator(short_story()).await?;
    let session = Session::start(setup, &emulator).await?;
    for ask in [Ask::Story, Ask::Conversation] {
        session.ask(ask).await?;
    }
    for i in 1..=invocations {
        for (ask, times) in
            [(Ask::Story, &mut result.story_first_text), (Ask::Conversation, &mut result.chat_first_text)]
        {
            let (invocation, streamed) = session.ask(ask).await?;
            times.push(first_text(&streamed)? - invocation.delivered);
        }
        progress("story and conversation invocations", i, invocations);
    }
    session.stop().await?;

    let emulator = start_emulator(long_story()).await?;
    let session = Session::start(setup, &emulator).await?;
    for ask in [Ask::Story, Ask::Conversation] {
        session.ask(ask).await?;
    }
    for i in 1..=long {
        for (ask, cpu) in [
            (Ask::Story, &mut result.story_cpu_per_1000_events),
            (Ask::Conversation, &mut result.chat_cpu_per_1000_events),
        ] {
            let before = session.function.cpu_time()?;
            let (_, streamed) = session.ask(ask).await?;
            let spent = session.function.cpu_time()?.saturating_sub(before);
            cpu.push(spent * 1000 / u32::try_from(streamed.events.len()).map_err(|e| e.to_string())?);
        }
        progress("long stories and conversations", i, long);
    }
    session.stop().await?;
    Ok(result)
}

/// Waits for one story, checked to be a complete, successful stream.
async fn complete(
    invocation: impl Future<Output = Result<Invocation, String>>,
) -> Result<(Invocation, Streamed<Instant>), String> {
    let invocation = tokio::time::timeout(INVOKE_TIMEOUT, invocation)
        .await
        .map_err(|_| format!("no complete response within {INVOKE_TIMEOUT:?}"))??;
    let streamed = stream::split(&invocation.frames).map_err(|e| e.to_string())?;
    if streamed.prelude["statusCode"] != 200 {
        return Err(format!("the function answered {}", streamed.prelude));
    }
    match streamed.events.last() {
        Some(last) if last.is_end() => Ok((invocation, streamed)),
        last => Err(format!("the stream did not end with usage or [DONE]: {:?}", last.map(|l| &l.event))),
    }
}

async fn start_emulator(config: EmulatorConfig) -> Result<Emulator, String> {
    Emulator::start(config).await.map_err(|e| format!("cannot start the emulator: {e}"))
}

fn first_text(streamed: &Streamed<Instant>) -> Result<Instant, String> {
    streamed.text_times().first().copied().ok_or_else(|| "the stream had no text event".to_owned())
}

/// Progress on stderr, about ten lines per phase: the whole run takes a while.
fn progress(phase: &str, done: usize, of: usize) {
    if done == of || done.is_multiple_of(of.div_ceil(10)) {
        eprintln!("  {phase}: {done}/{of}");
    }
}
