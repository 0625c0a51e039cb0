//! One request, start to finish, whichever Lambda event carried it: decide its route once
//! ([`routes`]), then answer it. A story or a conversation (`chat`) is checked, the Bedrock
//! stream opened, and the answer streamed once Bedrock has accepted (so a refusal before that gets
//! a real status code). `GET /models` lists the models a request may choose; `GET /` is the page.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use http_body::Frame;
use http_body_util::StreamBody;
use tokio::time::{Instant, timeout_at};

use crate::bedrock::{self, Call};
use crate::budget::Budget;
use crate::caller::Caller;
use crate::error::{ApiError, NoAnswer};
use crate::openai::wire::model_list;
use crate::request::conversation::Conversation;
use crate::request::models::{Model, Models, Reasoning};
use crate::request::{self, Limits, StoryRequest};
use crate::settings::Settings;
use crate::stream::deadline::Deadline;
use crate::stream::relay::{Start, StoryRelay};
use crate::stream::wire::{self, Encoder, Format};
use crate::summary::Summary;

mod chat;
mod cors;
mod page;
pub mod routes;

use routes::{Decision, Route, Routes};

pub type Body = StreamBody<BoxStream<'static, Result<Frame<Bytes>, Infallible>>>;

/// One HTTP request as the service reads it, the project's own type: the Lambda layer
/// ([`crate::lambda`]) builds it from whichever event carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub invocation: Invocation,
    pub method: Method,
    /// The path alone, no query string: `/` for the URL itself.
    pub path: String,
    /// Only `Accept` and `Last-Event-ID` change the answer.
    pub headers: HeaderMap,
    /// Decoded (a body the event carried base64-encoded arrives as its bytes).
    pub body: Bytes,
}

/// A `GET /` with no headers, no body, outside Lambda ([`Invocation::default`]).
impl Default for Request {
    fn default() -> Request {
        Request {
            invocation: Invocation::default(),
            method: Method::GET,
            path: "/".into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }
}

/// Which Lambda invocation a request came in.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// Lambda's request id: the summary line's `request_id` and the `start` event's `requestId`.
    pub request_id: String,
    /// When Lambda ends the invocation, in milliseconds since the Unix epoch, when Lambda says
    /// (the request's own deadline is set before it).
    pub deadline_ms: Option<u64>,
    /// Who made the request, when API Gateway authenticated them (the summary's properties).
    pub caller: Caller,
}

/// Outside Lambda (tests, fuzzing): request id `local`, no deadline but the configured one.
impl Default for Invocation {
    fn default() -> Invocation {
        Invocation { request_id: "local".into(), deadline_ms: None, caller: Caller::default() }
    }
}

/// What every invocation shares: built once at cold start.
pub struct App {
    settings: Settings,
    client: bedrock::Client,
    routes: Routes,
    /// The daily budget's check, with `STREAMER_BUDGET_ACTION=refuse`.
    budget: Option<Budget>,
}

impl App {
    pub fn new(settings: Settings, client: bedrock::Client) -> App {
        let routes = Routes::new(&settings);
        App { settings, client, routes, budget: None }
    }

    /// Refuses new requests with 429 `budget_exceeded` while `budget`'s alarm is in ALARM.
    pub fn with_budget(mut self, budget: Budget) -> App {
        self.budget = Some(budget);
        self
    }

