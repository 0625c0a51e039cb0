//! The relay: pulls Bedrock events one at a time and turns each into the caller's next chunk.
//! It is pulled by the response body, so nothing is buffered, and when the caller goes away the
//! body is dropped and the Bedrock stream with it (unread tokens cost money).

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body::Frame;
use tokio::time::{Instant, Sleep, sleep_until};

use crate::bedrock::{Items, Metadata, StreamItem};
use crate::error::{ApiError, StreamBreak};
use crate::price::{Price, Tokens};
use crate::stream::deadline::Deadline;
use crate::stream::wire::{Encoder, Event, Format, Usage};
use crate::summary::Summary;

/// Bedrock's `stopReason` when the call's guardrail stopped the prompt or the answer
/// (MessageStopEvent, Bedrock API reference, read 2026-12-07).
const GUARDRAIL_INTERVENED: &str = "guardrail_intervened";

/// One story on its way from Bedrock to the caller: the `start` event, then each Bedrock item as
/// the caller's format shows it, until the stream ends (the request's summary is written when the relay is dropped: then, or
/// when the caller leaves first).
pub struct StoryRelay<E: Encoder = Format> {
    items: Items,
    /// The route's format: NDJSON, SSE or text for a story or `/chat`, OpenAI's chunks for
    /// `/v1/chat/completions`.
    encoder: E,
    deadline: Deadline,
    /// Who the `start` event names.
    start: Start,
    /// Told what happens; written when the relay is dropped.
    summary: Summary,
    /// Relay the model's reasoning (`reasoning` events) instead of dropping it.
    show_reasoning: bool,
    /// The longest the caller may hear nothing before a keep-alive ([`Event::Ping`]); `None` when
    /// keep-alives are off or the format cannot carry one.
    keep_alive: Option<Duration>,
    /// When the caller was last written to.
    last_write: Instant,
    /// What the model's tokens cost; `None` leaves `usage` without a cost.
    price: Option<Price>,
    /// Wakes the relay for the deadline or a keep-alive: armed once and moved only when it fires
    /// early (see [`StoryRelay::next_chunk`]), not registered anew for every event.
    timer: Option<Pin<Box<Sleep>>>,
    state: State,
    /// Bedrock stopped with `guardrail_intervened`: the `guardrail` event goes before `usage`.
    intervened: bool,
    /// The `usage` still owed after the `guardrail` event was written.
    owed_usage: Option<Metadata>,
}

/// Who a stream's `start` event names: the request, the model called and its alias, and Bedrock's
/// request id for the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub request_id: String,
    pub model_id: String,
    pub model_alias: String,
    pub bedrock_request_id: Option<String>,
}

/// What the relay waited for: Bedrock's next item (`None`: its stream ended) or the timer.
enum Waited {
    Item(Option<Result<StreamItem, ApiError>>),
    Timer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Streaming {
        stopped: bool,
    },
    /// The last event has been written.
    Finished,
}

impl<E: Encoder> StoryRelay<E> {
    /// `show_reasoning`: relay the model's reasoning as `reasoning` events (NDJSON and SSE only);
    /// otherwise it is dropped.
    pub fn new(
        items: Items,
        encoder: E,
        deadline: Deadline,
        start: Start,
        summary: Summary,
        show_reasoning: bool,
    ) -> Self {
        StoryRelay {
            items,
            encoder,
            deadline,
            start,
            summary,
            show_reasoning,
            keep_alive: None,
            last_write: Instant::now(),
            price: None,
            timer: None,
            state: State::NotStarted,
            intervened: false,
            owed_usage: None,
        }
    }

