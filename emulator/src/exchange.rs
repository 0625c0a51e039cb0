//! One HTTP exchange: route the request, read and record it, pick its fault, and answer with an
//! error the way Bedrock does or with a streamed body fed by the emulated model.

use crate::body::EventStreamBody;
use crate::config::EmulatorConfig;
use crate::fault::ErrorResponse;
use crate::fault::Fault;
use crate::model::{self, Plan};
use crate::parameter::{self, ParameterRead, Parameters};
use crate::prompt_cache::PromptCache;
use crate::record::{ExchangeOutcome, RecordedRequest, Recorder};
use crate::{alarm, catalog, converse};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

pub(crate) type ResponseBody = BoxBody<Bytes, io::Error>;

/// The region of a request without a SigV4 credential scope.
const DEFAULT_REGION: &str = "us-east-1";

/// Frames buffered between the model task and the connection: enough to keep hyper busy, small
/// enough that an unpaced stream waits for a slow reader instead of piling up in memory.
const CHANNEL_FRAMES: usize = 16;

/// What every connection of one emulator shares.
pub(crate) struct State {
    pub config: EmulatorConfig,
    pub script: Mutex<VecDeque<Fault>>,
    pub recorder: Arc<Recorder>,
    /// CloudWatch alarms' states by name, for the `DescribeAlarms` stand-in ([`alarm`]).
    pub alarms: Mutex<HashMap<String, String>>,
    /// How many `DescribeAlarms` calls arrived.
    pub alarm_reads: AtomicUsize,
    pub prompt_cache: PromptCache,
    /// Parameter Store's parameters, for the `GetParameter` stand-in ([`parameter`]).
    pub parameters: Mutex<Parameters>,
    /// Every `GetParameter` call, in arrival order.
    pub parameter_reads: Mutex<Vec<ParameterRead>>,
}

impl State {
    /// The scripted queue first (one fault per request), then a prompt marker, then the default.
    /// A guardrail's fault is dropped (the story streams as usual) when the request carries no
    /// guardrail: without one, Bedrock has nothing to intervene with.
    fn pick_fault(&self, prompt: &str, guarded: bool) -> Option<Fault> {
        let scripted = self.script.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop_front();
        let fault = scripted.or_else(|| Fault::from_prompt(prompt)).or(self.config.default_fault);
        fault.filter(|f| guarded || !f.needs_guardrail())
    }
}

pub(crate) async fn handle(
    request: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<ResponseBody>, Infallible> {
    if request.method() == Method::POST && request.uri().path() == "/" {
        let target = request.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if target == parameter::GET_PARAMETER_TARGET {
            return Ok(get_parameter(request, &state).await);
        }
        return Ok(cloudwatch(request, &state).await);
    }
    let Some(model_id) = converse_stream_model_id(&request) else {
        return Ok(unknown_operation());
    };
    let received_at = Instant::now();
    let version = request.version();
    let request_id = request_id();
    let authorization = request.headers().get(AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let signed = authorization.starts_with("AWS4-HMAC-SHA256");
    let region = catalog::signing_region(authorization).unwrap_or(DEFAULT_REGION).to_owned();
    // A body that cannot be read is recorded and rejected like an empty one.
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();

    let (converse, invalid) = converse::parse(&body);
    let invalid = invalid.map(ErrorResponse::validation);
    // Bedrock checks the body, then the model id in the region, then what the model accepts.
    let (behaviour, invalid) = match catalog::resolve(&model_id, &region, state.config.models) {
        Ok(behaviour) => (behaviour, invalid),
        Err(refusal) => (Default::default(), invalid.or(Some(refusal))),
    };
    let invalid = invalid.or_else(|| {
        let both = converse.temperature.is_some() && converse.top_p.is_some();
        (behaviour.one_sampling_setting && both).then(catalog::both_sampling_settings)
    });
    // An invalid request is rejected as such and leaves the scripted faults for valid ones.
    let fault = if invalid.is_some() { None } else { state.pick_fault(&converse.prompt, converse.guardrail.is_some()) };
    let rejection = invalid.or_else(|| fault.and_then(|f| f.pre_stream_error(&model_id)));

    let index = state.recorder.push(RecordedRequest {
        model_id: model_id.clone(),
        region,
        version,
        request_id: request_id.clone(),
        status: match (&rejection, fault) {
            (Some(r), _) => r.status,
            (None, Some(Fault::Hang)) => 0,
            (None, _) => 200,
        },
        max_tokens: converse.max_tokens,
        temperature: converse.temperature,
        top_p: converse.top_p,
        additional_model_request_fields: converse.additional_model_request_fields.clone(),
        guardrail_config: converse.guardrail_config.clone(),
        system: converse.system.clone(),
        prompt: converse.prompt.clone(),
        messages: converse.messages.clone(),
        stop_sequences: converse.stop_sequences.clone(),
        cache_points: converse.cache_points.clone(),
        service_tier: converse.service_tier.clone(),
        signed,
        fault,
        received_at,
        delta_times: Vec::new(),
        outcome: if rejection.is_some() { ExchangeOutcome::Failed } else { ExchangeOutcome::Streaming },
    });
    if let Some(rejection) = rejection {
        return Ok(error_response(&rejection, &request_id));
    }
    if fault == Some(Fault::Hang) {
        // hyper drops this future when the client closes its connection (HTTP/1, half-close
        // off) or resets the stream (HTTP/2), and the guard records that moment.
        let _client_left = HangGuard { recorder: state.recorder.clone(), index };
        std::future::pending::<()>().await;
    }

    let mut converse = converse;
    converse.cached = state.prompt_cache.answer(&model_id, &converse);
    let (chunks, receiver) = mpsc::channel(CHANNEL_FRAMES);
    let thinks = converse.thinks(behaviour.thinks_by_default);
    tokio::spawn(model::run(Plan::new(&converse, &state.config, fault, thinks, received_at), chunks));
    let body = EventStreamBody::new(receiver, state.recorder.clone(), index);
    let response = Response::builder()
        .header(CONTENT_TYPE, "application/vnd.amazon.eventstream")
        .header("x-amzn-requestid", request_id)
        .body(body.boxed())
        .expect("static headers are valid");
    Ok(response)
}

/// The percent-decoded model id of `POST /model/{modelId}/converse-stream`; `None` for any
/// other request. The id is decoded after splitting, because an ARN's `/` arrives as `%2F`.
fn converse_stream_model_id<B>(request: &Request<B>) -> Option<String> {
    if request.method() != Method::POST {
        return None;
    }
    let encoded = request.uri().path().strip_prefix("/model/")?.strip_suffix("/converse-stream")?;
    if encoded.is_empty() || encoded.contains('/') {
        return None;
    }
    percent_decode(encoded)
}

fn percent_decode(encoded: &str) -> Option<String> {
    let mut bytes = encoded.bytes();
    let mut decoded = Vec::with_capacity(encoded.len());
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let high = char::from(bytes.next()?).to_digit(16)?;
            let low = char::from(bytes.next()?).to_digit(16)?;
            decoded.push(u8::try_from(high * 16 + low).expect("two hex digits fit a byte"));
        } else {
            decoded.push(byte);
        }
    }
    String::from_utf8(decoded).ok()
}

