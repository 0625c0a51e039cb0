//! One Function URL request, start to finish: check it, render the prompt, open the Bedrock
//! stream, and answer with a streamed body once Bedrock has accepted (so a refusal before that
//! gets a real status code). `GET /models` lists the models a request may choose.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body::Frame;
use http_body_util::StreamBody;
use lambda_runtime::Context;
use tokio::time::{Instant, timeout_at};

use crate::bedrock::{self, Call};
use crate::error::{ApiError, NoAnswer};
use crate::lambda::function_url::Request;
use crate::openai::wire::model_list;
use crate::request::conversation::Conversation;
use crate::request::models::{Models, Reasoning};
use crate::request::{self, Limits, StoryRequest};
use crate::settings::Settings;
use crate::stream::deadline::Deadline;
use crate::stream::relay::StoryRelay;
use crate::stream::wire::{self, Encoder, Format};
use crate::summary::{RequestOutcome, Summary};

mod chat;
mod page;
mod routes;

use routes::Route;

pub type Body = StreamBody<BoxStream<'static, Result<Frame<Bytes>, Infallible>>>;

/// What every invocation shares: built once at cold start.
pub struct App {
    pub settings: Settings,
    pub client: bedrock::Client,
}

impl App {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let settings = &self.settings;
        match routes::route(req.method(), req.uri().path(), req.headers(), settings.page, settings.chat) {
            Route::Page => return page(),
            Route::Reconnect => return reconnect(),
            Route::Models => return models(&self.settings.models),
            Route::Chat => return self.chat(&req).await,
            Route::ChatCompletions => return self.chat_completions(&req).await,
            Route::OpenAiModels => return whole(StatusCode::OK, "application/json", openai_models(&settings.models)),
            Route::ChatOff => return self.not_served(&req),
            Route::Story => {}
        }
        let (deadline, mut summary) = self.begin(&req);

        match self.open(&req, deadline, &mut summary).await {
            Ok((format, accepted, reasoning)) => {
                let relay = self.relay(accepted, format, deadline, summary, reasoning);
                streaming(format.content_type(), relay)
            }
            Err(error) => {
                let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
                self.allow(req.uri().path(), refused(&error, Format::negotiate(accept).ok(), summary))
            }
        }
    }

    /// A path nothing serves (a conversation path with conversations off): 405 with an empty
    /// `Allow`, like any unserved path, never a story.
    fn not_served(&self, req: &Request) -> Response<Body> {
        let (_, summary) = self.begin(req);
        let error = ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
            served: routes::served(self.settings.page, self.settings.chat),
        };
        let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
        self.allow(req.uri().path(), refused(&error, Format::negotiate(accept).ok(), summary))
    }

    /// A 405 for `path` gets the `Allow` header naming what `path` does answer.
    fn allow(&self, path: &str, mut response: Response<Body>) -> Response<Body> {
        if response.status() == StatusCode::METHOD_NOT_ALLOWED {
            let allowed = routes::allowed_methods(path, self.settings.page, self.settings.chat);
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
        }
        response
    }

    /// An invocation whose event is not a readable Function URL request (see `function_url`):
    /// refused like any bad request, with its summary line.
    pub fn refuse(&self, error: ApiError, context: &Context) -> Response<Body> {
        refused(&error, None, self.summary(context.request_id.clone(), Instant::now()))
    }

    /// What every streamed request starts with: its deadline and its summary.
    pub(crate) fn begin(&self, req: &Request) -> (Deadline, Summary) {
        let started = Instant::now();
        let context = req.extensions().get::<Context>();
        let request_id = context.map_or_else(|| "local".to_owned(), |c| c.request_id.clone());
        let deadline = Deadline::new(started, self.settings.deadline, context.map(|c| c.deadline));
        (deadline, self.summary(request_id, started))
    }

    /// Sends the call and waits for Bedrock to accept it, no longer than the deadline.
    pub(crate) async fn accept(&self, call: Call<'_>, deadline: Deadline) -> Result<bedrock::Accepted, ApiError> {
        timeout_at(deadline.at, self.client.converse_stream(call))
            .await
            .map_err(|_| ApiError::UpstreamTimeout(NoAnswer::Deadline { secs: deadline.secs }))?
    }

    /// The relay of an accepted stream: the model's reasoning shown or dropped as its alias says,
    /// keep-alives as the settings say.
    pub(crate) fn relay<E: Encoder>(
        &self,
        accepted: bedrock::Accepted,
        encoder: E,
        deadline: Deadline,
        summary: Summary,
        reasoning: Reasoning,
    ) -> StoryRelay<E> {
        let show_reasoning = reasoning == Reasoning::Show;
        StoryRelay::new(accepted.items, encoder, deadline, accepted.request_id, summary, show_reasoning)
            .keep_alive(self.settings.keep_alive)
    }

    /// A request's summary, naming the default model until the request chooses one.
    fn summary(&self, request_id: String, started: Instant) -> Summary {
        let default = self.settings.models.default_model();
        let mut summary = Summary::new(request_id, default.model_id.clone(), started);
        summary.model_alias = default.alias.clone();
        summary
    }

    /// Everything up to Bedrock accepting the stream; any error here is the whole response.
    async fn open(
        &self,
        req: &Request,
        deadline: Deadline,
        summary: &mut Summary,
    ) -> Result<(Format, bedrock::Accepted, Reasoning), ApiError> {
        if req.method() != Method::POST {
            return Err(ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
                served: routes::served(self.settings.page, self.settings.chat),
            });
        }
        let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let format = Format::negotiate(accept)?;
        let limits =
            Limits { models: &self.settings.models, allowed_story_types: self.settings.allowed_story_types.as_deref() };
        let StoryRequest { story_type, model, max_tokens } = request::parse(req.body().as_ref(), limits)?;
        let model = self.settings.models.get(&model).expect("parse returns a configured alias");
        summary.model = model.model_id.clone();
        summary.model_alias = model.alias.clone();
        let prompt = self.settings.templates.render(&story_type);
        tracing::debug!(prompt = %prompt, system = ?self.settings.system_prompt, "prompt");
        summary.story_type = Some(story_type);

        let turns = Conversation::single(prompt).turns;
        let call = Call {
            model_id: &model.model_id,
            system: self.settings.system_prompt.as_deref().into_iter().collect(),
            turns: &turns,
            stop_sequences: &[],
            max_tokens: max_tokens.unwrap_or(model.max_tokens),
            temperature: model.temperature,
            top_p: model.top_p,
            additional_model_request_fields: model.additional_model_request_fields.as_ref(),
        };
        let accepted = self.accept(call, deadline).await?;
        Ok((format, accepted, model.reasoning))
    }
}

