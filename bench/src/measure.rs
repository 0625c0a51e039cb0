//! The measurements, one function per phase. Each phase starts fresh function processes, each
//! with its own Runtime API, against an in-process emulator whose delta timestamps share the
//! harness's monotonic clock. With two subjects (`--compare`), every phase measures both in the
//! same run, taking turns invocation by invocation, so that a change in the machine's load falls
//! on both columns alike.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bedrock_emulator::{Emulator, EmulatorConfig};
use bytes::Bytes;
use runtime_api_standin::{Answer, RuntimeApi};

use crate::event;
use crate::function::{Function, Launch};
use crate::stream::{self, Framing, Streamed};

const INIT_TIMEOUT: Duration = Duration::from_secs(10);
const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a freshly started function is left waiting in its first `next` poll before its CPU
/// time is read: long enough for it to be idle in that poll.
const SETTLE: Duration = Duration::from_millis(20);

/// A handler binary under measurement, the name of its column, and how it frames its events.
pub struct Subject {
    pub label: String,
    pub binary: PathBuf,
    pub framing: Framing,
}

/// What every phase needs to start the functions.
pub struct Setup<'a> {
    pub subjects: &'a [Subject],
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

/// Words in the back-to-back CPU phase's stories: thousands of tokens as fast as they can go.
pub const LONG_STORY_WORDS: usize = 20_000;
/// Words in the paced CPU phase's stories.
pub const PACED_STORY_WORDS: usize = 2_000;

/// How a CPU phase's upstream sends its events.
#[derive(Clone, Copy, Debug)]
pub enum Sending {
    /// As fast as they go: the handler reads many events per syscall.
    BackToBack,
    /// One event every `interval`, each flushed on its own (one TCP segment each, unless the
    /// upstream's Nagle holds it), as Bedrock sends a model's tokens while it generates them.
    Paced(Duration),
}

/// A CPU phase's emulator: `sending` decides the story's length and pacing; `nagle` whether the
/// upstream leaves Nagle's algorithm on.
pub fn cpu_story(sending: Sending, nagle: bool) -> EmulatorConfig {
    match sending {
        Sending::BackToBack => EmulatorConfig { story_words: LONG_STORY_WORDS, nagle, ..EmulatorConfig::default() },
        Sending::Paced(interval) => EmulatorConfig {
            first_token_delay: interval,
            token_interval: interval,
            story_words: PACED_STORY_WORDS,
            nagle,
            ..EmulatorConfig::default()
        },
    }
}

pub struct ColdStarts {
    /// exec → first `next` poll.
    pub to_first_poll: Vec<Duration>,
    /// exec → first text event of the first invocation (event queued before the exec).
    pub to_first_text: Vec<Duration>,
    /// CPU time (user + system) from exec to the first `next` poll, read once the function waits
    /// in that poll with no event queued.
    pub cpu_to_first_poll: Vec<Duration>,
}