/// A fresh id shaped like Bedrock's `x-amzn-requestid` (a version-4 UUID).
fn request_id() -> String {
    let bits: u128 = rand::random();
    let hex = format!("{:032x}", (bits & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn error_response(error: &ErrorResponse, request_id: &str) -> Response<ResponseBody> {
    let body = serde_json::json!({ "message": error.message }).to_string();
    Response::builder()
        .status(error.status)
        .header(
            "x-amzn-ErrorType",
            format!("{}:http://internal.amazon.com/coral/com.amazon.bedrock/", error.error_type),
        )
        .header(CONTENT_TYPE, "application/json")
        .header("x-amzn-requestid", request_id)
        .body(full(body))
        .expect("error statuses and headers are valid")
}

/// What an AWS front end answers for a path no operation matches.
fn unknown_operation() -> Response<ResponseBody> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("x-amzn-ErrorType", "UnknownOperationException")
        .header(CONTENT_TYPE, "application/json")
        .body(full(r#"{"message":"Unknown operation"}"#.to_owned()))
        .expect("static response is valid")
}

fn full(body: String) -> ResponseBody {
    Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed()
}

/// Records a hung request's client leaving, when hyper drops the request's future.
struct HangGuard {
    recorder: Arc<Recorder>,
    index: usize,
}

impl Drop for HangGuard {
    fn drop(&mut self) {
        self.recorder.finish(self.index, ExchangeOutcome::ClientDisconnected { at: Instant::now() });
    }
}

/// CloudWatch's Query protocol at `POST /`: `DescribeAlarms` from the alarms' set states; any other
/// action is unknown.
async fn cloudwatch(request: Request<Incoming>, state: &State) -> Response<ResponseBody> {
    let form = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    if !alarm::is_describe_alarms(&form) {
        return unknown_operation();
    }
    state.alarm_reads.fetch_add(1, Ordering::SeqCst);
    let xml = alarm::describe_alarms(&form, &state.alarms.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    Response::builder().header(CONTENT_TYPE, "text/xml").body(full(xml)).expect("static response is valid")
}

/// Parameter Store's `GetParameter` (the JSON 1.1 protocol at `POST /`), from the parameters set.
async fn get_parameter(request: Request<Incoming>, state: &State) -> Response<ResponseBody> {
    let authorization = request.headers().get(AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let region = catalog::signing_region(authorization).unwrap_or(DEFAULT_REGION).to_owned();
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let parameters = state.parameters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (status, json, read) = parameter::get_parameter(&body, &region, &parameters);
    drop(parameters);
    if let Some(read) = read {
        state.parameter_reads.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(read);
    }
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/x-amz-json-1.1")
        .body(full(json))
        .expect("a JSON answer is a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(path: &str) -> Request<()> {
        Request::post(path).body(()).unwrap()
    }

    #[test]
    fn routes_converse_stream_and_decodes_the_model_id() {
        let id = converse_stream_model_id(&post("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"));
        assert_eq!(id.as_deref(), Some("anthropic.claude-3-haiku-20240307-v1:0"));
        let arn =
            converse_stream_model_id(&post("/model/arn%3Aaws%3Abedrock%3A%3Afoundation-model%2Fm/converse-stream"));
        assert_eq!(arn.as_deref(), Some("arn:aws:bedrock::foundation-model/m"));
    }

    #[test]
    fn other_requests_are_unknown_operations() {
        assert_eq!(converse_stream_model_id(&post("/model/m/converse")), None);
        assert_eq!(converse_stream_model_id(&post("/model/a/b/converse-stream")), None);
        assert_eq!(converse_stream_model_id(&post("/model/bad%zz/converse-stream")), None);
        assert_eq!(converse_stream_model_id(&Request::get("/model/m/converse-stream").body(()).unwrap()), None);
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = request_id();
        let groups: Vec<_> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "4");
    }
}
