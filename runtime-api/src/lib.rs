//! A Lambda Runtime API of our own, for `just bench` and the handler's tests: a plain HTTP/1.1
//! server on `127.0.0.1` that a function's runtime client polls through `AWS_LAMBDA_RUNTIME_API`.
//!
//! - `GET /2018-06-01/runtime/invocation/next` hands out a queued event, its bytes exactly as
//!   given (so a test can send events Lambda would never build), with Lambda's headers:
//!   `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms` (now + 60 s), `-Invoked-Function-Arn` and
//!   `-Trace-Id`.
//! - `POST …/{id}/response` is read frame by frame, each data frame stamped with an [`Instant`]
//!   as it arrives; `…/{id}/error` and `/init/error` record what the function reported.
//! - On request it breaks connections the way a Runtime API does when things go wrong: it closes
//!   a `/response` connection after a few body chunks ([`RuntimeApi::invoke_and_cut`]), or
//!   closes `/next` connections unanswered ([`RuntimeApi::fail_next`]).
//!
//! [`api_gateway::rest_proxy_event`] builds the event an API Gateway REST API would hand the
//! function for an HTTP request, for tests and local stand-ins of a gateway.
//!
//! Like Lambda's own, accepted sockets keep Nagle's algorithm and delayed ACKs (no
//! `TCP_NODELAY`), so the function's runtime client meets the TCP behaviour it meets in Lambda.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use runtime_api_standin::{Answer, RuntimeApi};
//!
//! let api = RuntimeApi::start().await?;
//! // ... start the function with AWS_LAMBDA_RUNTIME_API=api.addr() ...
//! let invocation = api.invoke(r#"{"version":"2.0"}"#.into()).await;
//! if let Answer::Streamed(response) = invocation.answer {
//!     println!("{} frames", response.frames.len());
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

pub mod api_gateway;

const PREFIX: &str = "/2018-06-01/runtime";
/// What Lambda would give the function as its remaining time.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
/// The function's ARN in every invocation's headers.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:bedrock-streamer";
/// The 8 NUL bytes a streamed response puts between its JSON prelude and its body.
pub const SEPARATOR: [u8; 8] = [0; 8];

/// One invocation as the Runtime API saw it.
#[derive(Debug)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// Just before the `next` response carrying the event was handed to the connection.
    pub delivered: Instant,
    pub answer: Answer,
}

/// How an invocation ended; `S` is the streamed response, as received ([`Streamed`]) or as a
/// caller made it into something else ([`Answer::and_then`]).
#[derive(Debug)]
pub enum Answer<S = Streamed> {
    /// A streamed `/response` that ran to its end.
    Streamed(S),
    /// The function posted to `…/{id}/error` (what a Function URL's caller sees as a bare 502),
    /// or its `/response` body broke; the report, or what broke.
    Error(String),
    /// The Runtime API closed the `/response` connection after this many body chunks.
    Cut { chunks: usize },
}

impl<S: std::fmt::Debug> Answer<S> {
    /// The streamed response; panics, showing the answer, if the invocation ended otherwise.
    pub fn streamed(self) -> S {
        match self {
            Answer::Streamed(streamed) => streamed,
            other => panic!("expected a streamed response, got {other:?}"),
        }
    }

    /// The streamed response made into another answer by `f` (e.g. parsed); the other answers as
    /// they are.
    pub fn and_then<T>(self, f: impl FnOnce(S) -> Answer<T>) -> Answer<T> {
        match self {
            Answer::Streamed(streamed) => f(streamed),
            Answer::Error(report) => Answer::Error(report),
            Answer::Cut { chunks } => Answer::Cut { chunks },
        }
    }
}

/// A streamed `/response` as it arrived.
#[derive(Debug)]
pub struct Streamed {
    /// When the request's headers arrived.
    pub began: Instant,
    /// The body's data frames, each with its arrival time: prelude, separator and body, however
    /// the function's runtime client split them.
    pub frames: Vec<(Instant, Bytes)>,
    /// When the body ended.
    pub ended: Instant,
}

impl Streamed {
    /// The whole body, frames joined.
    pub fn bytes(&self) -> Vec<u8> {
        self.frames.iter().flat_map(|(_, data)| data.iter().copied()).collect()
    }
}