    /// The answer to `request`, with CORS headers when its `Origin` may read it ([`cors`]). A `HEAD`
    /// gets the answer its `GET` would, without the body.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let accept = request.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let format = Format::negotiate(accept);
        let mut response = match self.routes.decide(&request.method, &request.path, &request.headers) {
            Decision::Serve(Route::Page) => page(),
            Decision::Serve(Route::Models) => models(&self.settings.models),
            Decision::Serve(Route::Story) => self.story(&request, format).await,
            Decision::Serve(Route::Chat) => self.chat(&request, format).await,
            Decision::Serve(Route::ChatCompletions) => self.chat_completions(&request).await,
            Decision::Serve(Route::OpenAiModels) => {
                whole(StatusCode::OK, "application/json", openai_models(&self.settings.models))
            }
            Decision::Reconnect => reconnect(),
            Decision::Refuse(error) if routes::openai(&request.path) => {
                chat::openai_refused(&error, self.summary(&request.invocation, Instant::now()))
            }
            Decision::Refuse(error) => refused(&error, format.ok(), self.summary(&request.invocation, Instant::now())),
        };
        cors::add_headers(self.settings.cors_allow_origins.as_ref(), &request.headers, &mut response);
        if request.method == Method::HEAD { without_body(response) } else { response }
    }

    /// An invocation whose event is not a readable request (see [`crate::lambda::request`]):
    /// refused like any bad request, with its summary line.
    pub fn refuse(&self, error: ApiError, invocation: &Invocation) -> Response<Body> {
        refused(&error, None, self.summary(invocation, Instant::now()))
    }

    /// A story: streamed once Bedrock has accepted it, or the refusal. `format`: what the
    /// caller's `Accept` chose.
    async fn story(&self, request: &Request, format: Result<Format, ApiError>) -> Response<Body> {
        let (deadline, mut summary) = self.begin(&request.invocation);
        let format = match format {
            Ok(format) => format,
            Err(error) => return refused(&error, None, summary),
        };
        match self.open(&request.body, deadline, &mut summary).await {
            Ok((accepted, model)) => {
                let relay = self.relay(accepted, format, deadline, (&request.invocation, model), summary);
                streaming(format.content_type(), relay)
            }
            Err(error) => refused(&error, Some(format), summary),
        }
    }

    /// What every streamed request starts with: its deadline and its summary.
    pub(crate) fn begin(&self, invocation: &Invocation) -> (Deadline, Summary) {
        let started = Instant::now();
        let deadline = Deadline::new(started, self.settings.deadline, invocation.deadline_ms);
        (deadline, self.summary(invocation, started))
    }

    /// Sends the call, with the stack's guardrail when it has one, and waits for Bedrock to accept
    /// it, no longer than the deadline; refused instead, before Bedrock, while the daily budget is
    /// spent.
    pub(crate) async fn accept(&self, call: Call<'_>, deadline: Deadline) -> Result<bedrock::Accepted, ApiError> {
        if let Some(budget) = &self.budget {
            budget.check().await?;
        }
        timeout_at(deadline.at, self.client.converse_stream(call, self.settings.guardrail.as_ref()))
            .await
            .map_err(|_| ApiError::UpstreamTimeout(NoAnswer::Deadline { secs: deadline.secs }))?
    }

    /// The relay of the stream Bedrock accepted for `model` in `invocation`: the model's reasoning
    /// shown or dropped as its alias says, keep-alives as the settings say.
    pub(crate) fn relay<E: Encoder>(
        &self,
        accepted: bedrock::Accepted,
        encoder: E,
        deadline: Deadline,
        (invocation, model): (&Invocation, &Model),
        summary: Summary,
    ) -> StoryRelay<E> {
        let start = Start {
            request_id: invocation.request_id.clone(),
            model_id: model.model_id.clone(),
            model_alias: model.alias.clone(),
            bedrock_request_id: accepted.request_id,
        };
        let show_reasoning = model.reasoning == Reasoning::Show;
        StoryRelay::new(accepted.items, encoder, deadline, start, summary, show_reasoning)
            .keep_alive(self.settings.keep_alive)
            .priced(model.price)
    }

    /// A request's summary, naming the default model until the request chooses one.
    fn summary(&self, invocation: &Invocation, started: Instant) -> Summary {
        Summary::new(invocation.request_id.clone(), self.settings.models.default_model(), started)
            .caller(invocation.caller.clone())
    }

    /// Everything up to Bedrock accepting the stream; any error here is the whole response.
    async fn open(
        &self,
        body: &[u8],
        deadline: Deadline,
        summary: &mut Summary,
    ) -> Result<(bedrock::Accepted, &Model), ApiError> {
        let limits =
            Limits { models: &self.settings.models, allowed_story_types: self.settings.allowed_story_types.as_deref() };
        let StoryRequest { story_type, model, max_tokens } = request::parse(body, limits)?;
        summary.chose(model);
        let prompt = self.settings.templates.render(&story_type);
        tracing::debug!(prompt = %prompt, system = ?self.settings.system_prompt, "prompt");
        summary.story_type(story_type);

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
            cache_points: model.prompt_cache.points(self.settings.system_prompt.as_deref(), None, &turns),
            service_tier: model.service_tier,
        };
        let accepted = self.accept(call, deadline).await?;
        Ok((accepted, model))
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

/// The summary of a request refused with `status`, written as it goes.
pub(crate) fn emit_refusal(mut summary: Summary, error: &ApiError, status: StatusCode) {
    summary.refused(error, status);
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

/// The same status and headers, no body: the answer to a `HEAD`.
fn without_body(response: Response<Body>) -> Response<Body> {
    response.map(|_| StreamBody::new(stream::empty().boxed()))
}

/// `format`: what the caller's `Accept` chose, if it chose anything (see [`wire::error_body`]).
/// A 405 carries the path's methods as `Allow`.
fn refusal(format: Option<Format>, error: &ApiError) -> Response<Body> {
    let (content_type, body) = wire::error_body(format, error);
    let mut response = Response::new(StreamBody::new(stream::iter([Ok(Frame::data(body))]).boxed()));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(allow) = error.allow().and_then(|allow| HeaderValue::from_str(allow).ok()) {
        headers.insert(header::ALLOW, allow);
    }
    response
}
