//! The real handler binary polling the Runtime API stand-in (the `runtime-api-standin` crate, which
//! `just bench` uses too). It hands out raw event bytes exactly as given (so a test can send events
//! `cargo lambda watch` would never build), reads the streamed `POST …/{id}/response` (JSON prelude,
//! 8 NUL bytes, body), records `…/{id}/error`, and can break connections the way a Runtime API does
//! when things go wrong: close a `/response` connection after a few body chunks, or close `/next`
//! connections unanswered.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bedrock_emulator::Emulator;
use bytes::Bytes;
use runtime_api_standin as standin;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// A Function URL event (payload format 2.0) for a POST of `body`, as Lambda builds it; `changes`
/// are merged over its top-level fields (a `null` removes the field).
pub fn function_url_event(body: &str, changes: Value) -> Value {
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "host": "abc.lambda-url.us-east-1.on.aws",
            "user-agent": "curl/8.5.0",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc",
            "domainName": "abc.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "c4f2f6a4-1b0e-4a5f-9d0e-000000000000",
            "routeKey": "$default",
            "stage": "$default",
            "time": "29/Nov/2026:17:00:00 +0000",
            "timeEpoch": 1_795_971_600_000_u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    merge(&mut event, changes);
    event
}

/// AWS's documented REST proxy event (tests/fixtures/api-gateway/README.md), as read from its file.
pub fn aws_rest_example() -> Value {
    fixture(include_str!("../fixtures/api-gateway/aws-docs-proxy-event.json"))
}

/// A fixture of tests/fixtures/api-gateway/ (README.md there says where each comes from).
pub fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("a fixture is JSON")
}

/// An API Gateway REST proxy event (payload format 1.0) for a POST of `body` to `/`: AWS's
/// documented example with `path` and `resource` `/`; `changes` are merged over its top-level
/// fields (a `null` removes the field).
pub fn api_gateway_event(body: &str, changes: Value) -> Value {
    let mut event = aws_rest_example();
    merge(&mut event, json!({"resource": "/", "path": "/", "pathParameters": null, "body": body}));
    merge(&mut event, changes);
    event
}

/// `changes` merged over `event`'s top-level fields; a `null` removes the field.
pub fn merge(event: &mut Value, changes: Value) {
    let fields = event.as_object_mut().expect("an event is an object");
    for (key, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            fields.remove(key);
        } else {
            fields.insert(key.clone(), value.clone());
        }
    }
}

/// The two kinds of event the function reads, built the same way so that one table of cases runs
/// over both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    FunctionUrl,
    ApiGatewayRest,
}

/// A field the API reads, wherever each kind of event keeps it.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// `requestContext.http.method` / `httpMethod`.
    Method,
    /// `headers` (a REST event's `multiValueHeaders` follows: each string value as a list of one,
    /// removed when the headers are not an object).
    Headers,
    Body,
    /// `isBase64Encoded`.
    Base64,
    /// `rawPath` / `path`.
    Path,
}

impl EventKind {
    pub const BOTH: [EventKind; 2] = [EventKind::FunctionUrl, EventKind::ApiGatewayRest];

    /// A POST of `body` to `/` of this kind, with each field of `changes` set (`null` removes it).
    pub fn post(self, body: &str, changes: &[(Field, Value)]) -> Value {
        let mut event = match self {
            EventKind::FunctionUrl => function_url_event(body, json!({})),
            EventKind::ApiGatewayRest => api_gateway_event(body, json!({})),
        };
        for (field, value) in changes {
            self.set(&mut event, *field, value.clone());
        }
        event
    }

    fn set(self, event: &mut Value, field: Field, value: Value) {
        let top = |name: &str| Value::Object([(name.to_owned(), value.clone())].into_iter().collect());
        match (self, field) {
            (EventKind::FunctionUrl, Field::Method) => {
                let context = event["requestContext"].as_object_mut().expect("a Function URL event has a context");
                let http = context.get_mut("http").and_then(Value::as_object_mut).expect("and its http");
                if value.is_null() {
                    http.remove("method");
                } else {
                    http.insert("method".into(), value);
                }
            }
            (EventKind::ApiGatewayRest, Field::Method) => merge(event, top("httpMethod")),
            (EventKind::ApiGatewayRest, Field::Headers) => {
                let multi = value.as_object().map(|headers| {
                    headers.iter().map(|(name, v)| (name.clone(), if v.is_string() { json!([v]) } else { v.clone() }))
                });
                let multi = multi.map_or(Value::Null, |m| Value::Object(m.collect()));
                merge(event, json!({"headers": value, "multiValueHeaders": multi}));
            }
            (_, Field::Headers) => merge(event, top("headers")),
            (_, Field::Body) => merge(event, top("body")),
            (_, Field::Base64) => merge(event, top("isBase64Encoded")),
            (EventKind::FunctionUrl, Field::Path) => merge(event, top("rawPath")),
            (EventKind::ApiGatewayRest, Field::Path) => merge(event, top("path")),
        }
    }
}

