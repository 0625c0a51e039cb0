//! Serving a conversation: `POST /chat` answers in the story's event vocabulary (NDJSON, SSE or
//! text by `Accept`), `POST /v1/chat/completions` in OpenAI's shapes (chunks when `stream`, one
//! completion otherwise). Both read the conversation under the stack's policy before anything
//! reaches Bedrock, and call Bedrock with the stack's chat system prompt first.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Response, StatusCode, header};

use crate::bedrock::{Accepted, Call};
use crate::error::ApiError;
use crate::openai::request::{self as openai_request, CompletionRequest};
use crate::openai::stream::{Chunks, Collected, Outcome};
use crate::openai::wire::{Answer, OpenAiError};
use crate::request::chat as chat_request;
use crate::request::conversation::Conversation;
use crate::request::models::Model;
use crate::service::{App, Body, Request, emit_refusal, refused, streaming, whole};
use crate::stream::deadline::Deadline;
use crate::stream::wire::Format;
use crate::summary::Summary;

/// What a conversation asks of the model besides its messages.
struct Sampling<'a> {
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    stop: &'a [String],
}

impl App {
    /// `POST /chat`: `{"messages", "model"?, "maxTokens"?}`, answered like a story. `format`:
    /// what the caller's `Accept` chose.
    pub(crate) async fn chat(&self, request: &Request, format: Result<Format, ApiError>) -> Response<Body> {
        let (deadline, mut summary) = self.begin(&request.invocation);
        let format = match format {
            Ok(format) => format,
            Err(error) => return refused(&error, None, summary),
        };
        let opened = async {
            let chat = chat_request::parse(&request.body, &self.settings.models, self.settings.chat_limits)?;
            let model = chat.model;
            let sampling = Sampling { max_tokens: chat.max_tokens, temperature: None, top_p: None, stop: &[] };
            let accepted = self.converse(model, &chat.conversation, sampling, deadline, &mut summary).await?;
            Ok::<_, ApiError>((accepted, model))
        }
        .await;
        match opened {
            Ok((accepted, model)) => {
                let relay = self.relay(accepted, format, deadline, (&request.invocation, model), summary);
                streaming(format.content_type(), relay)
            }
            Err(error) => refused(&error, Some(format), summary),
        }
    }

    /// `POST /v1/chat/completions`: OpenAI's request, answered in OpenAI's shapes. SSE is chosen by
    /// `stream`, not by `Accept` (the official clients send `Accept: application/json` when
    /// streaming too).
    pub(crate) async fn chat_completions(&self, incoming: &Request) -> Response<Body> {
        let (deadline, mut summary) = self.begin(&incoming.invocation);
        let parsed = openai_request::parse(&incoming.body, &self.settings.models, self.settings.chat_limits);
        let request = match parsed {
            Ok(request) => request,
            Err(error) => return openai_refused(&error, summary),
        };
        let answer = Answer::new(&incoming.invocation.request_id, unix_seconds(), &request.model.alias);
        let model = request.model;
        let CompletionRequest { conversation, max_tokens, temperature, top_p, stop, stream, include_usage, .. } =
            &request;
        let sampling = Sampling { max_tokens: *max_tokens, temperature: *temperature, top_p: *top_p, stop };
        let accepted = match self.converse(model, conversation, sampling, deadline, &mut summary).await {
            Ok(accepted) => accepted,
            Err(error) => return openai_refused(&error, summary),
        };
        if *stream {
            let chunks = Chunks { answer, include_usage: *include_usage };
            return streaming(
                "text/event-stream",
                self.relay(accepted, chunks, deadline, (&incoming.invocation, model), summary),
            );
        }
        let collected = self
            .relay(accepted, Collected::default(), deadline, (&incoming.invocation, model), summary)
            .collect()
            .await;
        match collected.outcome() {
            Outcome::Completed { text, reasoning, stop_reason, usage } => {
                let body = answer.completion(&text, reasoning.as_deref(), &stop_reason, usage.as_ref());
                whole(StatusCode::OK, "application/json", body)
            }
            // The relay has written the summary already (an upstream error).
            Outcome::Failed(error) => openai_error(&OpenAiError::new(&error)),
        }
    }

    /// Sends a conversation to `model`: the stack's chat system prompt first, then the caller's;
    /// the request's sampling, the alias's where the request sets none.
    async fn converse(
        &self,
        model: &Model,
        conversation: &Conversation,
        sampling: Sampling<'_>,
        deadline: Deadline,
        summary: &mut Summary,
    ) -> Result<Accepted, ApiError> {
        summary.chose(model);
        let system = self.settings.chat_system_prompt.as_deref().into_iter().chain(conversation.system.as_deref());
        let call = Call {
            model_id: &model.model_id,
            system: system.collect(),
            turns: &conversation.turns,
            stop_sequences: sampling.stop,
            max_tokens: sampling.max_tokens.unwrap_or(model.max_tokens),
            temperature: sampling.temperature.or(model.temperature),
            top_p: sampling.top_p.or(model.top_p),
            additional_model_request_fields: model.additional_model_request_fields.as_ref(),
            cache_points: model.prompt_cache.points(
                self.settings.chat_system_prompt.as_deref(),
                conversation.system.as_deref(),
                &conversation.turns,
            ),
            service_tier: model.service_tier,
        };
        self.accept(call, deadline).await
    }
}

/// A request refused before Bedrock answered, as OpenAI's error object, with its summary line; a
/// 405 carries the path's methods as `Allow`.
pub(crate) fn openai_refused(error: &ApiError, summary: Summary) -> Response<Body> {
    let refusal = OpenAiError::new(error);
    emit_refusal(summary, error, refusal.status);
    let mut response = openai_error(&refusal);
    if let Some(allow) = error.allow().and_then(|allow| HeaderValue::from_str(allow).ok()) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// OpenAI's error response: the real status, the error object, and `x-should-retry` where this
/// function knows whether a retry can help.
fn openai_error(refusal: &OpenAiError) -> Response<Body> {
    let mut response = whole(refusal.status, "application/json", refusal.body());
    if let Some(retry) = refusal.should_retry {
        response.headers_mut().insert("x-should-retry", HeaderValue::from_static(if retry { "true" } else { "false" }));
    }
    response
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
