//! A Lambda Runtime API of the tests' own, and the real handler binary polling it. It hands out
//! raw event bytes exactly as given (so a test can send events `cargo lambda watch` would never
//! build), reads the streamed `POST …/{id}/response` (JSON prelude, 8 NUL bytes, body), records
//! `…/{id}/error`, and can break connections the way a Runtime API does when things go wrong:
//! close a `/response` connection after a few body chunks, or close `/next` connections unanswered.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bedrock_emulator::Emulator;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime";
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);

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
    let fields = event.as_object_mut().unwrap();
    for (key, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            fields.remove(key);
        } else {
            fields.insert(key.clone(), value.clone());
        }
    }
    event
}

/// How the Runtime API saw an invocation end.
#[derive(Debug)]
pub enum Answer {
    /// A streamed `/response` that ran to its end.
    Streamed(Streamed),
    /// The function posted to `/error` (what the caller sees as the Function URL's bare 502).
    Error(String),
    /// The Runtime API closed the `/response` connection after this many body chunks.
    Cut { chunks: usize },
}

#[derive(Debug)]
pub struct Streamed {
    /// The prelude's `statusCode`, `headers` and `cookies`.
    pub prelude: Value,
    pub body: Bytes,
}

impl Answer {
    pub fn streamed(self) -> Streamed {
        match self {
            Answer::Streamed(streamed) => streamed,
            other => panic!("expected a streamed response, got {other:?}"),
        }
    }
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

pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    queue: mpsc::UnboundedSender<Queued>,
    pending: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    /// How many of the coming `/next` polls get their connection closed unanswered.
    next_failures: AtomicU32,
    polls: AtomicU64,
}

struct Queued {
    id: String,
    event: Bytes,
    cut_after: Option<usize>,
    done: oneshot::Sender<Answer>,
}

struct InFlight {
    cut_after: Option<usize>,
    done: oneshot::Sender<Answer>,
}

/// Numbers request ids across every Runtime API of the test binary.
static INVOCATIONS: AtomicU64 = AtomicU64::new(0);

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (queue, pending) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue,
            pending: tokio::sync::Mutex::new(pending),
            in_flight: Mutex::default(),
            next_failures: AtomicU32::new(0),
            polls: AtomicU64::new(0),
        });
        let server = tokio::spawn(serve(listener, shared.clone()));
        RuntimeApi { addr, shared, server }
    }

    /// Queues a raw event; resolves with its request id and how its invocation ended (at most
    /// 30 s).
    pub async fn invoke(&self, event: impl Into<Bytes>) -> (String, Answer) {
        self.queue(event.into(), None).await
    }

    /// Like [`RuntimeApi::invoke`], but closes the `/response` connection once `chunks` body
    /// chunks (counted after the prelude and separator) have arrived.
    pub async fn invoke_and_cut(&self, event: impl Into<Bytes>, chunks: usize) -> (String, Answer) {
        self.queue(event.into(), Some(chunks)).await
    }

    /// Closes the connections of the next `polls` `/next` requests without an answer.
    pub fn fail_next(&self, polls: u32) {
        self.shared.next_failures.store(polls, Ordering::SeqCst);
    }

    /// How many `/next` requests have arrived so far.
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::SeqCst)
    }

    async fn queue(&self, event: Bytes, cut_after: Option<usize>) -> (String, Answer) {
        let id = format!("5e1f0a2b-0000-4000-8000-{:012x}", INVOCATIONS.fetch_add(1, Ordering::SeqCst));
        let (done, answer) = oneshot::channel();
        self.shared
            .queue
            .send(Queued { id: id.clone(), event, cut_after, done })
            .unwrap_or_else(|_| panic!("the Runtime API stopped"));
        let answer = tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .expect("the function answers within 30 s")
            .expect("the Runtime API keeps the invocation");
        (id, answer)
    }

    /// The real handler binary with its Runtime API pointed here and Bedrock at `emulator`.
    pub fn function(&self, emulator: &Emulator, settings: &[(&str, &str)]) -> Function {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-streamer"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", self.addr.to_string())
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

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
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

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            // A route that wants this connection gone notifies; the connection is then dropped
            // mid-request, which closes the socket under the function's runtime client.
            let cut = Arc::new(Notify::new());
            let route_cut = cut.clone();
            let service = service_fn(move |request| route(request, shared.clone(), route_cut.clone()));
            tokio::select! {
                _closed = http1::Builder::new().serve_connection(TokioIo::new(stream), service) => {}
                () = cut.notified() => {}
            }
        });
    }
}

async fn route(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    cut: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.strip_prefix(PREFIX).unwrap_or_default().split('/').collect();
    let response = match (request.method().clone(), segments.as_slice()) {
        (Method::GET, ["", "invocation", "next"]) => next(&shared, &cut).await,
        (Method::POST, ["", "invocation", id, "response"]) => response(&shared, id, request.into_body(), &cut).await,
        (Method::POST, ["", "invocation", id, "error"]) => {
            let report = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            finish(&shared, id, Answer::Error(String::from_utf8_lossy(&report).into_owned()))
        }
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(response)
}

async fn next(shared: &Shared, cut: &Notify) -> Response<Full<Bytes>> {
    shared.polls.fetch_add(1, Ordering::SeqCst);
    let failing = shared.next_failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        cut.notify_one();
        std::future::pending::<()>().await;
    }
    let Some(Queued { id, event, cut_after, done }) = shared.pending.lock().await.recv().await else {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    };
    let deadline = (SystemTime::now() + INVOCATION_TIMEOUT).duration_since(UNIX_EPOCH).unwrap().as_millis();
    shared.in_flight.lock().unwrap().insert(id.clone(), InFlight { cut_after, done });
    Response::builder()
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bedrock-streamer",
        )
        .header("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0")
        .body(Full::new(event))
        .unwrap()
}

async fn response(shared: &Shared, id: &str, mut body: Incoming, cut: &Notify) -> Response<Full<Bytes>> {
    let cut_after = shared.in_flight.lock().unwrap().get(id).and_then(|i| i.cut_after);
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return finish(shared, id, Answer::Error("the response body broke".into())) };
        let Ok(data) = frame.into_data() else { continue };
        received.extend_from_slice(&data);
        // The prelude and its separator may come in their own chunks; count the body's.
        if let Some(at) = separator(&received) {
            chunks += usize::from(received.len() > at + 8 && !data.is_empty());
            if cut_after.is_some_and(|limit| chunks >= limit) {
                finish(shared, id, Answer::Cut { chunks });
                cut.notify_one();
                std::future::pending::<()>().await;
            }
        }
    }
    let Some(at) = separator(&received) else {
        return finish(shared, id, Answer::Error(format!("no prelude in {:?}", String::from_utf8_lossy(&received))));
    };
    let prelude = serde_json::from_slice(&received[..at]).expect("the prelude is JSON");
    let body = Bytes::copy_from_slice(&received[at + 8..]);
    finish(shared, id, Answer::Streamed(Streamed { prelude, body }))
}

fn separator(received: &[u8]) -> Option<usize> {
    received.windows(8).position(|w| w == [0; 8])
}

fn finish(shared: &Shared, id: &str, answer: Answer) -> Response<Full<Bytes>> {
    if let Some(in_flight) = shared.in_flight.lock().unwrap().remove(id) {
        let _ = in_flight.done.send(answer);
    }
    status(StatusCode::ACCEPTED)
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
