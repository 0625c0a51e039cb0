//! The Lambda runtime loop: lambda_runtime polls the Runtime API (`GET …/invocation/next`), each
//! event becomes one [`Request`](crate::service::Request) ([`lambda::request`]) the [`App`] answers, and the answer streams
//! back (`POST …/invocation/{id}/response`) as lambda_runtime's streamed response.
//!
//! What lambda_runtime 1.5 does not do, and this module adds:
//! - Survive a failed `/response` post. The runtime returns the post's error from its run loop,
//!   so a Runtime API connection that breaks mid-response (a caller leaving, as a Runtime API may
//!   report it) ended the process: on Lambda a `Runtime.ExitError` and a cold start for the next
//!   request. [`Survive`], layered around the runtime's own service (`Runtime::layer`, the hook it
//!   offers), logs the failure and lets the loop go back to `/next`.
//! - Retry `/next`. Its failures still end the runtime's loop; [`serve`] starts the loop again,
//!   with backoff, and gives up only after [`NEXT_ATTEMPTS`] failures in a row with no invocation
//!   in between.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Response, header};
use http_body_util::BodyDataStream;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{LambdaEvent, LambdaInvocation, MetadataPrelude, Runtime, StreamResponse, service_fn};

use crate::caller::Caller;
use crate::lambda::{self, Event, Refused, utf8_lossy};
use crate::service::{App, Body, Invocation};

/// Failed `/next` polls in a row (no invocation between them) before the process gives up.
pub const NEXT_ATTEMPTS: u32 = 5;
/// The wait after the first failed poll; doubled after each further one (0.1 + 0.2 + 0.4 + 0.8 s
/// before the fifth and last attempt).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

type BoxError = lambda_runtime::Error;
/// What the runtime streams back for one invocation.
type Answer = StreamResponse<BodyDataStream<Body>>;

/// The Runtime API kept failing `/next`; the error of the last attempt, with its sources.
#[derive(Debug, thiserror::Error)]
#[error("GET /next failed {attempts} times in a row; the last error: {last}")]
pub struct NextFailed {
    pub attempts: u32,
    pub last: String,
}

/// Serves invocations until `/next` fails [`NEXT_ATTEMPTS`] times in a row. Reads the Runtime
/// API's address and the function's settings from Lambda's environment, as lambda_runtime does
/// (it panics when `AWS_LAMBDA_RUNTIME_API` or `AWS_LAMBDA_FUNCTION_NAME` is missing).
pub async fn serve(app: &'static App) -> Result<(), NextFailed> {
    let received = Arc::new(AtomicU64::new(0));
    let mut failures = 0;
    loop {
        let before = received.load(Ordering::Relaxed);
        let handler = service_fn(move |event: LambdaEvent<Event>| invoke(app, event));
        let runtime = Runtime::new(handler).layer(SurviveLayer { received: received.clone() });
        // The loop only ends when a `/next` poll (or reading its answer) failed.
        let Err(error) = runtime.run().await else { return Ok(()) };
        failures = if received.load(Ordering::Relaxed) == before { failures + 1 } else { 1 };
        if failures >= NEXT_ATTEMPTS {
            return Err(NextFailed { attempts: failures, last: chain(&*error) });
        }
        let backoff = FIRST_BACKOFF * 2u32.pow(failures - 1);
        tracing::warn!(
            error = %chain(&*error),
            attempt = failures,
            retry_in_ms = backoff.as_millis() as u64,
            "GET /next from the Lambda Runtime API failed; polling again"
        );
        tokio::time::sleep(backoff).await;
    }
}

/// One invocation: the event as a request, answered by the app; an event that is not a readable
/// request is refused with a JSON error like any bad request.
async fn invoke(app: &'static App, event: LambdaEvent<Event>) -> Result<Answer, Infallible> {
    let LambdaEvent { payload, context } = event;
    let invocation =
        Invocation { request_id: context.request_id, deadline_ms: Some(context.deadline), caller: Caller::default() };
    let response = match lambda::request(payload, invocation) {
        Ok(request) => app.handle(request).await,
        Err(refused) => {
            let Refused { error, invocation } = *refused;
            app.refuse(error, &invocation)
        }
    };
    Ok(streamed(response))
}

/// The handler's response as lambda_runtime streams it: status and headers go in the prelude
/// (`Set-Cookie` headers as its `cookies`, which is how Function URLs set cookies), then the
/// body's data frames, each sent as it is produced.
fn streamed<B: http_body::Body>(response: Response<B>) -> StreamResponse<BodyDataStream<B>> {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|cookie| String::from_utf8_lossy(cookie.as_bytes()).into_owned())
        .collect();
    headers.remove(header::SET_COOKIE);
    StreamResponse {
        metadata_prelude: MetadataPrelude { status_code: parts.status, headers, cookies },
        stream: BodyDataStream::new(body),
    }
}

/// Wraps the runtime's service (which answers one invocation and posts the answer) in [`Survive`].
struct SurviveLayer {
    received: Arc<AtomicU64>,
}

impl<S> Layer<S> for SurviveLayer {
    type Service = Survive<S>;

    fn layer(&self, inner: S) -> Survive<S> {
        Survive { inner, received: self.received.clone() }
    }
}

/// Counts invocations, hands lambda_runtime only UTF-8 event bytes (see [`utf8_lossy`]), and turns a failure to post an invocation's answer into a log
/// line, so the runtime's loop polls `/next` again instead of ending.
struct Survive<S> {
    inner: S,
    received: Arc<AtomicU64>,
}

impl<S> Service<LambdaInvocation> for Survive<S>
where
    S: Service<LambdaInvocation, Response = (), Error = BoxError>,
    S::Future: 'static,
{
    type Response = ();
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<(), BoxError>>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        self.received.fetch_add(1, Ordering::Relaxed);
        let request_id = invocation.context.request_id.clone();
        invocation.body = utf8_lossy(invocation.body);
        let answered = self.inner.call(invocation);
        Box::pin(async move {
            if let Err(error) = answered.await {
                tracing::error!(
                    request_id = %request_id,
                    error = %chain(&*error),
                    "the response could not be posted to the Lambda Runtime API; serving the next invocation"
                );
            }
            Ok(())
        })
    }
}

/// An error with its sources ("client error (SendRequest): connection closed before message
/// completed"): hyper's top-level messages alone do not say what broke.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn set_cookie_headers_travel_in_the_prelude_as_cookies() {
        let response = Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .header("set-cookie", "a=1")
            .body(http_body_util::Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let prelude = streamed(response).metadata_prelude;
        assert_eq!((prelude.status_code.as_u16(), prelude.cookies), (201, vec!["a=1".to_owned()]));
        assert!(prelude.headers.get("set-cookie").is_none());
        assert_eq!(prelude.headers["content-type"], "application/json");
    }
}