/// A streamed answer, served as `content_type`.
pub(crate) fn streaming<E: Encoder>(content_type: &'static str, relay: StoryRelay<E>) -> Response<Body> {
    let mut response = Response::new(StreamBody::new(relay.into_stream().boxed()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `format`: what the caller's `Accept` chose, if anything (see [`wire::error_body`]).
pub(crate) fn refused(error: &ApiError, format: Option<Format>, summary: Summary) -> Response<Body> {
    emit_refusal(summary, error, error.status());
    refusal(format, error)
}

/// The summary of a request refused with `status`.
pub(crate) fn emit_refusal(mut summary: Summary, error: &ApiError, status: StatusCode) {
    summary.status = status.as_u16();
    summary.error_code = Some(error.code());
    summary.emit(if error.is_client_error() { RequestOutcome::Rejected } else { RequestOutcome::UpstreamError });
}

/// A response whose whole body is `body`, never cached.
pub(crate) fn whole(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(StreamBody::new(stream::iter([Ok(Frame::data(body))]).boxed()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The page, with its headers (see [`page::headers`]).
fn page() -> Response<Body> {
    let body = stream::iter([Ok(Frame::data(Bytes::from_static(page::HTML.as_bytes())))]);
    let mut response = Response::new(StreamBody::new(body.boxed()));
    response.headers_mut().extend(page::headers());
    response
}

/// An SSE client reconnecting after a story's last event: nothing to resend, and a 204 tells it
/// to stop (see [`wire::SSE_LAST_EVENT_ID`]). Typed as an (empty) event stream because
/// `@microsoft/fetch-event-source` 2.0.1 ignores the status: its default `onopen` rejects any
/// other content type, and it retries every `retry:` ms forever (clients/test/sse-browser.test.mjs).
fn reconnect() -> Response<Body> {
    let mut response = Response::new(StreamBody::new(stream::empty().boxed()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(Format::Sse.content_type()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `GET /models` listing (see [`Models::listing`]); `no-cache` because a deploy changes it.
fn models(models: &Models) -> Response<Body> {
    let body = stream::iter([Ok(Frame::data(Bytes::from(models.listing())))]);
    let mut response = Response::new(StreamBody::new(body.boxed()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The `GET /v1/models` body: the aliases as OpenAI's model list.
fn openai_models(models: &Models) -> Bytes {
    model_list(models.all().map(|model| model.alias.as_str()))
}

/// `format`: what the caller's `Accept` chose, if it chose anything (see [`wire::error_body`]).
fn refusal(format: Option<Format>, error: &ApiError) -> Response<Body> {
    let (content_type, body) = wire::error_body(format, error);
    let mut response = Response::new(StreamBody::new(stream::iter([Ok(Frame::data(body))]).boxed()));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
