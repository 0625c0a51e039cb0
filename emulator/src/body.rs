//! The streamed response body: frames from the emulated model, handed to hyper one by one, with
//! the recording of when each delta left and how the body ended.

use crate::record::{ExchangeOutcome, Recorder};
use bytes::Bytes;
use http_body::{Body, Frame};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;
use tokio::sync::mpsc;

/// What the emulated model sends down the channel to the body.
#[derive(Debug)]
pub(crate) enum Chunk {
    /// An encoded event-stream message other than a delta.
    Frame(Bytes),
    /// An encoded `contentBlockDelta` message, whose send time is recorded.
    Delta(Bytes),
    /// The body ends cleanly.
    End(Ending),
    /// The connection is to be broken without ending the body.
    Abort,
}

/// How a cleanly ended body is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The full answer went out.
    Completed,
    /// The stream ended with an exception message.
    Failed,
}

pub(crate) struct EventStreamBody {
    chunks: mpsc::Receiver<Chunk>,
    recorder: Arc<Recorder>,
    index: usize,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// An abort was received and hyper has been told to come back once: in between it flushes
    /// what it buffered, so the deltas before a drop reach the client.
    Aborting,
    Ended,
}

impl EventStreamBody {
    pub fn new(chunks: mpsc::Receiver<Chunk>, recorder: Arc<Recorder>, index: usize) -> Self {
        Self { chunks, recorder, index, state: State::Open }
    }
}

impl Body for EventStreamBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        match this.state {
            State::Ended => return Poll::Ready(None),
            State::Aborting => {
                this.state = State::Ended;
                this.recorder.finish(this.index, ExchangeOutcome::Failed);
                // A body error makes hyper close the connection without the final empty chunk:
                // to the client, a transport failure in the middle of the stream.
                let error = io::Error::new(io::ErrorKind::ConnectionReset, "emulated connection drop");
                return Poll::Ready(Some(Err(error)));
            }
            State::Open => {}
        }
        match ready!(this.chunks.poll_recv(cx)) {
            Some(Chunk::Frame(bytes)) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
            Some(Chunk::Delta(bytes)) => {
                this.recorder.delta_sent(this.index, Instant::now());
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Some(Chunk::End(ending)) => {
                this.state = State::Ended;
                let outcome = match ending {
                    Ending::Completed => ExchangeOutcome::Completed { at: Instant::now() },
                    Ending::Failed => ExchangeOutcome::Failed,
                };
                this.recorder.finish(this.index, outcome);
                Poll::Ready(None)
            }
            Some(Chunk::Abort) => {
                this.state = State::Aborting;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            None => {
                // The model task went away without an ending: only on shutdown or a panic.
                this.state = State::Ended;
                this.recorder.finish(this.index, ExchangeOutcome::Failed);
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == State::Ended
    }
}

impl Drop for EventStreamBody {
    /// hyper drops the body as soon as it sees the client's connection close; recording here,
    /// rather than at the next failed write, dates the disconnect to the moment it was noticed.
    fn drop(&mut self) {
        self.recorder.finish(self.index, ExchangeOutcome::ClientDisconnected { at: Instant::now() });
    }
}
