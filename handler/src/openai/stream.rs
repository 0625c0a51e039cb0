//! The relay's events in OpenAI's shapes: [`Chunks`] streams them as `chat.completion.chunk`
//! server-sent events, [`Collected`] gathers them into one `chat.completion` (or the error that
//! ended them) for a request without `stream`.

use bytes::{Bytes, BytesMut};

use super::wire::{Answer, CompletionUsage, DONE, KEEP_ALIVE, OpenAiError};
use crate::error::ApiError;
use crate::stream::wire::{Encoder, Event};

/// `stream: true`: the role chunk first, a chunk per text or reasoning delta, the finish chunk at
/// Bedrock's stop, then (with `include_usage`) the usage chunk and `data: [DONE]`; a failure is one
/// `data: {"error": …}` event and nothing after it.
#[derive(Debug)]
pub struct Chunks {
    pub answer: Answer,
    pub include_usage: bool,
}

impl Encoder for Chunks {
    fn encode(&mut self, event: &Event<'_>) -> Option<Bytes> {
        match event {
            Event::Start { .. } => Some(self.answer.role_chunk()),
            Event::Text { message } => Some(self.answer.text_chunk(message)),
            Event::Reasoning { message } => Some(self.answer.reasoning_chunk(message)),
            Event::Stop { reason } => Some(self.answer.finish_chunk(reason)),
            Event::Usage(usage) => {
                let mut end = BytesMut::new();
                if self.include_usage
                    && let Some(usage) = CompletionUsage::from_bedrock(usage)
                {
                    end.extend_from_slice(&self.answer.usage_chunk(&usage));
                }
                end.extend_from_slice(DONE);
                Some(end.freeze())
            }
            Event::Ping => Some(Bytes::from_static(KEEP_ALIVE)),
            // OpenAI has no such chunk: the stop's finish_reason `content_filter` says it.
            Event::Guardrail(_) => None,
            // Only through `fail`, which has the whole error.
            Event::Error { .. } => None,
        }
    }

    fn carries_keep_alive(&self) -> bool {
        true
    }

    fn fail(&mut self, error: &ApiError) -> Option<Bytes> {
        Some(OpenAiError::new(error).event())
    }
}

/// A request without `stream`: nothing is sent until the answer is whole, so a failure part way
/// is an error response with its status, never a truncated completion.
#[derive(Debug, Default)]
pub struct Collected {
    text: String,
    reasoning: String,
    stop_reason: Option<String>,
    usage: Option<CompletionUsage>,
    error: Option<ApiError>,
}

/// What a collected answer became.
pub enum Outcome {
    /// The whole answer: its text, reasoning (empty when the alias hides it), Bedrock's stop
    /// reason and the counts when Bedrock sent them.
    Completed {
        text: String,
        reasoning: Option<String>,
        stop_reason: String,
        usage: Option<CompletionUsage>,
    },
    Failed(ApiError),
}

impl Collected {
    pub fn outcome(self) -> Outcome {
        match self.error {
            Some(error) => Outcome::Failed(error),
            None => Outcome::Completed {
                text: self.text,
                reasoning: (!self.reasoning.is_empty()).then_some(self.reasoning),
                stop_reason: self.stop_reason.unwrap_or_else(|| "end_turn".to_owned()),
                usage: self.usage,
            },
        }
    }
}

impl Encoder for Collected {
    fn encode(&mut self, event: &Event<'_>) -> Option<Bytes> {
        match event {
            Event::Text { message } => self.text.push_str(message),
            Event::Reasoning { message } => self.reasoning.push_str(message),
            Event::Stop { reason } => self.stop_reason = Some((*reason).to_owned()),
            Event::Usage(usage) => self.usage = CompletionUsage::from_bedrock(usage),
            Event::Start { .. } | Event::Error { .. } | Event::Ping | Event::Guardrail(_) => {}
        }
        None
    }

    /// Nothing is written before the answer is whole, so there is nothing to keep alive.
    fn carries_keep_alive(&self) -> bool {
        false
    }

    fn fail(&mut self, error: &ApiError) -> Option<Bytes> {
        self.error = Some(error.clone());
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::wire::Usage;

    fn chunks(include_usage: bool) -> Chunks {
        Chunks { answer: Answer::new("r", 1, "fast"), include_usage }
    }

    const START: Event<'static> =
        Event::Start { model: "m", model_alias: "fast", request_id: "r", bedrock_request_id: None };

    fn text(bytes: Option<Bytes>) -> String {
        String::from_utf8(bytes.expect("shown").to_vec()).unwrap()
    }

    const USAGE: Usage = Usage {
        input_tokens: Some(3),
        output_tokens: Some(2),
        total_tokens: Some(5),
        cache_read_input_tokens: None,
        cache_write_input_tokens: None,
        latency_ms: Some(9),
        cost: None,
        service_tier: None,
    };

    #[test]
    fn a_streamed_answer_ends_with_done_after_the_usage_chunk_it_asked_for() {
        let mut with_usage = chunks(true);
        assert!(text(with_usage.encode(&START)).contains(r#""delta":{"role":"assistant","content":""}"#));
        let end = text(with_usage.encode(&Event::Usage(USAGE)));
        let events: Vec<&str> = end.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 2);
        assert!(events[0].contains(r#""choices":[]"#) && events[0].contains(r#""prompt_tokens":3"#));
        assert_eq!(events[1], "data: [DONE]");
        assert_eq!(text(chunks(false).encode(&Event::Usage(USAGE))), "data: [DONE]\n\n");
        assert_eq!(
            text(chunks(true).encode(&Event::Usage(Usage::default()))),
            "data: [DONE]\n\n",
            "no counts from Bedrock: no usage chunk rather than zeros"
        );
    }

    #[test]
    fn a_keep_alive_is_an_sse_comment_line_clients_skip() {
        assert_eq!(text(chunks(false).encode(&Event::Ping)), ": keep-alive\n\n");
    }

    #[test]
    fn a_failed_stream_ends_with_one_error_event_and_no_done() {
        let end = text(chunks(true).fail(&ApiError::Timeout { secs: 5 }));
        assert!(end.starts_with("data: {\"error\":{") && end.ends_with("}}\n\n"), "{end}");
        assert!(!end.contains("[DONE]"));
    }

    #[test]
    fn a_collected_answer_is_whole_or_an_error() {
        let mut collected = Collected::default();
        for event in [
            START,
            Event::Reasoning { message: "Hmm" },
            Event::Text { message: "Hi" },
            Event::Text { message: " there" },
            Event::Stop { reason: "max_tokens" },
            Event::Usage(USAGE),
        ] {
            assert_eq!(collected.encode(&event), None, "nothing is sent before the answer is whole");
        }
        let Outcome::Completed { text, reasoning, stop_reason, usage } = collected.outcome() else { panic!() };
        assert_eq!(
            (text.as_str(), reasoning.as_deref(), stop_reason.as_str()),
            ("Hi there", Some("Hmm"), "max_tokens")
        );
        assert_eq!(usage.map(|u| u.total_tokens), Some(5));

        let mut failed = Collected::default();
        failed.encode(&Event::Text { message: "Hi" });
        failed.fail(&ApiError::Timeout { secs: 5 });
        assert!(matches!(failed.outcome(), Outcome::Failed(ApiError::Timeout { secs: 5 })));
    }
}
