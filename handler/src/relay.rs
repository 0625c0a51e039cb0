//! The relay: pulls Bedrock events one at a time and turns each into the caller's next chunk.
//! It is pulled by the response body, so nothing is buffered, and when the caller goes away the
//! body is dropped and the Bedrock stream with it (unread tokens cost money).

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body::Frame;
use tokio::time::{Instant, timeout_at};

use crate::bedrock::{Items, StreamItem};
use crate::deadline::Deadline;
use crate::error::{ApiError, StreamBreak};
use crate::summary::{RequestOutcome, Summary};
use crate::wire::{Event, Format};

/// One story on its way from Bedrock to the caller: the `start` event, then each Bedrock item as
/// the caller's format shows it, until the stream ends (the request's summary is written then, or
/// when the caller leaves first).
pub struct StoryRelay {
    items: Items,
    format: Format,
    deadline: Deadline,
    bedrock_request_id: Option<String>,
    summary: Summary,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Streaming {
        stopped: bool,
    },
    /// The summary line has been written.
    Finished,
}

impl StoryRelay {
    pub fn new(
        items: Items,
        format: Format,
        deadline: Deadline,
        bedrock_request_id: Option<String>,
        summary: Summary,
    ) -> Self {
        StoryRelay { items, format, deadline, bedrock_request_id, summary, state: State::NotStarted }
    }

    /// The caller's chunks, one per event, until the story (or an error event) ends it.
    pub fn into_stream(self) -> impl Stream<Item = Result<Frame<Bytes>, Infallible>> + Send + 'static {
        futures_util::stream::unfold(self, |mut relay| async move {
            let chunk = relay.next_chunk().await?;
            Some((Ok(Frame::data(chunk)), relay))
        })
    }

    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            let event = match self.state {
                State::Finished => return None,
                State::NotStarted => {
                    self.state = State::Streaming { stopped: false };
                    let start = Event::Start {
                        model: &self.summary.model,
                        request_id: &self.summary.request_id,
                        bedrock_request_id: self.bedrock_request_id.as_deref(),
                    };
                    self.format.encode(&start)
                }
                // Checked before waiting too: the timer below never fires while events keep
                // arriving ready (an SDK buffer holding several decoded frames).
                State::Streaming { .. } if Instant::now() >= self.deadline.at => {
                    self.fail(ApiError::Timeout { secs: self.deadline.secs })
                }
                State::Streaming { stopped } => match timeout_at(self.deadline.at, self.items.next()).await {
                    Err(_) => self.fail(ApiError::Timeout { secs: self.deadline.secs }),
                    Ok(Some(Err(error))) => self.fail(error),
                    Ok(None) if stopped => {
                        self.finish(RequestOutcome::Completed);
                        return None;
                    }
                    Ok(None) => self.fail(ApiError::UpstreamIncomplete(StreamBreak::EndedEarly)),
                    Ok(Some(Ok(item))) => self.relay(item),
                },
            };
            if let Some(bytes) = event {
                return Some(bytes);
            }
        }
    }

    fn relay(&mut self, item: StreamItem) -> Option<Bytes> {
        match item {
            StreamItem::Text(text) => {
                if self.summary.first_token.is_none() {
                    self.summary.first_token = Some(self.summary.started.elapsed());
                }
                self.format.encode(&Event::Text { message: &text })
            }
            StreamItem::Reasoning(_) => None,
            StreamItem::Stop { reason } => {
                self.state = State::Streaming { stopped: true };
                self.format.encode(&Event::Stop { reason: &reason })
            }
            StreamItem::Metadata(metadata) => {
                let usage = metadata.usage?;
                self.summary.output_tokens = Some(usage.output_tokens);
                self.format.encode(&Event::Usage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    latency_ms: metadata.latency_ms.unwrap_or(0),
                })
            }
        }
    }

    /// Ends the stream with the error as its last event.
    fn fail(&mut self, error: ApiError) -> Option<Bytes> {
        self.summary.error_code = Some(error.code());
        self.finish(RequestOutcome::UpstreamError);
        let message = error.to_string();
        self.format.encode(&Event::Error { code: error.code(), message: &message })
    }

    fn finish(&mut self, outcome: RequestOutcome) {
        self.state = State::Finished;
        self.summary.emit(outcome);
    }
}

impl Drop for StoryRelay {
    /// Dropped before finishing means the caller went away mid-stream.
    fn drop(&mut self) {
        if self.state != State::Finished {
            self.summary.emit(RequestOutcome::ClientDisconnected);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::stream;

    use super::*;
    use crate::bedrock::{Metadata, TokenUsage};

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
        Ok(StreamItem::Metadata(Metadata { usage: Some(usage), latency_ms }))
    }

    fn relay_of(items: Items, format: Format, deadline: Duration) -> StoryRelay {
        let started = Instant::now();
        let deadline = Deadline { at: started + deadline, secs: deadline.as_secs() };
        let summary = Summary::new("r-1".into(), "m".into(), started);
        StoryRelay::new(items, format, deadline, Some("b-1".into()), summary)
    }

    /// What the caller receives when Bedrock says `items` (and then closes its body).
    async fn relayed(items: Vec<Result<StreamItem, ApiError>>, format: Format) -> String {
        let relay = relay_of(stream::iter(items).boxed(), format, Duration::from_secs(60));
        let frames: Vec<_> = relay.into_stream().collect().await;
        frames.into_iter().map(|f| String::from_utf8(f.unwrap().into_data().unwrap().to_vec()).unwrap()).collect()
    }

    #[tokio::test]
    async fn a_story_is_start_text_stop_usage() {
        let got =
            relayed(vec![text("Once"), text(" upon"), stop("end_turn"), metadata(12, 2, Some(830))], Format::Ndjson)
                .await;
        assert_eq!(
            got,
            concat!(
                r#"{"type":"start","model":"m","requestId":"r-1","bedrockRequestId":"b-1"}"#,
                "\n",
                r#"{"type":"text","message":"Once"}"#,
                "\n",
                r#"{"type":"text","message":" upon"}"#,
                "\n",
                r#"{"type":"stop","reason":"end_turn"}"#,
                "\n",
                r#"{"type":"usage","inputTokens":12,"outputTokens":2,"latencyMs":830}"#,
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
            b"{\"type\":\"error\",\"code\":\"timeout\",\"message\":\"the story did not finish within 0 s\"}\n"
        );
    }

    #[tokio::test]
    async fn dropping_the_body_drops_the_bedrock_stream() {
        // A Bedrock stream that sends one text and then holds `open` until it is dropped.
        let (open, closed) = tokio::sync::oneshot::channel::<()>();
        let held_open = stream::unfold(open, |open| async move {
            let _open = open;
            std::future::pending::<Option<(Result<StreamItem, ApiError>, _)>>().await
        });
        let items = stream::iter(vec![text("Once")]).chain(held_open).boxed();
        let mut body = Box::pin(relay_of(items, Format::Ndjson, Duration::from_secs(60)).into_stream());
        body.next().await.expect("start").unwrap();
        body.next().await.expect("text").unwrap();

        drop(body);

        assert!(closed.await.is_err(), "the Bedrock stream was dropped with the body");
    }
}
