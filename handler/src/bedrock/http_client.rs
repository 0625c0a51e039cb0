//! The HTTPS client Bedrock's calls go through ([`bedrock`]): hyper 1 through hyper-util's
//! pooling client, hyper-rustls and rustls with ring, over a [`QuickAckStream`] (why: `quick_ack`).
//! With the `local-profiles` feature, the same stack is also an SDK HTTP client for aws-config's
//! credential providers that call out ([`sdk`]).
//!
//! Kept from aws-smithy-http-client 1.5.2's client (`Builder::build_https`, source read
//! 2026-11-29), which the SDK used before: rustls with ring, the SDK's cipher suites and TLS
//! 1.2/1.3; ALPN `h2` and `http/1.1` (HTTP/2 when the server picks it, plain HTTP for `http://`
//! endpoints such as the emulator); TCP_NODELAY; pooled connections reused, idle ones closed after
//! hyper-util's 90 s; the connect timeout (DNS, TCP and TLS; the SDK's default is 3.1 s); which
//! failures are worth another attempt ([`is_transient`], the SDK's classification). Changed: the
//! roots are Mozilla's, compiled in, not the system's store read at cold start ([`trusted_roots`]).
//! Not kept, because the handler uses neither: proxies (the SDK's client, as the handler built it,
//! ignored `HTTPS_PROXY` too) and the SDK's client-metrics timing of each HTTP attempt.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::retry::ErrorKind;
use bytes::Bytes;
use http::Uri;
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::crypto::CryptoProvider;
use tower_service::Service;

use super::quick_ack::{QuickAckConnector, QuickAckStream};

#[cfg(feature = "local-profiles")]
pub(super) mod sdk;

/// The SDK's connect timeout (aws-smithy-runtime 1.16 `DEFAULT_CONNECT_TIMEOUT`, the default for
/// clients of behavior version 2026-01-12 and later): DNS, TCP and TLS together.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// Bedrock's HTTPS client: a pool whose connection every call of one [`super::Client`] reuses.
pub(super) type Http = hyper_util::client::legacy::Client<ConnectTimeout, Full<Bytes>>;

/// A pool for Bedrock's calls, with the SDK's connect timeout and, as the SDK had it for this
/// client, no read timeout (the request's deadline bounds the wait instead).
pub(super) fn bedrock() -> Http {
    hyper_client(&tls_config(), Some(CONNECT_TIMEOUT))
}

/// Whether a request that got no answer is worth another attempt, as the SDK's client classified
/// it (aws-smithy-http-client 1.5.2 `downcast_error`, and the SDK retrying timeouts, I/O errors
/// and transient errors): a timeout, a connection that could not be made or was closed, an
/// incomplete message, an HTTP/2 GOAWAY or refused stream; not a request hyper refused to send.
pub(super) fn is_transient(error: &hyper_util::client::legacy::Error) -> bool {
    let kind = kind_of(error)("no answer".into());
    kind.is_timeout() || kind.is_io() || kind.as_other() == Some(ErrorKind::TransientError)
}

/// rustls with ring, the cipher suites aws-smithy-http-client 1.5 allows, and the roots of
/// [`trusted_roots`], built once per process: the Bedrock client, aws-config's loads (with
/// `local-profiles`) and each
/// [`crate::aws::Service`] (the budget's alarm, the prompt parameter) all ask for it at cold start.
/// A clone shares the roots and the provider (`Arc`s).
pub(crate) fn tls_config() -> rustls::ClientConfig {
    static BUILT: OnceLock<rustls::ClientConfig> = OnceLock::new();
    BUILT.get_or_init(|| build_tls_config(trusted_roots())).clone()
}