/// `starts` rounds; in each, every subject starts twice: once with an event waiting (the cold
/// path), once without (its CPU until it waits for work).
pub async fn cold_starts(setup: &Setup<'_>, starts: usize) -> Result<Vec<ColdStarts>, String> {
    let emulator = start_emulator(short_story()).await?;
    let mut results: Vec<ColdStarts> = setup
        .subjects
        .iter()
        .map(|_| ColdStarts {
            to_first_poll: Vec::with_capacity(starts),
            to_first_text: Vec::with_capacity(starts),
            cpu_to_first_poll: Vec::with_capacity(starts),
        })
        .collect();
    for i in 1..=starts {
        for (subject, result) in setup.subjects.iter().zip(&mut results) {
            let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
            let first = api.invoke(story_event());
            let session = Session::launch(setup, subject, &emulator, api).await?;
            let (_, streamed) = complete(first, subject.framing).await?;
            result.to_first_poll.push(session.first_poll - session.function.started);
            result.to_first_text.push(first_text(&streamed)? - session.function.started);
            session.stop().await?;

            let session = Session::start(setup, subject, &emulator).await?;
            tokio::time::sleep(SETTLE).await;
            result.cpu_to_first_poll.push(session.function.cpu_time()?);
            session.stop().await?;
        }
        progress("cold starts", i, starts);
    }
    Ok(results)
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

pub async fn warm(setup: &Setup<'_>, invocations: usize, upstream: EmulatorConfig) -> Result<Vec<Warm>, String> {
    let emulator = start_emulator(upstream).await?;
    let sessions = Session::start_all(setup, &emulator).await?;
    let mut results: Vec<Warm> = sessions
        .iter()
        .map(|_| Warm {
            to_first_text: Vec::with_capacity(invocations),
            whole: Vec::with_capacity(invocations),
            steps: Vec::with_capacity(invocations),
            peak_rss: 0,
        })
        .collect();
    for i in 1..=invocations {
        for (session, result) in sessions.iter().zip(&mut results) {
            let (invocation, streamed) = session.invoke().await?;
            let text = first_text(&streamed)?;
            result.to_first_text.push(text - invocation.delivered);
            result.whole.push(invocation.response.ended - invocation.delivered);
            result.steps.push([
                invocation.response.began - invocation.delivered,
                streamed.prelude_at - invocation.response.began,
                streamed.separator_at - streamed.prelude_at,
                text - streamed.separator_at,
            ]);
        }
        progress("warm invocations", i, invocations);
    }
    for (session, result) in sessions.into_iter().zip(&mut results) {
        result.peak_rss = session.finish().await?;
    }
    Ok(results)
}

pub struct Relay {
    /// Per text event: the emulator handed the delta to its socket → the harness received the
    /// event.
    pub delays: Vec<Duration>,
    pub peak_rss: u64,
}

pub async fn relay(setup: &Setup<'_>, invocations: usize) -> Result<Vec<Relay>, String> {
    let emulator = start_emulator(paced_story()).await?;
    let sessions = Session::start_all(setup, &emulator).await?;
    let mut results: Vec<Relay> = sessions.iter().map(|_| Relay { delays: Vec::new(), peak_rss: 0 }).collect();
    for i in 1..=invocations {
        for (session, result) in sessions.iter().zip(&mut results) {
            let (_, streamed) = session.invoke().await?;
            let sent = told_in_full(&emulator, &streamed)?;
            result.delays.extend(
                streamed
                    .text_times()
                    .iter()
                    .zip(&sent)
                    .map(|(received, sent)| received.saturating_duration_since(*sent)),
            );
        }
        progress("relay invocations", i, invocations);
    }
    for (session, result) in sessions.into_iter().zip(&mut results) {
        result.peak_rss = session.finish().await?;
    }
    Ok(results)
}

pub struct Cpu {
    /// Per story: the function's CPU time (user + system, all threads) per 1,000 events.
    pub per_1000_events: Vec<Duration>,
    /// Per story: events relayed / (event delivered → response ended).
    pub events_per_second: Vec<f64>,
    /// Events relayed per story (text events plus start, stop and usage).
    pub events: usize,
    pub peak_rss: u64,
}

/// `stories` stories per subject from `upstream`, after one warm-up each.
pub async fn cpu(setup: &Setup<'_>, stories: usize, upstream: EmulatorConfig) -> Result<Vec<Cpu>, String> {
    let emulator = start_emulator(upstream).await?;
    let sessions = Session::start_all(setup, &emulator).await?;
    let mut results: Vec<Cpu> = sessions
        .iter()
        .map(|_| Cpu {
            per_1000_events: Vec::with_capacity(stories),
            events_per_second: Vec::with_capacity(stories),
            events: 0,
            peak_rss: 0,
        })
        .collect();
    for i in 1..=stories {
        for (session, result) in sessions.iter().zip(&mut results) {
            let before = session.function.cpu_time()?;
            let (invocation, streamed) = session.invoke().await?;
            let cpu = session.function.cpu_time()?.saturating_sub(before);
            told_in_full(&emulator, &streamed)?;
            let events = streamed.events.len();
            let elapsed = invocation.response.ended - invocation.delivered;
            result.per_1000_events.push(cpu * 1000 / u32::try_from(events).map_err(|e| e.to_string())?);
            result.events_per_second.push(events as f64 / elapsed.as_secs_f64());
            result.events = events;
        }
        progress("stories", i, stories);
    }
    for (session, result) in sessions.into_iter().zip(&mut results) {
        result.peak_rss = session.finish().await?;
    }
    Ok(results)
}

/// Checks that the invocation relayed the whole story, one text event per delta the emulator
/// sent, and returns when the emulator sent each. Invocations are sequential and the SDK never
/// retried a successful call, so the latest recorded request is this invocation's.
fn told_in_full(emulator: &Emulator, streamed: &Streamed<Instant>) -> Result<Vec<Instant>, String> {
    let recorded = emulator.requests().pop().ok_or("the emulator saw no request")?;
    let received = streamed.text_times().len();
    if received != recorded.delta_times.len() {
        return Err(format!("{} deltas sent but {received} text events received", recorded.delta_times.len()));
    }
    Ok(recorded.delta_times)
}

/// A function process with its own Runtime API, past its init phase.
struct Session {
    api: RuntimeApi,
    function: Function,
    first_poll: Instant,
    framing: Framing,
}

impl Session {
    async fn start(setup: &Setup<'_>, subject: &Subject, emulator: &Emulator) -> Result<Session, String> {
        let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
        Session::launch(setup, subject, emulator, api).await
    }

    /// One session per subject, each past one warm-up invocation.
    async fn start_all(setup: &Setup<'_>, emulator: &Emulator) -> Result<Vec<Session>, String> {
        let mut sessions = Vec::with_capacity(setup.subjects.len());
        for subject in setup.subjects {
            let session = Session::start(setup, subject, emulator).await?;
            session.invoke().await?;
            sessions.push(session);
        }
        Ok(sessions)
    }

    /// Starts the function on `api` and waits for its first poll.
    async fn launch(
        setup: &Setup<'_>,
        subject: &Subject,
        emulator: &Emulator,
        api: RuntimeApi,
    ) -> Result<Session, String> {
        let endpoint = emulator.endpoint();
        let mut function = Function::spawn(&Launch {
            binary: &subject.binary,
            runtime_api: api.addr(),
            bedrock_endpoint: &endpoint,
            max_tokens: LONG_STORY_WORDS,
            log: setup.log,
        })?;
        let first_poll = function.ready(&api, INIT_TIMEOUT).await?;
        Ok(Session { api, function, first_poll, framing: subject.framing })
    }

    async fn invoke(&self) -> Result<(Done, Streamed<Instant>), String> {
        self.ask(Ask::Story).await
    }

    async fn ask(&self, ask: Ask) -> Result<(Done, Streamed<Instant>), String> {
        complete(self.api.invoke(event_for(ask)), self.framing).await
    }

    /// Stops the function; its peak RSS, also on stderr (the report shows only the highest).
    async fn finish(self) -> Result<u64, String> {
        let bytes = self.function.peak_rss()?;
        eprintln!("  peak RSS of {}: {:.2} MiB", self.function.binary().display(), bytes as f64 / (1024.0 * 1024.0));
        self.stop().await?;
        Ok(bytes)
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

/// Per subject, `None` when its binary does not serve conversations (a `--compare` binary built
/// before they existed).
pub async fn conversation(
    setup: &Setup<'_>,
    invocations: usize,
    long: usize,
) -> Result<Vec<Option<Conversation>>, String> {
    let mut results = Vec::with_capacity(setup.subjects.len());
    for subject in setup.subjects {
        results.push(conversation_of(setup, subject, invocations, long).await?);
    }
    Ok(results)
}

async fn conversation_of(
    setup: &Setup<'_>,
    subject: &Subject,
    invocations: usize,
    long: usize,
) -> Result<Option<Conversation>, String> {
    let mut result = Conversation {
        story_first_text: Vec::with_capacity(invocations),
        chat_first_text: Vec::with_capacity(invocations),
        story_cpu_per_1000_events: Vec::with_capacity(long),
        chat_cpu_per_1000_events: Vec::with_capacity(long),
    };
    let emulator = start_emulator(short_story()).await?;
    let session = Session::start(setup, subject, &emulator).await?;
    session.ask(Ask::Story).await?;
    if let Err(error) = session.ask(Ask::Conversation).await {
        eprintln!("  {} serves no conversation ({error}): no conversation figures", subject.label);
        session.stop().await?;
        return Ok(None);
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

    let emulator = start_emulator(cpu_story(Sending::BackToBack, false)).await?;
    let session = Session::start(setup, subject, &emulator).await?;
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
    Ok(Some(result))
}

/// A story the function streamed in full.
struct Done {
    /// When the `next` response carrying the event was handed to the connection.
    delivered: Instant,
    response: runtime_api_standin::Streamed,
}

/// Waits for one story, checked to be a complete, successful stream in the handler's `framing`.
async fn complete(
    invocation: impl Future<Output = runtime_api_standin::Invocation>,
    framing: Framing,
) -> Result<(Done, Streamed<Instant>), String> {
    let invocation = tokio::time::timeout(INVOKE_TIMEOUT, invocation)
        .await
        .map_err(|_| format!("no complete response within {INVOKE_TIMEOUT:?}"))?;
    let response = match invocation.answer {
        Answer::Streamed(response) => response,
        Answer::Error(report) => return Err(format!("the function reported an error: {report}")),
        Answer::Cut { chunks } => return Err(format!("the response was cut after {chunks} chunks")),
    };
    let streamed = stream::split(&response.frames, framing).map_err(|e| e.to_string())?;
    if streamed.prelude["statusCode"] != 200 {
        return Err(format!("the function answered {}", streamed.prelude));
    }
    if !framing.is_complete(&streamed) {
        let last = streamed.events.last().map(|l| &l.event);
        return Err(format!("the stream is not a whole answer ({framing:?} framing); its last event: {last:?}"));
    }
    Ok((Done { delivered: invocation.delivered, response }, streamed))
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
