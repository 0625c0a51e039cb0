//! The emulator's lifecycle: the listening socket and its connections, and the handle tests use
//! to script faults and read what was recorded.

use crate::config::EmulatorConfig;
use crate::exchange::{self, State};
use crate::fault::Fault;
use crate::parameter::ParameterRead;
use crate::record::{RecordedRequest, Recorder};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// A running emulator. Dropping it stops it, like [`Emulator::shutdown`] without the wait.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl Emulator {
    /// Binds the listener and starts serving on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            config,
            script: Mutex::default(),
            recorder: Arc::new(Recorder::default()),
            alarms: Mutex::default(),
            alarm_reads: AtomicUsize::new(0),
            prompt_cache: Default::default(),
            parameters: Mutex::default(),
            parameter_reads: Mutex::default(),
        });
        let server = tokio::spawn(serve(listener, state.clone()));
        Ok(Emulator { addr, state, server })
    }

    /// The base URL to give the SDK as its endpoint, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address actually listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues faults for the next requests, one per `converse-stream` request (each SDK retry
    /// attempt is a request); they take precedence over prompt markers and the default fault.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.script.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(faults);
    }

    /// A copy of every request recorded so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.recorder.snapshot()
    }

    /// How many requests reached the `converse-stream` route.
    pub fn request_count(&self) -> usize {
        self.state.recorder.len()
    }

    /// Sets a CloudWatch alarm's state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) as `DescribeAlarms`
    /// at `POST /` reports it (the SDK's `AWS_ENDPOINT_URL_CLOUDWATCH`); an alarm never set is not
    /// found.
    pub fn set_alarm_state(&self, alarm: &str, state: &str) {
        self.state
            .alarms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(alarm.to_owned(), state.to_owned());
    }

    /// How many `DescribeAlarms` calls arrived.
    pub fn alarm_reads(&self) -> usize {
        self.state.alarm_reads.load(Ordering::SeqCst)
    }

    /// Sets a Parameter Store parameter's value as `GetParameter` at `POST /` answers it (the
    /// SDK's `AWS_ENDPOINT_URL_SSM`); `name` as SSM writes it (`/stories/prompt`, `prompt`), found
    /// by that name or its ARN. A parameter never set is not found (`ParameterNotFound`).
    pub fn set_parameter(&self, name: &str, value: &str) {
        let mut parameters = self.state.parameters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        parameters.values.insert(name.to_owned(), value.to_owned());
    }

    /// Makes `GetParameter` on `name` answer `AccessDeniedException`, as SSM answers a role
    /// without `ssm:GetParameter` on it.
    pub fn deny_parameter(&self, name: &str) {
        let mut parameters = self.state.parameters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        parameters.denied.insert(name.to_owned());
    }

    /// Every `GetParameter` call so far, in arrival order.
    pub fn parameter_reads(&self) -> Vec<ParameterRead> {
        self.state.parameter_reads.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Waits until `f` holds for the recorded requests, re-checking on every recorded change;
    /// returns whether it held before `timeout`.
    pub async fn wait_for<F: Fn(&[RecordedRequest]) -> bool>(&self, timeout: Duration, f: F) -> bool {
        self.state.recorder.wait_for(timeout, f).await
    }

    /// Stops listening and closes every connection, streams in flight included.
    pub async fn shutdown(mut self) {
        self.server.abort();
        // Cancellation is the expected result; the wait makes sure the listener is closed.
        let _cancelled = (&mut self.server).await;
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Accepts connections until aborted; aborting drops the `JoinSet`, which aborts every
/// connection task with it.
async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Each event-stream frame is a small write that must leave at once; Nagle's
                    // algorithm would hold it back waiting for the previous frame's ACK.
                    if !state.config.nagle && let Err(error) = stream.set_nodelay(true) {
                        tracing::warn!("cannot disable Nagle on a connection: {error}");
                    }
                    let state = state.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |request| exchange::handle(request, state.clone()));
                        // HTTP/1.1, or HTTP/2 when the connection opens with its preface (prior
                        // knowledge, h2c). Errors here are the client leaving or an emulated drop:
                        // nothing to report.
                        let builder = auto::Builder::new(TokioExecutor::new());
                        let _closed = builder.serve_connection(TokioIo::new(stream), service).await;
                    });
                }
                Err(error) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_finished) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