fn build_tls_config(roots: rustls::RootCertStore) -> rustls::ClientConfig {
    use rustls::CipherSuite::*;
    const SUITES: [rustls::CipherSuite; 7] = [
        TLS13_AES_256_GCM_SHA384,
        TLS13_AES_128_GCM_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let ring = rustls::crypto::ring::default_provider();
    let cipher_suites = ring.cipher_suites.iter().filter(|s| SUITES.contains(&s.suite())).copied().collect();
    let provider = CryptoProvider { cipher_suites, ..ring };
    rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("ring has cipher suites for TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Mozilla's roots, as webpki-roots (its version in Cargo.lock) carries them: a copy of borrowed
/// slices, no parsing.
fn compiled_in_roots() -> rustls::RootCertStore {
    rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

/// The variables that name other roots, as OpenSSL reads them: a PEM file, and `:`-separated
/// directories of PEM files.
const ROOTS_NAMED_BY: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];

/// The roots a server's certificate must chain to: Mozilla's root program as `webpki-roots`
/// compiles it in, or, when `SSL_CERT_FILE` or `SSL_CERT_DIR` is set, the certificates they name
/// **instead** (read by rustls-native-certs 0.8: how a deployment behind a TLS-inspecting proxy
/// trusts its CA, and how `tests/tls.rs` trusts its own).
///
/// Compiled in rather than the system's store: the roots are already trust anchors (parsed when
/// webpki-roots was generated), so cold start reads no file and parses no certificate; reading and
/// decoding the system's bundle was 3.27 M instructions, more than half of what the handler ran
/// before its first `next` (docs/performance.md, step 8). Bedrock's endpoints chain to Amazon Trust
/// Services' roots, which Mozilla's program includes; what else differs from the Lambda image's
/// store, and how the set is updated: docs/security.md, "Which certificates it trusts".
fn trusted_roots() -> rustls::RootCertStore {
    if !ROOTS_NAMED_BY.iter().any(|name| std::env::var_os(name).is_some()) {
        return compiled_in_roots();
    }
    let named = rustls_native_certs::load_native_certs();
    if !named.errors.is_empty() {
        let errors: Vec<String> = named.errors.iter().map(ToString::to_string).collect();
        tracing::warn!(?errors, "some of the root certificates SSL_CERT_FILE / SSL_CERT_DIR name could not be loaded");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (valid, _) = roots.add_parsable_certificates(named.certs);
    if valid == 0 {
        tracing::warn!("SSL_CERT_FILE / SSL_CERT_DIR name no root certificate: HTTPS calls to Bedrock will fail");
    }
    roots
}

/// hyper-util's pooling client over TLS (or plain TCP for `http://`) on a quick-ACK stream, with
/// `connect` around DNS, TCP and TLS.
fn hyper_client<B>(
    tls: &rustls::ClientConfig,
    connect: Option<Duration>,
) -> hyper_util::client::legacy::Client<ConnectTimeout, B>
where
    B: http_body::Body + Send + 'static + Unpin,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut tcp = TcpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(QuickAckConnector(tcp));
    hyper_util::client::legacy::Builder::new(TokioExecutor::new())
        // Without a timer the pool never closes idle connections.
        .pool_timer(TokioTimer::new())
        .build(ConnectTimeout { https, limit: connect })
}

/// A connect or read timeout ran out (the SDK client's wording).
#[derive(Debug, thiserror::Error)]
#[error("{stage} timeout occurred after {limit:?}")]
struct TimedOut {
    stage: &'static str,
    limit: Duration,
}

/// The connector with the SDK's connect timeout around DNS, TCP and TLS together.
#[derive(Clone)]
pub(super) struct ConnectTimeout {
    https: HttpsConnector<QuickAckConnector>,
    limit: Option<Duration>,
}

impl Service<Uri> for ConnectTimeout {
    type Response = MaybeHttpsStream<QuickAckStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let connecting = self.https.call(destination);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                Some(limit) => tokio::time::timeout(limit, connecting)
                    .await
                    .map_err(|_| TimedOut { stage: "HTTP connect", limit })?,
                None => connecting.await,
            }
        })
    }
}

fn kind_of(error: &hyper_util::client::legacy::Error) -> fn(BoxError) -> ConnectorError {
    let connect_failed = error.is_connect();
    let error: &(dyn Error + 'static) = error;
    if chain(error).any(|e| e.is::<TimedOut>()) {
        return ConnectorError::timeout;
    }
    if let Some(hyper) = chain(error).find_map(|e| e.downcast_ref::<hyper::Error>()) {
        return classify_hyper(hyper);
    }
    if connect_failed || chain(error).any(|e| e.is::<std::io::Error>()) {
        return ConnectorError::io;
    }
    |error| ConnectorError::other(error, None)
}

fn classify_hyper(error: &hyper::Error) -> fn(BoxError) -> ConnectorError {
    if error.is_timeout() {
        return ConnectorError::timeout;
    }
    if error.is_user() {
        return ConnectorError::user;
    }
    if error.is_closed() || error.is_canceled() || chain(error).any(|e| e.is::<std::io::Error>()) {
        return ConnectorError::io;
    }
    if error.is_incomplete_message() {
        return |error| ConnectorError::other(error, Some(ErrorKind::TransientError));
    }
    let refused = chain(error)
        .find_map(|e| e.downcast_ref::<h2::Error>())
        .is_some_and(|h2| h2.is_go_away() || (h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM)));
    if refused {
        return ConnectorError::io;
    }
    |error| ConnectorError::other(error, None)
}

/// `error` and its sources.
fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&e| e.source())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// Bedrock's endpoints present Amazon Trust Services certificates: Amazon Root CA 1 to 4, with
    /// Starfield Services Root Certificate Authority - G2 above them ("Repository", Amazon Trust
    /// Services, read 2026-12-07). A webpki-roots update that dropped them would fail here, not in
    /// production.
    #[test]
    fn the_compiled_in_roots_hold_amazon_trust_services_roots() {
        // Each subject's DER, read as text: its names are plain ASCII strings.
        let names: Vec<String> = compiled_in_roots()
            .roots
            .iter()
            .map(|anchor| String::from_utf8_lossy(anchor.subject.as_ref()).into_owned())
            .collect();
        assert!(names.len() > 100, "{} roots", names.len());
        for root in [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
            "Starfield Services Root Certificate Authority - G2",
        ] {
            assert!(names.iter().any(|name| name.contains(root)), "{root} is not among the compiled-in roots");
        }
    }

    /// An HTTP/1.1 server answering 200 to everything; counts the connections it accepts.
    pub(super) async fn counting_server() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let ok = hyper::service::service_fn(|_| async {
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::new(http_body_util::Empty::<bytes::Bytes>::new()),
                    )
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), ok),
                );
            }
        });
        (uri, accepted)
    }

    #[tokio::test]
    async fn bedrock_calls_reuse_one_connection() {
        use http_body_util::BodyExt;
        let (uri, accepted) = counting_server().await;
        let http = bedrock();

        for _ in 0..3 {
            let request = http::Request::post(&uri).body(Full::new(Bytes::from_static(b"{}"))).unwrap();
            let response = http.request(request).await.unwrap();
            assert_eq!(200, response.status().as_u16());
            // Read to its end, as the event stream is: then the connection goes back to the pool.
            response.into_body().collect().await.unwrap();
        }

        assert_eq!(1, accepted.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_refused_bedrock_connection_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);

        let error = bedrock().request(http::Request::post(&uri).body(Full::default()).unwrap()).await.unwrap_err();

        assert!(is_transient(&error), "{error:?}");
    }
}
