//! The TCP connection to Bedrock, with the handler's ACKs sent at once instead of delayed.
//!
//! Why: the handler reuses its Bedrock connection, and after it sends a request soon after
//! receiving the previous response, Linux switches the socket to delayed ACKs (interactive or
//! "pingpong" mode: `tcp_event_data_sent` in net/ipv4/tcp_output.c). A server that leaves Nagle's
//! algorithm on then holds its second small write (the first event frame after the response
//! headers) until our delayed ACK arrives, ~40 ms later (issue 8 item 7, measured by `just bench`).
//! `TCP_QUICKACK` (tcp(7)) leaves that mode, so every segment is ACKed when the handler reads it;
//! the kernel only re-enters the mode when the socket sends data, so the option is re-armed at the
//! first read after each write: one `setsockopt` per request on HTTP/1.1 (HTTP/2's own frames,
//! such as WINDOW_UPDATE, re-arm it as they go). Linux only (Lambda runs Linux); elsewhere the
//! stream is the plain TCP stream.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

/// Opens TCP connections through hyper-util's [`HttpConnector`] and hands them out as
/// [`QuickAckStream`]s.
#[derive(Debug, Clone)]
pub(super) struct QuickAckConnector(pub(super) HttpConnector);

/// A TCP stream that re-arms `TCP_QUICKACK` at the first read after each write.
#[derive(Debug)]
pub(super) struct QuickAckStream {
    tcp: TokioIo<TcpStream>,
    /// Data was written since the option was last armed, so the kernel may be delaying ACKs again.
    wrote: bool,
}

impl Service<Uri> for QuickAckConnector {
    type Response = QuickAckStream;
    type Error = <HttpConnector as Service<Uri>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<QuickAckStream, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let connecting = self.0.call(destination);
        // A new connection starts in the kernel's quick-ACK mode; nothing to arm until a write.
        Box::pin(async move { Ok(QuickAckStream { tcp: connecting.await?, wrote: false }) })
    }
}

impl QuickAckStream {
    fn arm_if_written(&mut self) {
        if std::mem::take(&mut self.wrote) {
            arm(self.tcp.inner());
        }
    }

    fn note_write(&mut self, written: &Poll<io::Result<usize>>) {
        if matches!(written, Poll::Ready(Ok(n)) if *n > 0) {
            self.wrote = true;
        }
    }
}

#[cfg(target_os = "linux")]
fn arm(tcp: &TcpStream) {
    // A failure costs only the delay this avoids, so the read goes on.
    if let Err(error) = socket2::SockRef::from(tcp).set_tcp_quickack(true) {
        tracing::debug!(%error, "TCP_QUICKACK on the Bedrock connection failed");
    }
}

#[cfg(not(target_os = "linux"))]
fn arm(_: &TcpStream) {}

impl Read for QuickAckStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.arm_if_written();
        Pin::new(&mut this.tcp).poll_read(cx, buf)
    }
}

impl Write for QuickAckStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.tcp).poll_write(cx, buf);
        this.note_write(&written);
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        this.note_write(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

impl Connection for QuickAckStream {
    fn connected(&self) -> Connected {
        self.tcp.connected()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use socket2::SockRef;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A connection through the connector, put into delayed-ACK mode the way a reused connection
    /// gets there; the server end is kept open and never writes, so no ACK of ours is pending and
    /// no delayed-ACK timer can change the mode behind the test's back.
    async fn connection_delaying_acks() -> (TokioIo<QuickAckStream>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri: Uri = format!("http://{}", listener.local_addr().unwrap()).parse().unwrap();
        let stream = QuickAckConnector(HttpConnector::new()).call(uri).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        SockRef::from(stream.tcp.inner()).set_tcp_quickack(false).unwrap();
        (TokioIo::new(stream), server)
    }

    /// `getsockopt(TCP_QUICKACK)`: true when the socket ACKs at once.
    fn acks_at_once(stream: &TokioIo<QuickAckStream>) -> bool {
        SockRef::from(stream.inner().tcp.inner()).tcp_quickack().unwrap()
    }

    /// One poll of a read with nothing to read: the read attempt itself, as hyper makes it after
    /// sending a request.
    fn try_read(stream: &mut TokioIo<QuickAckStream>) {
        let mut buf = [0; 16];
        assert!(stream.read(&mut buf).now_or_never().is_none(), "nothing was sent to read");
    }

    #[tokio::test]
    async fn a_read_after_a_write_switches_the_socket_to_immediate_acks() {
        let (mut stream, _server) = connection_delaying_acks().await;
        stream.write_all(b"POST /model/m/converse-stream").await.unwrap();
        assert!(!acks_at_once(&stream), "writing alone does not arm the option");

        try_read(&mut stream);

        assert!(acks_at_once(&stream));
    }

    #[tokio::test]
    async fn reads_without_a_write_leave_the_socket_alone() {
        let (mut stream, _server) = connection_delaying_acks().await;

        try_read(&mut stream);

        assert!(!acks_at_once(&stream), "one setsockopt per request, not one per read");
    }
}