/// Where the 8-NUL separator starts in a streamed body: JSON escapes control characters, so the
/// first run of 8 NULs after a non-empty prelude is it.
pub fn separator(body: &[u8]) -> Option<usize> {
    body.windows(SEPARATOR.len()).position(|w| w == SEPARATOR).filter(|&at| at > 0)
}

pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    queue: mpsc::UnboundedSender<Queued>,
    /// Behind an async lock because a `next` long poll holds it while it waits for an event.
    pending: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    /// The first `next` poll's time, or the `/init/error` report; set once.
    first_poll: watch::Sender<Option<Result<Instant, String>>>,
    /// How many of the coming `/next` polls get their connection closed unanswered.
    next_failures: AtomicU32,
    polls: AtomicU64,
}

/// Numbers the request ids across every Runtime API of the process, so a function log's lines
/// tell invocations apart.
static INVOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Queued {
    event: Bytes,
    cut_after: Option<usize>,
    done: oneshot::Sender<Invocation>,
}

struct InFlight {
    delivered: Instant,
    cut_after: Option<usize>,
    done: oneshot::Sender<Invocation>,
}

impl RuntimeApi {
    /// Listens on a free port of 127.0.0.1 and serves on the current tokio runtime until dropped.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (queue, pending) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue,
            pending: tokio::sync::Mutex::new(pending),
            in_flight: Mutex::default(),
            first_poll: watch::Sender::new(None),
            next_failures: AtomicU32::new(0),
            polls: AtomicU64::new(0),
        });
        let server = tokio::spawn(serve(listener, shared.clone()));
        Ok(RuntimeApi { addr, shared, server })
    }

    /// What `AWS_LAMBDA_RUNTIME_API` is set to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// When the function first asked for an event, or what it reported to `/init/error`.
    pub async fn first_poll(&self) -> Result<Instant, String> {
        let mut first_poll = self.shared.first_poll.subscribe();
        let polled = first_poll.wait_for(Option::is_some).await.map_err(|_| "the Runtime API stopped".to_owned())?;
        polled.clone().expect("waited for it to be set")
    }

    /// Queues `event` for the function's next poll; the future resolves with the invocation once
    /// it has ended (it waits as long as the function takes: callers bring their own timeout).
    /// The event is queued at once, before the returned future is first polled, so it can be
    /// waiting when the function starts, as Lambda has it waiting when it starts a sandbox for it.
    pub fn invoke(&self, event: Bytes) -> impl Future<Output = Invocation> + use<> {
        self.queue(event, None)
    }

    /// Like [`RuntimeApi::invoke`], but closes the `/response` connection once `chunks` body
    /// chunks (counted after the prelude and separator) have arrived.
    pub fn invoke_and_cut(&self, event: Bytes, chunks: usize) -> impl Future<Output = Invocation> + use<> {
        self.queue(event, Some(chunks))
    }

    /// Closes the connections of the next `polls` `/next` requests without an answer.
    pub fn fail_next(&self, polls: u32) {
        self.shared.next_failures.store(polls, Ordering::SeqCst);
    }

    /// How many `/next` requests have arrived so far.
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::SeqCst)
    }

    fn queue(&self, event: Bytes, cut_after: Option<usize>) -> impl Future<Output = Invocation> + use<> {
        let (done, invocation) = oneshot::channel();
        let queued = self.shared.queue.send(Queued { event, cut_after, done });
        async move {
            // The server owns the queue's receiver and every invocation's sender until the
            // RuntimeApi is dropped, which ends the borrow this future does not hold: a plain
            // panic marks misuse.
            queued.unwrap_or_else(|_| panic!("the Runtime API stopped"));
            invocation.await.expect("the Runtime API was dropped before the invocation ended")
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Accepts connections until aborted; aborting drops the `JoinSet` and every connection with it.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let shared = shared.clone();
                connections.spawn(async move {
                    // A route that wants this connection gone notifies; the connection is then
                    // dropped mid-request, which closes the socket under the function's client.
                    let cut = Arc::new(Notify::new());
                    let route_cut = cut.clone();
                    let service = service_fn(move |request| route(request, shared.clone(), route_cut.clone()));
                    // A killed function closes its connections mid-request: nothing to report.
                    tokio::select! {
                        _closed = http1::Builder::new().serve_connection(TokioIo::new(stream), service) => {}
                        () = cut.notified() => {}
                    }
                });
            }
            Some(_finished) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn route(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    cut: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let response = match (method, segments.as_slice()) {
        (Method::GET, ["", "invocation", "next"]) => next(&shared, &cut).await,
        (Method::POST, ["", "invocation", id, "response"]) => response(&shared, id, request.into_body(), &cut).await,
        (Method::POST, ["", "invocation", id, "error"]) => {
            let report = read_all(request.into_body()).await;
            finish(&shared, id, Answer::Error(report))
        }
        (Method::POST, ["", "init", "error"]) => {
            let report = read_all(request.into_body()).await;
            shared.first_poll.send_if_modified(|first| {
                first.is_none() && {
                    *first = Some(Err(format!("the function failed to initialise: {report}")));
                    true
                }
            });
            status(StatusCode::ACCEPTED)
        }
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(response)
}

/// The long poll: waits for a queued event and hands it out with Lambda's headers.
async fn next(shared: &Shared, cut: &Notify) -> Response<Full<Bytes>> {
    let polled = Instant::now();
    shared.polls.fetch_add(1, Ordering::SeqCst);
    shared.first_poll.send_if_modified(|first| {
        first.is_none() && {
            *first = Some(Ok(polled));
            true
        }
    });
    let failing = shared.next_failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        cut.notify_one();
        std::future::pending::<()>().await;
    }
    let Some(Queued { event, cut_after, done }) = shared.pending.lock().await.recv().await else {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    };
    let n = INVOCATIONS.fetch_add(1, Ordering::Relaxed);
    let id = format!("8f5a1e2c-0000-4000-8000-{n:012x}");
    let deadline = SystemTime::now() + INVOCATION_TIMEOUT;
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).expect("the clock is past 1970").as_millis();
    let response = Response::builder()
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &id)
        .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
        .header("lambda-runtime-invoked-function-arn", FUNCTION_ARN)
        .header("lambda-runtime-trace-id", format!("Root=1-00000000-{n:024x};Parent=0000000000000000;Sampled=0"))
        .body(Full::new(event))
        .expect("static headers are valid");
    let delivered = Instant::now();
    lock(&shared.in_flight).insert(id, InFlight { delivered, cut_after, done });
    response
}