    /// Writes a keep-alive after `every` without anything written (`STREAMER_KEEP_ALIVE_SECS`), so
    /// an intermediary's idle timeout (CloudFront's 30 s origin timeout) does not cut a model
    /// that is thinking; `None` writes none. Text/plain carries none whatever this says.
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every.filter(|_| self.encoder.carries_keep_alive());
        self
    }

    /// Prices the `usage` event (and the summary) at `price`; without one they carry no cost.
    pub fn priced(mut self, price: Option<Price>) -> Self {
        self.price = price;
        self
    }

    /// The caller's chunks, one per event. Every stream ends with exactly one `usage` or `error`
    /// event and nothing after it.
    pub fn into_stream(self) -> impl Stream<Item = Result<Frame<Bytes>, Infallible>> + Send + 'static {
        futures_util::stream::unfold(self, |mut relay| async move {
            let chunk = relay.next_chunk().await?;
            Some((Ok(Frame::data(chunk)), relay))
        })
    }

    /// Relays the whole answer to the encoder, sending nothing, and hands the encoder back: for a
    /// caller that gets one response once the answer is whole (OpenAI without `stream`).
    pub async fn collect(mut self) -> E
    where
        E: Default,
    {
        self.summary.answered_whole();
        while self.next_chunk().await.is_some() {}
        std::mem::take(&mut self.encoder)
    }

    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            let event = match self.state {
                State::Finished => return None,
                State::NotStarted => {
                    self.state = State::Streaming { stopped: false };
                    let start = Event::Start {
                        model: &self.start.model_id,
                        model_alias: &self.start.model_alias,
                        request_id: &self.start.request_id,
                        bedrock_request_id: self.start.bedrock_request_id.as_deref(),
                    };
                    self.encoder.encode(&start)
                }
                State::Streaming { .. } if self.owed_usage.is_some() => {
                    let metadata = self.owed_usage.take().unwrap_or_default();
                    self.complete(metadata)
                }
                // Waiting for Bedrock until the timer fires: at the deadline, or when a keep-alive
                // may be due. The timer is polled first, so events that keep arriving ready cannot
                // outrun the deadline; `next()` can be given up and called again without losing an
                // event (the stream keeps its own state).
                State::Streaming { stopped } => match self.next_item().await {
                    Waited::Timer => self.timer_fired(),
                    Waited::Item(Some(Err(error))) => self.fail(error),
                    // Bedrock sent no metadata: the story is whole, its counts unknown.
                    Waited::Item(None) if stopped => self.complete(Metadata::default()),
                    Waited::Item(None) => self.fail(ApiError::UpstreamIncomplete(StreamBreak::EndedEarly)),
                    Waited::Item(Some(Ok(item))) => self.relay(item),
                },
            };
            if let Some(bytes) = event {
                if self.keep_alive.is_some() {
                    self.last_write = Instant::now();
                }
                return Some(bytes);
            }
        }
    }

    /// The next Bedrock item, or [`Waited::Timer`] once the timer has fired (armed at
    /// [`StoryRelay::wake_at`] on the first wait).
    async fn next_item(&mut self) -> Waited {
        let wake_at = self.wake_at();
        let timer = self.timer.get_or_insert_with(|| Box::pin(sleep_until(wake_at)));
        let items = &mut self.items;
        poll_fn(|cx| {
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Waited::Timer);
            }
            items.poll_next_unpin(cx).map(Waited::Item)
        })
        .await
    }

    /// The timer fired: the deadline has passed, or a keep-alive is due, or neither (the caller
    /// was written to since the timer was armed), and the timer moves to when one will be.
    fn timer_fired(&mut self) -> Option<Bytes> {
        let now = Instant::now();
        if now >= self.deadline.at {
            return self.fail(ApiError::Timeout { secs: self.deadline.secs });
        }
        let ping = self.keep_alive.is_some_and(|every| now >= self.last_write + every);
        if ping {
            self.last_write = now;
        }
        let wake_at = self.wake_at();
        if let Some(timer) = &mut self.timer {
            timer.as_mut().reset(wake_at);
        }
        if ping { self.encoder.encode(&Event::Ping) } else { None }
    }

    /// When to stop waiting for Bedrock: the deadline, or the next keep-alive when sooner.
    fn wake_at(&self) -> Instant {
        self.keep_alive.map_or(self.deadline.at, |every| (self.last_write + every).min(self.deadline.at))
    }

    fn relay(&mut self, item: StreamItem) -> Option<Bytes> {
        match item {
            // Bedrock may open a block with an empty delta; it is nothing to the caller, and the
            // first token is the first word.
            StreamItem::Text(text) if text.is_empty() => None,
            StreamItem::Text(text) => {
                self.summary.first_word();
                self.encoder.encode(&Event::Text { message: &text })
            }
            StreamItem::Reasoning(text) if self.show_reasoning && !text.is_empty() => {
                self.encoder.encode(&Event::Reasoning { message: &text })
            }
            StreamItem::Reasoning(_) => None,
            StreamItem::Stop { reason } => {
                self.state = State::Streaming { stopped: true };
                self.intervened = reason == GUARDRAIL_INTERVENED;
                self.encoder.encode(&Event::Stop { reason: &reason })
            }
            StreamItem::Metadata(metadata) => self.complete(metadata),
        }
    }

    /// Ends a whole story with its `usage` event, after the `guardrail` event when the guardrail
    /// intervened.
    fn complete(&mut self, mut metadata: Metadata) -> Option<Bytes> {
        if std::mem::take(&mut self.intervened) {
            let intervention = metadata.guardrail.take().unwrap_or_default();
            self.summary.guardrail_intervened(intervention.side);
            self.owed_usage = Some(metadata);
            return self.encoder.encode(&Event::Guardrail(&intervention));
        }
        let tokens = metadata.usage;
        let usage = Usage {
            input_tokens: tokens.as_ref().map(|t| t.input_tokens),
            output_tokens: tokens.as_ref().map(|t| t.output_tokens),
            total_tokens: tokens.as_ref().map(|t| t.total_tokens),
            cache_read_input_tokens: tokens.as_ref().and_then(|t| t.cache_read_input_tokens),
            cache_write_input_tokens: tokens.as_ref().and_then(|t| t.cache_write_input_tokens),
            latency_ms: metadata.latency_ms,
            cost: tokens.as_ref().zip(self.price).and_then(|(t, price)| {
                price.cost(Tokens {
                    input: t.input_tokens,
                    output: t.output_tokens,
                    cache_read: t.cache_read_input_tokens,
                    cache_write: t.cache_write_input_tokens,
                })
            }),
            service_tier: metadata.service_tier,
        };
        self.summary.completed(&usage);
        self.summary.priced(usage.cost);
        self.finish();
        self.encoder.encode(&Event::Usage(usage))
    }

    /// Ends the stream with the error as its last event.
    fn fail(&mut self, error: ApiError) -> Option<Bytes> {
        self.summary.failed(&error);
        self.finish();
        self.encoder.fail(&error)
    }

    /// Lets go of the Bedrock stream at once: nothing follows the last event, even when Bedrock
    /// keeps its body open after `metadata`.
    fn finish(&mut self) {
        self.state = State::Finished;
        self.items = Box::pin(futures_util::stream::empty());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::stream;

    use super::*;
    use crate::bedrock::TokenUsage;
    use crate::stream::wire::SSE_KEEP_ALIVE;

    fn text(s: &str) -> Result<StreamItem, ApiError> {
        Ok(StreamItem::Text(s.into()))
    }

    fn stop(reason: &str) -> Result<StreamItem, ApiError> {
        Ok(StreamItem::Stop { reason: reason.into() })
    }

    fn metadata(input_tokens: i32, output_tokens: i32, latency_ms: Option<i64>) -> Result<StreamItem, ApiError> {
        let usage = TokenUsage {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
            ..Default::default()
        };
        Ok(StreamItem::Metadata(Metadata { usage: Some(usage), latency_ms, guardrail: None, service_tier: None }))
    }

    fn reasoning(s: &str) -> Result<StreamItem, ApiError> {
        Ok(StreamItem::Reasoning(s.into()))
    }

    fn relay_of(items: Items, format: Format, deadline: Duration) -> StoryRelay {
        let started = Instant::now();
        let deadline = Deadline { at: started + deadline, secs: deadline.as_secs() };
        let model = crate::request::models::Model::new("default", "m", 1, 1);
        let summary = Summary::new("r-1".into(), &model, started);
        let start = Start {
            request_id: "r-1".into(),
            model_id: "m".into(),
            model_alias: "default".into(),
            bedrock_request_id: Some("b-1".into()),
        };
        StoryRelay::new(items, format, deadline, start, summary, false)
    }

    async fn body_of(relay: StoryRelay) -> String {
        let frames: Vec<_> = relay.into_stream().collect().await;
        frames.into_iter().map(|f| String::from_utf8(f.unwrap().into_data().unwrap().to_vec()).unwrap()).collect()
    }

    /// What the caller receives when Bedrock says `items` (and then closes its body).
    async fn relayed(items: Vec<Result<StreamItem, ApiError>>, format: Format) -> String {
        body_of(relay_of(stream::iter(items).boxed(), format, Duration::from_secs(60))).await
    }

    /// The NDJSON lines after `start`.
    async fn events_after_start(items: Vec<Result<StreamItem, ApiError>>) -> Vec<String> {
        relayed(items, Format::Ndjson).await.lines().skip(1).map(str::to_owned).collect()
    }

    /// A Bedrock stream that yields `items`, then holds its body open until it is dropped; the
    /// receiver hears when that happens.
    fn held_open(items: Vec<Result<StreamItem, ApiError>>) -> (Items, tokio::sync::oneshot::Receiver<()>) {
        let (open, closed) = tokio::sync::oneshot::channel::<()>();
        let rest = stream::unfold(open, |open| async move {
            let _open = open;
            std::future::pending::<Option<(Result<StreamItem, ApiError>, _)>>().await
        });
        (stream::iter(items).chain(rest).boxed(), closed)
    }

    #[tokio::test]
    async fn a_story_is_start_text_stop_usage() {
        let got =
            relayed(vec![text("Once"), text(" upon"), stop("end_turn"), metadata(12, 2, Some(830))], Format::Ndjson)
                .await;
        assert_eq!(
            got,
            concat!(
                r#"{"type":"start","model":"m","modelAlias":"default","requestId":"r-1","bedrockRequestId":"b-1"}"#,
                "\n",
                r#"{"type":"text","message":"Once"}"#,
                "\n",
                r#"{"type":"text","message":" upon"}"#,
                "\n",
                r#"{"type":"stop","reason":"end_turn"}"#,
                "\n",
                r#"{"type":"usage","inputTokens":12,"outputTokens":2,"totalTokens":14,"latencyMs":830}"#,
                "\n"
            )
        );
    }

    #[tokio::test]
    async fn reasoning_is_not_relayed() {
        let got = relayed(
            vec![
                Ok(StreamItem::Reasoning("Let me think".into())),
                text("Hi"),
                stop("end_turn"),
                metadata(1, 1, Some(1)),
            ],
            Format::Plain,
        )
        .await;
        assert_eq!(got, "Hi\n");
    }

    #[tokio::test]
    async fn a_bedrock_error_is_the_last_event() {
        let got = relayed(
            vec![
                text("Once"),
                Err(ApiError::ModelStreamError {
                    message: "boom".into(),
                    original_status_code: None,
                    original_message: None,
                }),
                text("never"),
            ],
            Format::Ndjson,
        )
        .await;
        assert!(
            got.ends_with("{\"type\":\"text\",\"message\":\"Once\"}\n{\"type\":\"error\",\"code\":\"model_stream_error\",\"message\":\"the model stream failed: boom\"}\n"),
            "{got}"
        );
    }

    #[tokio::test]
    async fn a_body_that_ends_before_the_stop_is_an_incomplete_story() {
        let got = relayed(vec![text("Once")], Format::Ndjson).await;
        assert!(got.ends_with("\"code\":\"upstream_incomplete\",\"message\":\"the Bedrock stream ended before the story was complete\"}\n"), "{got}");
    }

    #[tokio::test]
    async fn the_deadline_ends_the_stream_with_a_timeout_event() {
        let never_ends = stream::iter(vec![text("Once")]).chain(stream::pending()).boxed();
        let relay = relay_of(never_ends, Format::Ndjson, Duration::ZERO);
        let frames: Vec<_> = relay.into_stream().collect().await;
        let last = frames.last().unwrap().as_ref().unwrap().data_ref().unwrap();
        assert_eq!(
            &last[..],
            b"{\"type\":\"error\",\"code\":\"timeout\",\"message\":\"the answer did not finish within 0 s\"}\n"
        );
    }

    #[tokio::test]
    async fn dropping_the_body_drops_the_bedrock_stream() {
        let (items, closed) = held_open(vec![text("Once")]);
        let mut body = Box::pin(relay_of(items, Format::Ndjson, Duration::from_secs(60)).into_stream());
        body.next().await.expect("start").unwrap();
        body.next().await.expect("text").unwrap();

        drop(body);

        assert!(closed.await.is_err(), "the Bedrock stream was dropped with the body");
    }

    #[tokio::test]
    async fn empty_text_deltas_are_not_relayed() {
        let got =
            events_after_start(vec![text(""), text("Once"), text(""), stop("end_turn"), metadata(1, 1, None)]).await;
        assert_eq!(got[0], r#"{"type":"text","message":"Once"}"#);
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[tokio::test]
    async fn time_to_first_token_is_stamped_at_the_first_word() {
        let mut relay = relay_of(stream::empty().boxed(), Format::Ndjson, Duration::from_secs(60));
        assert_eq!(relay.relay(StreamItem::Text(String::new())), None);
        assert_eq!(relay.summary.first_token(), None, "an empty delta is not the first token");
        relay.relay(StreamItem::Reasoning("thinking".into()));
        assert_eq!(relay.summary.first_token(), None, "nor is reasoning");
        relay.relay(StreamItem::Text("Once".into()));
        assert!(relay.summary.first_token().is_some());
    }

    #[tokio::test]
    async fn a_stream_without_metadata_ends_with_a_usage_event_without_counts() {
        let got = events_after_start(vec![text("Once"), stop("end_turn")]).await;
        assert_eq!(got.last().unwrap(), r#"{"type":"usage"}"#);
    }

    #[tokio::test]
    async fn usage_carries_every_count_bedrock_reported_and_only_those() {
        let usage = TokenUsage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 4623,
            cache_read_input_tokens: Some(4096),
            cache_write_input_tokens: Some(512),
        };
        let got = events_after_start(vec![
            stop("end_turn"),
            Ok(StreamItem::Metadata(Metadata {
                usage: Some(usage),
                latency_ms: None,
                guardrail: None,
                service_tier: None,
            })),
        ])
        .await;
        assert_eq!(
            got.last().unwrap(),
            r#"{"type":"usage","inputTokens":10,"outputTokens":5,"totalTokens":4623,"cacheReadInputTokens":4096,"cacheWriteInputTokens":512}"#,
            "no latencyMs when Bedrock sent no metrics"
        );
    }

    #[tokio::test]
    async fn usage_ends_the_response_and_drops_a_bedrock_stream_kept_open() {
        let (items, closed) = held_open(vec![text("Once"), stop("end_turn"), metadata(1, 1, Some(5))]);
        // A deadline that would fire if the relay waited on Bedrock after usage.
        let got = body_of(relay_of(items, Format::Ndjson, Duration::from_millis(200))).await;

        assert!(got.ends_with("\"latencyMs\":5}\n"), "nothing follows usage: {got}");
        assert!(closed.await.is_err(), "the Bedrock stream was dropped");
    }

    #[tokio::test]
    async fn nothing_follows_usage_even_if_bedrock_sends_more() {
        let got = events_after_start(vec![stop("end_turn"), metadata(1, 1, Some(1)), text("late")]).await;
        assert!(got.last().unwrap().starts_with(r#"{"type":"usage""#), "{got:?}");
    }

    #[tokio::test]
    async fn reasoning_is_relayed_for_aliases_that_show_it_in_json_formats_only() {
        let items =
            || vec![reasoning("Cats nap."), reasoning(""), text("Once"), stop("end_turn"), metadata(1, 1, Some(1))];
        let show = |format| {
            let mut relay = relay_of(stream::iter(items()).boxed(), format, Duration::from_secs(60));
            relay.show_reasoning = true;
            body_of(relay)
        };

        let ndjson = show(Format::Ndjson).await;
        let lines: Vec<&str> = ndjson.lines().collect();
        assert_eq!(lines[1], r#"{"type":"reasoning","message":"Cats nap."}"#);
        assert_eq!(lines[2], r#"{"type":"text","message":"Once"}"#, "no event for an empty reasoning delta");
        assert!(
            show(Format::Sse)
                .await
                .contains("event: reasoning\ndata: {\"type\":\"reasoning\",\"message\":\"Cats nap.\"}\n\n")
        );
        assert_eq!(show(Format::Plain).await, "Once\n", "text/plain is the story only");
    }

    /// Each chunk of the body with the (paused) time it was written, in whole seconds from the start.
    async fn timed_chunks(relay: StoryRelay) -> Vec<(u64, String)> {
        let started = Instant::now();
        let body = relay.into_stream();
        futures_util::pin_mut!(body);
        let mut chunks = Vec::new();
        while let Some(frame) = body.next().await {
            let data = frame.unwrap().into_data().unwrap();
            chunks.push((started.elapsed().as_secs(), String::from_utf8(data.to_vec()).unwrap()));
        }
        chunks
    }

    /// A model that thinks (hidden reasoning) for `thinking`, then tells a one-word story.
    fn thinks_for(thinking: Duration) -> Items {
        let story = stream::once(async move {
            tokio::time::sleep(thinking).await;
            text("Once")
        });
        stream::iter(vec![reasoning("Cats nap.")])
            .chain(story)
            .chain(stream::iter(vec![stop("end_turn"), metadata(1, 1, Some(1))]))
            .boxed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_stream_gets_a_keep_alive_each_interval_until_the_model_speaks() {
        let relay = relay_of(thinks_for(Duration::from_secs(40)), Format::Ndjson, Duration::from_secs(60))
            .keep_alive(Some(Duration::from_secs(15)));
        let chunks = timed_chunks(relay).await;
        let ping = r#"{"type":"ping"}"#.to_owned() + "\n";
        let pings: Vec<u64> = chunks.iter().filter(|(_, c)| *c == ping).map(|(at, _)| *at).collect();
        assert_eq!(pings, [15, 30], "15 s after the start, 15 s after that; the story came at 40 s: {chunks:?}");
        assert!(chunks.last().unwrap().1.starts_with(r#"{"type":"usage""#), "{chunks:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_keep_alive_interval_counts_from_the_last_write() {
        let items = stream::iter(vec![text("Once")])
            .chain(stream::once(async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                text(" upon")
            }))
            .chain(stream::once(async {
                tokio::time::sleep(Duration::from_secs(20)).await;
                stop("end_turn")
            }))
            .chain(stream::iter(vec![metadata(1, 2, Some(1))]))
            .boxed();
        let relay = relay_of(items, Format::Sse, Duration::from_secs(60)).keep_alive(Some(Duration::from_secs(15)));
        let chunks = timed_chunks(relay).await;
        let pings: Vec<u64> =
            chunks.iter().filter(|(_, c)| c.as_bytes() == SSE_KEEP_ALIVE).map(|(at, _)| *at).collect();
        assert_eq!(pings, [25], "SSE's comment line, 15 s after \" upon\" at 10 s: {chunks:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn no_keep_alive_when_turned_off_or_in_plain_text() {
        for (format, every) in [(Format::Ndjson, None), (Format::Plain, Some(Duration::from_secs(15)))] {
            let relay =
                relay_of(thinks_for(Duration::from_secs(40)), format, Duration::from_secs(60)).keep_alive(every);
            let body: String = timed_chunks(relay).await.into_iter().map(|(_, c)| c).collect();
            assert!(!body.contains("ping") && !body.contains(": keep-alive"), "{format:?}: {body}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_still_ends_a_silent_stream_between_keep_alives() {
        let relay = relay_of(thinks_for(Duration::from_secs(40)), Format::Ndjson, Duration::from_secs(20))
            .keep_alive(Some(Duration::from_secs(15)));
        let chunks = timed_chunks(relay).await;
        let (at, last) = chunks.last().unwrap();
        assert_eq!(*at, 20, "{chunks:?}");
        assert!(last.contains(r#""code":"timeout""#), "{chunks:?}");
        assert_eq!(chunks.iter().filter(|(_, c)| c.contains("ping")).count(), 1, "{chunks:?}");
    }

    /// Through the real SDK against the emulator: a thinking model's `reasoningContent` deltas
    /// arrive as `reasoning` events before the story.
    #[tokio::test]
    async fn reasoning_from_bedrock_is_relayed_when_shown() {
        use bedrock_emulator::{Emulator, EmulatorConfig, Fault};

        use crate::bedrock::{Call, Client};

        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        emulator.script([Fault::Reasoning]);
        let client = Client::for_endpoint(&emulator.endpoint(), "us-east-1", "AKIDEXAMPLE", "secret");
        let turns =
            crate::request::conversation::Conversation::single("Tell me a very short story about: CATS".into()).turns;
        let call = Call {
            model_id: "anthropic.claude-3-haiku-20240307-v1:0",
            system: Vec::new(),
            turns: &turns,
            stop_sequences: &[],
            max_tokens: 50,
            temperature: None,
            top_p: None,
            additional_model_request_fields: None,
            cache_points: None,
            service_tier: None,
        };
        let accepted = client.converse_stream(call, None).await.unwrap();
        let mut relay = relay_of(accepted.items, Format::Ndjson, Duration::from_secs(30));
        relay.show_reasoning = true;

        let body = body_of(relay).await;
        let kinds: Vec<String> = body
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].as_str().unwrap().to_owned())
            .collect();
        let first_text = kinds.iter().position(|k| k == "text").unwrap();
        assert!(first_text > 1 && kinds[1..first_text].iter().all(|k| k == "reasoning"), "thinking first: {kinds:?}");
        assert_eq!(kinds.last().map(String::as_str), Some("usage"));
    }
}
