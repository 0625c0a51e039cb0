//! The relay: pulls Bedrock events one at a time and turns each into the caller's next chunk.
//! It is pulled by the response body, so nothing is buffered, and when the caller goes away the
//! body is dropped and the Bedrock stream with it (unread tokens cost money).

use std::convert::Infallible;

use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ConverseStreamOutput};
use bytes::Bytes;
use futures_util::Stream;
use http_body::Frame;
use tokio::time::{Instant, timeout_at};

use crate::bedrock::{self, Events};
use crate::deadline::Deadline;
use crate::error::ApiError;
use crate::telemetry::{Outcome, Summary};
use crate::wire::{Event, Format};

pub struct Relay {
    events: Events,
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

impl Relay {
    pub fn new(
        events: Events,
        format: Format,
        deadline: Deadline,
        bedrock_request_id: Option<String>,
        summary: Summary,
    ) -> Self {
        Relay { events, format, deadline, bedrock_request_id, summary, state: State::NotStarted }
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
                    self.fail(ApiError::StreamTimeout { secs: self.deadline.secs })
                }
                State::Streaming { stopped } => match timeout_at(self.deadline.at, self.events.recv()).await {
                    Err(_) => self.fail(ApiError::StreamTimeout { secs: self.deadline.secs }),
                    Ok(Err(error)) => {
                        let error = bedrock::interrupted(&self.summary.model, &error);
                        self.fail(error)
                    }
                    Ok(Ok(None)) if stopped => {
                        self.finish(Outcome::Completed);
                        return None;
                    }
                    Ok(Ok(None)) => self.fail(ApiError::StreamIncomplete(String::new())),
                    Ok(Ok(Some(output))) => self.relay(output),
                },
            };
            if let Some(bytes) = event {
                return Some(bytes);
            }
        }
    }

    fn relay(&mut self, output: ConverseStreamOutput) -> Option<Bytes> {
        match output {
            ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta {
                Some(ContentBlockDelta::Text(text)) => {
                    if self.summary.first_token.is_none() {
                        self.summary.first_token = Some(self.summary.started.elapsed());
                    }
                    self.format.encode(&Event::Text { message: &text })
                }
                _ => None,
            },
            ConverseStreamOutput::MessageStop(stop) => {
                self.state = State::Streaming { stopped: true };
                self.format.encode(&Event::Stop { reason: stop.stop_reason.as_str() })
            }
            ConverseStreamOutput::Metadata(metadata) => {
                let usage = metadata.usage?;
                self.summary.output_tokens = Some(usage.output_tokens);
                self.format.encode(&Event::Usage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    latency_ms: metadata.metrics.map_or(0, |m| m.latency_ms),
                })
            }
            _ => None,
        }
    }

    /// Ends the stream with the error as its last event.
    fn fail(&mut self, error: ApiError) -> Option<Bytes> {
        self.summary.error_code = Some(error.code());
        self.finish(Outcome::UpstreamError);
        let message = error.to_string();
        self.format.encode(&Event::Error { code: error.code(), message: &message })
    }

    fn finish(&mut self, outcome: Outcome) {
        self.state = State::Finished;
        self.summary.emit(outcome);
    }
}

impl Drop for Relay {
    /// Dropped before finishing means the caller went away mid-stream.
    fn drop(&mut self) {
        if self.state != State::Finished {
            self.summary.emit(Outcome::ClientDisconnected);
        }
    }
}
