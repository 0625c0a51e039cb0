//! The emulated model: turns an accepted request into event-stream frames, paced like a model
//! generating tokens, and ends the stream normally or with the request's mid-stream fault.

use crate::body::{Chunk, Ending};
use crate::converse::ConverseRequest;
use crate::wire::{self, StopReason};
use crate::{EmulatorConfig, Fault, story};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendError;

/// Everything one stream needs, fixed when the request is accepted.
pub(crate) struct Plan {
    tokens: Vec<String>,
    stop_reason: StopReason,
    input_tokens: usize,
    fault: Option<Fault>,
    received_at: Instant,
    first_token_delay: Duration,
    token_interval: Duration,
}

impl Plan {
    /// Plans a `story_words`-word story about the prompt's subject, cut to `maxTokens` the way a
    /// model stops at its token budget.
    pub fn new(request: &ConverseRequest, config: &EmulatorConfig, fault: Option<Fault>, received_at: Instant) -> Self {
        let mut tokens = story::tokens(&story::subject_of(&request.prompt), config.story_words);
        let mut stop_reason = StopReason::EndTurn;
        if let Some(max) = request.max_tokens.and_then(|max| usize::try_from(max).ok())
            && max < tokens.len()
        {
            tokens.truncate(max);
            stop_reason = StopReason::MaxTokens;
        }
        Self {
            tokens,
            stop_reason,
            input_tokens: request.input_tokens,
            fault,
            received_at,
            first_token_delay: config.first_token_delay,
            token_interval: config.token_interval,
        }
    }

    /// When delta `i` (0-based) is due: deadlines are fixed from the request's arrival, so slow
    /// polling does not stretch the whole stream.
    fn due(&self, i: usize) -> Instant {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        self.received_at + self.first_token_delay + self.token_interval.saturating_mul(i)
    }
}

/// Produces the stream; returns early, quietly, once the body is gone (the client left).
pub(crate) async fn run(plan: Plan, chunks: mpsc::Sender<Chunk>) {
    let _client_left: Result<(), SendError<Chunk>> = stream(&plan, &chunks).await;
}

async fn stream(plan: &Plan, chunks: &mpsc::Sender<Chunk>) -> Result<(), SendError<Chunk>> {
    // Bedrock sends messageStart as soon as the model is invoked, before the first token.
    chunks.send(Chunk::Frame(wire::message_start())).await?;
    let deltas = plan.fault.and_then(|f| f.after_tokens()).map_or(plan.tokens.len(), |n| n.min(plan.tokens.len()));
    for (i, token) in plan.tokens[..deltas].iter().enumerate() {
        sleep_until(plan.due(i)).await;
        chunks.send(Chunk::Delta(wire::content_block_delta(token))).await?;
    }

    match plan.fault {
        Some(Fault::MidStreamModelError { .. }) => {
            sleep_until(plan.due(deltas)).await;
            chunks.send(Chunk::Frame(wire::model_stream_error())).await?;
            chunks.send(Chunk::End(Ending::Failed)).await
        }
        Some(Fault::MidStreamThrottling { .. }) => {
            sleep_until(plan.due(deltas)).await;
            chunks.send(Chunk::Frame(wire::throttling())).await?;
            chunks.send(Chunk::End(Ending::Failed)).await
        }
        Some(Fault::Drop { .. }) => {
            sleep_until(plan.due(deltas)).await;
            chunks.send(Chunk::Abort).await
        }
        Some(Fault::Truncate { .. }) => {
            sleep_until(plan.due(deltas)).await;
            chunks.send(Chunk::End(Ending::Failed)).await
        }
        Some(Fault::Stall { .. }) => {
            // Holding the sender keeps the body (and so the connection) open without a byte more,
            // until the body is dropped because the client left.
            chunks.closed().await;
            Ok(())
        }
        // Pre-stream faults never reach a stream: the request was already rejected.
        Some(_) | None => {
            chunks.send(Chunk::Frame(wire::content_block_stop())).await?;
            chunks.send(Chunk::Frame(wire::message_stop(plan.stop_reason))).await?;
            let metadata = wire::metadata(plan.input_tokens, deltas, plan.received_at.elapsed());
            chunks.send(Chunk::Frame(metadata)).await?;
            chunks.send(Chunk::End(Ending::Completed)).await
        }
    }
}

/// Sleeps only when the deadline is ahead: tokio rounds even a zero sleep up to its 1 ms timer
/// tick, which would slow an unpaced benchmark stream to a thousand tokens a second.
async fn sleep_until(deadline: Instant) {
    if deadline > Instant::now() {
        tokio::time::sleep_until(deadline.into()).await;
    }
}
