//! A minimal Lambda Runtime API of our own, so that every chunk of the function's streamed
//! response gets a timestamp the moment it arrives. It hands out queued events on
//! `GET /2018-06-01/runtime/invocation/next`, reads the streamed `POST …/{id}/response` frame by
//! frame, and records `…/{id}/error` and `/init/error`.
//!
//! Like Lambda's own, it is a plain HTTP/1.1 server: accepted sockets keep Nagle and delayed
//! ACKs, so the function's runtime client sees the TCP behaviour it would meet in Lambda, stalls
//! included.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

const PREFIX: &str = "/2018-06-01/runtime";
/// What Lambda would give the function as its remaining time.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:bedrock-streamer";

/// One invocation as the Runtime API saw it.
pub struct Invocation {
    /// Just before the `next` response carrying the event was handed to the connection.
    pub delivered: Instant,
    /// When the headers of the function's `POST …/response` arrived.
    pub response_began: Instant,
    /// The response body's data frames, each with its arrival time.
    pub frames: Vec<(Instant, Bytes)>,
    /// When the response body ended.
    pub ended: Instant,
}

type Outcome = Result<Invocation, String>;

pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    queue: mpsc::UnboundedSender<Queued>,
    /// Behind an async lock because a `next` long-poll holds it while it waits for an event.
    pending: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    /// The first `next` poll's time, or the `/init/error` report; set once.
    first_poll: watch::Sender<Option<Result<Instant, String>>>,
}

/// Numbers the request ids across every Runtime API of the run, so the function log's lines tell
/// invocations apart.
static INVOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Queued {
    event: Bytes,
    done: oneshot::Sender<Outcome>,
}

struct InFlight {
    delivered: Instant,
    done: oneshot::Sender<Outcome>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (queue, pending) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue,
            pending: tokio::sync::Mutex::new(pending),
            in_flight: Mutex::default(),
            first_poll: watch::Sender::new(None),
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

    /// Queues `event` for the function's next poll; the future resolves with its whole response.
    /// The event is queued at once, before the returned future is first polled, so it can be
    /// waiting when the function starts, as Lambda has it waiting when it starts a sandbox for it.
    pub fn invoke(&self, event: Bytes) -> impl Future<Output = Outcome> + use<> {
        let (done, outcome) = oneshot::channel();
        let queued = self.shared.queue.send(Queued { event, done });
        async move {
            queued.map_err(|_| "the Runtime API stopped".to_owned())?;
            outcome.await.map_err(|_| "the invocation was dropped (function gone?)".to_owned())?
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
                    let service = service_fn(move |request| route(request, shared.clone()));
                    // A killed function closes its connections mid-request: nothing to report.
                    let _closed = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_finished) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn route(request: Request<Incoming>, shared: Arc<Shared>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let response = match (method, segments.as_slice()) {
        (Method::GET, ["", "invocation", "next"]) => next(&shared).await,
        (Method::POST, ["", "invocation", id, "response"]) => response(&shared, id, request.into_body()).await,
        (Method::POST, ["", "invocation", id, "error"]) => {
            let report = read_all(request.into_body()).await;
            finish(&shared, id, |_| Err(format!("the function reported an error: {report}")))
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
async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    let polled = Instant::now();
    shared.first_poll.send_if_modified(|first| {
        first.is_none() && {
            *first = Some(Ok(polled));
            true
        }
    });
    let Some(Queued { event, done }) = shared.pending.lock().await.recv().await else {
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
    lock(&shared.in_flight).insert(id, InFlight { delivered, done });
    response
}

/// Reads the streamed response body frame by frame, timing each frame as it arrives.
async fn response(shared: &Shared, id: &str, mut body: Incoming) -> Response<Full<Bytes>> {
    let response_began = Instant::now();
    let mut frames = Vec::new();
    let mut failure = None;
    while let Some(frame) = body.frame().await {
        let at = Instant::now();
        match frame {
            // Trailers are how lambda_runtime reports a stream error; the handler's stream cannot
            // fail, and its error events arrive as data.
            Ok(frame) => frames.extend(frame.into_data().ok().map(|data| (at, data))),
            Err(error) => {
                failure = Some(format!("the response body broke: {error}"));
                break;
            }
        }
    }
    let ended = Instant::now();
    finish(shared, id, |delivered| match failure {
        Some(failure) => Err(failure),
        None => Ok(Invocation { delivered, response_began, frames, ended }),
    })
}

/// Completes invocation `id` with what `outcome` makes of its delivery time.
fn finish(shared: &Shared, id: &str, outcome: impl FnOnce(Instant) -> Outcome) -> Response<Full<Bytes>> {
    let Some(in_flight) = lock(&shared.in_flight).remove(id) else {
        return status(StatusCode::BAD_REQUEST);
    };
    // The invoker may have given up (timeout); then nobody wants the result.
    let _ = in_flight.done.send(outcome(in_flight.delivered));
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