/// How the Runtime API saw an invocation end, the streamed body cut into prelude and body.
pub type Answer = standin::Answer<Streamed>;

#[derive(Debug)]
pub struct Streamed {
    /// The prelude's `statusCode`, `headers` and `cookies`.
    pub prelude: Value,
    pub body: Bytes,
}

impl Streamed {
    pub fn status(&self) -> u64 {
        self.prelude["statusCode"].as_u64().expect("the prelude has a statusCode")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.prelude["headers"][name].as_str()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as one JSON value (a refusal).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

pub struct RuntimeApi(standin::RuntimeApi);

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        RuntimeApi(standin::RuntimeApi::start().await.expect("the Runtime API listens"))
    }

    /// Queues a raw event; resolves with its request id and how its invocation ended (at most
    /// 30 s).
    pub async fn invoke(&self, event: impl Into<Bytes>) -> (String, Answer) {
        answered(self.0.invoke(event.into())).await
    }

    /// Like [`RuntimeApi::invoke`], but closes the `/response` connection once `chunks` body
    /// chunks (counted after the prelude and separator) have arrived.
    pub async fn invoke_and_cut(&self, event: impl Into<Bytes>, chunks: usize) -> (String, Answer) {
        answered(self.0.invoke_and_cut(event.into(), chunks)).await
    }

    /// Closes the connections of the next `polls` `/next` requests without an answer.
    pub fn fail_next(&self, polls: u32) {
        self.0.fail_next(polls);
    }

    /// How many `/next` requests have arrived so far.
    pub fn polls(&self) -> u64 {
        self.0.polls()
    }

    /// The real handler binary with its Runtime API pointed here and Bedrock at `emulator`.
    pub fn function(&self, emulator: &Emulator, settings: &[(&str, &str)]) -> Function {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-streamer"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", self.0.addr().to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "bedrock-streamer")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint())
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the handler binary starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = logs.clone();
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Function { child, logs, reader }
    }
}

/// Waits (at most 30 s) for an invocation to end; its request id and what the function answered,
/// the streamed body cut into prelude and body.
async fn answered(invocation: impl Future<Output = standin::Invocation>) -> (String, Answer) {
    let invocation =
        tokio::time::timeout(Duration::from_secs(30), invocation).await.expect("the function answers within 30 s");
    let answer = invocation.answer.and_then(|streamed| {
        let received = streamed.bytes();
        match standin::separator(&received) {
            Some(at) => Answer::Streamed(Streamed {
                prelude: serde_json::from_slice(&received[..at]).expect("the prelude is JSON"),
                body: Bytes::copy_from_slice(&received[at + standin::SEPARATOR.len()..]),
            }),
            None => Answer::Error(format!("no prelude in {:?}", String::from_utf8_lossy(&received))),
        }
    });
    (invocation.request_id, answer)
}

/// The handler binary as a process, with its stdout (JSON logs) collected line by line.
pub struct Function {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    /// Collects stdout until the process closes it.
    reader: JoinHandle<()>,
}

impl Function {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Its log lines so far, parsed (metrics records included).
    pub fn logs(&self) -> Vec<Value> {
        self.logs.lock().unwrap().iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Everything it has written to stdout so far, as written.
    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// The log lines whose `message` (under `fields`) is `message`.
    pub fn logged(&self, message: &str) -> Vec<Value> {
        self.logs().into_iter().filter(|l| l["fields"]["message"] == message).collect()
    }

    /// Waits (at most 5 s) for a log line with this message and `request_id`.
    pub async fn wait_for(&self, message: &str, request_id: &str) -> Value {
        for _ in 0..100 {
            if let Some(line) = self.logged(message).into_iter().find(|l| l["fields"]["request_id"] == request_id) {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {message:?} line for {request_id} in {:#?}", self.logs());
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("the process can be checked").is_none()
    }

    /// Waits (at most `within`) for the process to exit and for its last log line; its exit code.
    pub async fn exited(&mut self, within: Duration) -> Option<i32> {
        let status = tokio::time::timeout(within, self.child.wait()).await.expect("the function exits in time");
        tokio::time::timeout(within, &mut self.reader).await.expect("stdout closes").unwrap();
        status.unwrap().code()
    }
}