/// Reads the streamed response body frame by frame, timing each frame as it arrives.
async fn response(shared: &Shared, id: &str, mut body: Incoming, cut: &Notify) -> Response<Full<Bytes>> {
    let began = Instant::now();
    let cut_after = lock(&shared.in_flight).get(id).and_then(|i| i.cut_after);
    let mut frames = Vec::new();
    // Only what a cut needs: the bytes so far (to find the separator) and the body chunks after it.
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(frame) = body.frame().await {
        let at = Instant::now();
        // Trailers are how lambda_runtime reports a stream error; a handler whose stream cannot
        // fail sends its error events as data.
        let data = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => data,
                Err(_trailers) => continue,
            },
            Err(error) => return finish(shared, id, Answer::Error(format!("the response body broke: {error}"))),
        };
        if let Some(limit) = cut_after {
            received.extend_from_slice(&data);
            if let Some(at) = separator(&received) {
                chunks += usize::from(received.len() > at + SEPARATOR.len() && !data.is_empty());
                if chunks >= limit {
                    finish(shared, id, Answer::Cut { chunks });
                    cut.notify_one();
                    std::future::pending::<()>().await;
                }
            }
        }
        frames.push((at, data));
    }
    let ended = Instant::now();
    finish(shared, id, Answer::Streamed(Streamed { began, frames, ended }))
}

/// Completes invocation `id` with `answer`.
fn finish(shared: &Shared, id: &str, answer: Answer) -> Response<Full<Bytes>> {
    let Some(in_flight) = lock(&shared.in_flight).remove(id) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let invocation = Invocation { request_id: id.to_owned(), delivered: in_flight.delivered, answer };
    // The invoker may have given up (timeout); then nobody wants the result.
    let _ = in_flight.done.send(invocation);
    status(StatusCode::ACCEPTED)
}

async fn read_all(body: Incoming) -> String {
    match body.collect().await {
        Ok(body) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        Err(error) => format!("(unreadable: {error})"),
    }
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_the_first_run_of_8_nuls_after_a_prelude() {
        assert_eq!(separator(b"{}\0\0\0\0\0\0\0\0body"), Some(2));
        assert_eq!(separator(b"{}\0\0\0\0\0\0\0"), None);
        assert_eq!(separator(b"\0\0\0\0\0\0\0\0"), None, "a prelude comes first");
    }
}
