//! bedrock-streamer: a Lambda handler, behind a Function URL (RESPONSE_STREAM) or an API Gateway
//! REST API (response streaming), that streams Amazon Bedrock ConverseStream output to its caller as
//! it is generated.
//!
//! # Layout
//!
//! One request goes down the list and its answer comes back up; a module imports only from the
//! ones below it.
//!
//! - [`lambda`]: the Lambda layer. `runtime` polls the Runtime API and streams each answer back;
//!   [`lambda::request`] decides once which kind of event arrived, and `function_url` or
//!   `api_gateway` (REST proxy events, payload format 1.0, with the caller API Gateway
//!   authenticated) turns it into the one [`service::Request`] the service reads.
//! - [`service`]: one request, start to finish: `routes` decides the route once (404, 405 and
//!   its `Allow`, `HEAD`, the SSE reconnect), then the story, `chat` (conversations), the page or
//!   a model list answers it; `cors` adds the CORS headers (`STREAMER_CORS_ALLOW_ORIGINS`) to
//!   every answer, once.
//! - [`openai`]: OpenAI's Chat Completions shapes: its request read into the project's
//!   conversation, its chunks, completion and error objects.
//! - [`stream`]: the answer on its way: `relay` pulls Bedrock's events into the caller's chunks,
//!   `wire` encodes them (NDJSON, SSE, text), `deadline` says when the stream must end.
//! - [`bedrock`]: the only module that speaks Bedrock's wire, without an SDK crate: the client,
//!   the call (`body` the request, `call` the signed attempts and retries), the stream's items
//!   (`events` decodes the event stream, `guardrail` reads what the guardrail's trace says it
//!   did), Bedrock's errors as [`error::ApiError`]s (`errors`), the HTTPS client (`http_client`).
//!   aws-sdk-bedrockruntime is the tests' oracle only.
//! - [`request`]: what a caller may ask for, checked before anything reaches Bedrock: a story
//!   request, `chat` and `conversation`, `models` (the aliases), `story_type` (the rule).
//! - [`settings`]: `STREAMER_*` over `config/default.toml`, checked once at cold start; `prompt`
//!   holds the templates, `guardrail` the Bedrock guardrail every call carries, `cors` the
//!   origins' rule, `cache` an alias's prompt caching (`config/bedrock-models.json`, and where a
//!   request's cache points go), `tier` its service tier, `system_prompt` where each system prompt
//!   comes from (the variable, a file in the package, or a Parameter Store parameter read through
//!   [`ssm`] at cold start).
//! - [`budget`]: the daily budget's refusal: the stack's budget alarm read through CloudWatch's
//!   `DescribeAlarms` at most once a minute.
//! - [`ssm`]: a Parameter Store parameter's value (`GetParameter`), for a system prompt.
//! - [`aws`]: how the function makes its AWS calls (Bedrock's, `DescribeAlarms`,
//!   `GetParameter`): SigV4-signed requests to each service's endpoint, without an SDK crate per
//!   service; `config` reads the region, credentials and endpoints once at cold start, from the
//!   environment (aws-config's whole chain only with the `local-profiles` feature).
//! - [`price`]: what a request costs: the dated price table (`config/prices.json`) and a
//!   request's cost from its token counts; it imports nothing of the crate.
//! - [`error`], [`summary`], [`caller`], [`telemetry`]: the error vocabulary (status and code in
//!   one table), the per-request summary line and metrics record, who made the request (an API
//!   key id, a Cognito `sub`), and the log setup.
//!
//! `main.rs` only wires: the AWS configuration, settings, the Bedrock client, the
//! [`service::App`], the runtime. The tests, the fuzz targets and the benchmark drive the public
//! items (request parsing, the storyType rule, the wire encoders, the event conversion, the error
//! vocabulary).

pub mod aws;
pub mod bedrock;
pub mod budget;
pub mod caller;
pub mod error;
pub mod lambda;
pub mod openai;
pub mod price;
pub mod request;
pub mod service;
pub mod settings;
pub mod ssm;
pub mod stream;
pub mod summary;
pub mod telemetry;
