//! The accept loop: each connection served by hyper (HTTP/1.1) on a task of its own, with the
//! limits that keep one misbehaving client from taking the playground down: a failed `accept()`
//! (out of file descriptors, say) is logged and retried after a short back-off, a request head
//! must arrive within [`HEAD_TIMEOUT`], and at most `max_connections` are open at once (the next
//! waits in the kernel's queue until one closes).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::proxy::Playground;

/// How long a client may take to send a whole request head, and how long a kept-alive connection
/// may sit idle before its next one.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The default cap on open connections: far more than a browser opens (six per host), far fewer
/// than the usual 1,024 file descriptors (each connection may hold a second, to the Function URL).
pub const DEFAULT_MAX_CONNECTIONS: usize = 128;

/// The first wait after a failed `accept()`, doubled on each failure in a row up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    playground: Arc<Playground>,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(max_connections));
    let mut backoff = FIRST_BACKOFF;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = async {
                let permit = open.clone().acquire_owned().await.expect("the semaphore is never closed");
                (permit, listener.accept().await)
            } => accepted,
            () = &mut shutdown => return,
        };
        let (permit, stream) = match accepted {
            (permit, Ok((stream, _))) => (permit, stream),
            (_, Err(error)) => {
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "accept failed; serving on");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = FIRST_BACKOFF;
        // Stories arrive in small chunks: each is passed on at once.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        let playground = playground.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let playground = playground.clone();
                async move { Ok::<_, Infallible>(playground.handle(req).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
}
