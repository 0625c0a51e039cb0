//! The HTTP client the SDK sends Bedrock calls through: the stack of aws-smithy-http-client 1.5's
//! HTTPS client (hyper 1 through hyper-util's pooling client, hyper-rustls, rustls with ring),
//! assembled here because that crate has no hook for wrapping its TCP stream, and the stream must
//! be a [`QuickAckStream`] (why: `quick_ack`).
//!
//! Kept from the SDK's client (aws-smithy-http-client 1.5.2 `Builder::build_https`, source read
//! 2026-11-29): rustls with ring, the SDK's cipher suites and TLS 1.2/1.3, the system's root
//! certificates loaded once at cold start; ALPN `h2` and `http/1.1` (HTTP/2 when the server picks
//! it, plain HTTP for `http://` endpoints such as the emulator); TCP_NODELAY; pooled connections
//! reused, idle ones closed after hyper-util's 90 s; the connect timeout (DNS, TCP and TLS; the
//! SDK's default is 3.1 s) and read timeout (until the response headers) from the SDK's settings;
//! the SDK's classification of failures (timeout, I/O, user, other), which decides its retries;
//! and the connection handle its retry logic uses to drop a connection after a transient error.
//! Not kept, because the handler uses neither: proxies (the SDK's client, as the handler built
//! it, ignored `HTTPS_PROXY` too) and the SDK's client-metrics timing of each HTTP attempt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{Extensions, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{
    CaptureConnection, HttpConnector as TcpConnector, HttpInfo, capture_connection,
};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use tower_service::Service;

use super::quick_ack::{QuickAckConnector, QuickAckStream};

/// The SDK's client for [`aws_config`] and the Bedrock client: one TLS configuration, and one
/// connection pool per distinct pair of timeouts (in practice one).
pub(crate) fn shared() -> SharedHttpClient {
    SharedHttpClient::new(Client { tls: tls_config(), connectors: Mutex::default() })
}

#[derive(Debug)]
struct Client {
    tls: rustls::ClientConfig,
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Timeouts {
    connect: Option<Duration>,
    read: Option<Duration>,
}

impl HttpClient for Client {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = Timeouts { connect: settings.connect_timeout(), read: settings.read_timeout() };
        // The SDK asks for a connector on every attempt; the pool lives in the connector.
        let mut connectors = self.connectors.lock().unwrap_or_else(PoisonError::into_inner);
        connectors
            .entry(timeouts)
            .or_insert_with(|| SharedHttpConnector::new(Connector::new(&self.tls, timeouts)))
            .clone()
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        // What the SDK's own client reports (it goes into the user agent).
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

/// rustls with ring, the cipher suites aws-smithy-http-client 1.5 allows, and the roots of
/// [`system_roots`], built once per process: the Bedrock client, aws-config's loads and each
/// [`crate::aws::Service`] (the budget's alarm, the prompt parameter) all ask for it at cold start,
/// and reading the bundle is most of the handler's instructions before its first `next`
/// (docs/performance.md, step 8). A clone shares the roots and the provider (`Arc`s).
pub(crate) fn tls_config() -> rustls::ClientConfig {
    static BUILT: OnceLock<rustls::ClientConfig> = OnceLock::new();
    BUILT.get_or_init(build_tls_config).clone()
}

fn build_tls_config() -> rustls::ClientConfig {
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

    let system = system_roots();
    if !system.errors.is_empty() {
        tracing::warn!(errors = ?system.errors, "some of the system's root certificates could not be loaded");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (valid, _) = roots.add_parsable_certificates(system.certs);
    if valid == 0 {
        tracing::warn!("no root certificates found: HTTPS calls to Bedrock will fail");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("ring has cipher suites for TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Root certificates as read, and what could not be read.
#[derive(Debug, Default)]
struct Roots {
    certs: Vec<CertificateDer<'static>>,
    errors: Vec<String>,
}

/// The system's root certificates from its bundle file, or those `SSL_CERT_FILE` /
/// `SSL_CERT_DIR` name instead (how a deployment trusts a corporate CA, and how `tests/tls.rs`
/// trusts its own).
///
/// Not `rustls_native_certs::load_native_certs()` as such: with neither variable set it reads the
/// bundle file *and* every file of the hashed directory beside it (`/etc/ssl/certs`: ~150 opens and
/// ~300 stats at cold start, for the same certificates), rustls-native-certs 0.8.5 and
/// openssl-probe 0.2.2 sources, read 2026-12-07. The bundle is found by openssl-probe's list of the
/// distributions' bundle files (Debian's `/etc/ssl/certs/ca-certificates.crt`; the Fedora-family
/// `ca-trust` one, `/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem`, as on Amazon Linux 2023);
/// only on a system with no bundle file is the directory read.
fn system_roots() -> Roots {
    let named = ["SSL_CERT_FILE", "SSL_CERT_DIR"].iter().any(|name| std::env::var_os(name).is_some());
    match openssl_probe::probe().cert_file {
        Some(bundle) if !named => bundle_roots(&bundle),
        _ => {
            let native = rustls_native_certs::load_native_certs();
            Roots { certs: native.certs, errors: native.errors.iter().map(ToString::to_string).collect() }
        }
    }
}

fn bundle_roots(bundle: &std::path::Path) -> Roots {
    match std::fs::read_to_string(bundle) {
        Ok(pem) => {
            let mut roots = pem_certificates(&pem);
            // A certificate listed twice is trusted once, as rustls-native-certs does.
            roots.certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
            roots.certs.dedup();
            roots
        }
        Err(error) => Roots { certs: Vec::new(), errors: vec![format!("{}: {error}", bundle.display())] },
    }
}

/// The `CERTIFICATE` sections of a PEM bundle, decoded with the `base64` crate. Not through
/// rustls-native-certs' reader (rustls-pki-types 1.16's PEM parser): it reads the file a byte at a
/// time and decodes with its own base64 decoder, built to resist side channels for private keys;
/// for Debian's 220 KB bundle that was half of the instructions the handler ran before its first
/// `next` (docs/performance.md, step 7). Root certificates are public.
fn pem_certificates(pem: &str) -> Roots {
    let mut roots = Roots::default();
    let mut body = String::new();
    let mut inside = false;
    for line in pem.lines().map(str::trim) {
        match line {
            "-----BEGIN CERTIFICATE-----" => {
                inside = true;
                body.clear();
            }
            "-----END CERTIFICATE-----" if inside => {
                inside = false;
                match BASE64.decode(&body) {
                    Ok(der) => roots.certs.push(CertificateDer::from(der)),
                    Err(error) => roots.errors.push(format!("a certificate that is not base64: {error}")),
                }
            }
            _ if inside => body.push_str(line),
            _ => {}
        }
    }
    if inside {
        roots.errors.push("the last certificate has no END line".to_owned());
    }
    roots
}

/// One pool of connections with one pair of timeouts.
struct Connector {
    hyper: hyper_util::client::legacy::Client<ConnectTimeout, SdkBody>,
    read_timeout: Option<Duration>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").field("read_timeout", &self.read_timeout).finish_non_exhaustive()
    }
}

impl Connector {
    fn new(tls: &rustls::ClientConfig, timeouts: Timeouts) -> Connector {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(QuickAckConnector(tcp));
        let hyper = hyper_util::client::legacy::Builder::new(TokioExecutor::new())
            // Without a timer the pool never closes idle connections.
            .pool_timer(TokioTimer::new())
            .build(ConnectTimeout { https, limit: timeouts.connect });
        Connector { hyper, read_timeout: timeouts.read }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(error) => return HttpConnectorFuture::ready(Err(ConnectorError::user(error.into()))),
        };
        let connection = capture_connection(&mut request);
        if let Some(sdk) = request.extensions().get::<CaptureSmithyConnection>() {
            sdk.set_connection_retriever(move || connection_metadata(&connection));
        }
        let responding = self.hyper.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, responding)
                    .await
                    .map_err(|_| ConnectorError::timeout(TimedOut { stage: "HTTP read", limit }.into()))?,
                None => responding.await,
            }
            .map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|error| ConnectorError::other(error.into(), None))
        })
    }
}

/// The connection a request went out on, for the SDK's retry logic (which poisons it after a
/// transient error so the next attempt opens a new one) and its logs.
fn connection_metadata(connection: &CaptureConnection) -> Option<ConnectionMetadata> {
    let connected = connection.connection_metadata();
    let connected = connected.as_ref()?;
    let mut extras = Extensions::new();
    connected.get_extras(&mut extras);
    let info = extras.get::<HttpInfo>();
    let poisoned = connection.clone();
    let mut metadata = ConnectionMetadata::builder().proxied(false).poison_fn(move || {
        if let Some(connected) = poisoned.connection_metadata().as_ref() {
            connected.poison();
        }
    });
    metadata.set_local_addr(info.map(HttpInfo::local_addr)).set_remote_addr(info.map(HttpInfo::remote_addr));
    Some(metadata.build())
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
struct ConnectTimeout {
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

/// The SDK client's classification of a failed request (aws-smithy-http-client 1.5.2
/// `downcast_error`): timeouts, then hyper's own error kinds, then connection failures as I/O
/// (retried), the rest as other (not retried).
fn classify(error: hyper_util::client::legacy::Error) -> ConnectorError {
    let connect_failed = error.is_connect();
    let error: BoxError = error.into();
    if chain(error.as_ref()).any(|e| e.is::<TimedOut>()) {
        return ConnectorError::timeout(error);
    }
    let by_hyper = chain(error.as_ref()).find_map(|e| e.downcast_ref::<hyper::Error>()).map(classify_hyper);
    if let Some(connector_error) = by_hyper {
        return connector_error(error);
    }
    if connect_failed || chain(error.as_ref()).any(|e| e.is::<std::io::Error>()) {
        return ConnectorError::io(error);
    }
    ConnectorError::other(error, None)
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
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// Read syscalls this thread has made so far (`syscr` of /proc/thread-self/io): the tests of
    /// this binary run on other threads, so theirs do not count.
    fn reads_by_this_thread() -> u64 {
        let io = std::fs::read_to_string("/proc/thread-self/io").expect("Linux has /proc/thread-self/io");
        io.lines().find_map(|l| l.strip_prefix("syscr: ")).and_then(|n| n.parse().ok()).expect("io has syscr")
    }

    #[test]
    fn the_roots_come_from_the_bundle_file_without_reading_the_directory_beside_it() {
        // The ambient SSL_CERT_FILE / SSL_CERT_DIR do not matter: this is the path without them.
        let bundle = openssl_probe::probe()
            .cert_file
            .expect("this test needs a system certificate bundle file (the ca-certificates package)");
        let reads = |load: &dyn Fn() -> Roots| {
            let before = reads_by_this_thread();
            let roots = load();
            assert!(roots.errors.is_empty(), "{:?}", roots.errors);
            (roots.certs.len(), reads_by_this_thread() - before)
        };
        let (roots, bundle_reads) = reads(&|| bundle_roots(&bundle));
        assert!(roots > 50, "{roots} roots from {}", bundle.display());
        // One file read through an 8 KiB buffer: a few dozen reads. Reading the hashed directory
        // too (what load_native_certs does without SSL_CERT_FILE) takes at least two reads per
        // certificate file, its content and its end, as the control shows where that directory is.
        let size = std::fs::metadata(&bundle).unwrap().len();
        let one_file = 2 * size.div_ceil(8 * 1024) + 8;
        assert!(bundle_reads <= one_file, "{bundle_reads} reads for one file of {size} bytes");
        if let Some(dir) = bundle.parent().filter(|dir| dir.ends_with("ssl/certs")) {
            let walk = || {
                let native = rustls_native_certs::load_certs_from_paths(Some(&bundle), Some(dir));
                Roots { certs: native.certs, errors: native.errors.iter().map(ToString::to_string).collect() }
            };
            let (_, walk_reads) = reads(&walk);
            assert!(walk_reads > one_file, "the control read {} in {walk_reads} reads", dir.display());
        }
    }

    #[test]
    fn the_bundle_decodes_to_the_certificates_rustls_native_certs_reads() {
        let bundle = openssl_probe::probe()
            .cert_file
            .expect("this test needs a system certificate bundle file (the ca-certificates package)");
        let ours = bundle_roots(&bundle);
        let theirs = rustls_native_certs::load_certs_from_paths(Some(&bundle), None);
        assert!(ours.errors.is_empty() && theirs.errors.is_empty(), "{:?} {:?}", ours.errors, theirs.errors);
        assert!(ours.certs.len() > 50, "{} roots from {}", ours.certs.len(), bundle.display());
        assert!(ours.certs == theirs.certs, "the same certificates, sorted and without duplicates as theirs are");
    }

    #[test]
    fn a_bad_section_is_an_error_and_the_other_certificates_still_load() {
        let pem = "junk before\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n\
                   -----BEGIN PRIVATE KEY-----\nBAUG\n-----END PRIVATE KEY-----\n\
                   -----BEGIN CERTIFICATE-----\r\n  BAUG\r\n-----END CERTIFICATE-----\r\n\
                   -----BEGIN CERTIFICATE-----\nBwgJ\n";
        let roots = pem_certificates(pem);
        let certs: Vec<&[u8]> = roots.certs.iter().map(|c| c.as_ref()).collect();
        assert_eq!(certs, [&[1u8, 2, 3][..], &[4, 5, 6][..]], "other labels are skipped, CRLF and indents are fine");
        assert_eq!(roots.errors.len(), 2, "{:?}", roots.errors);
        assert!(
            roots.errors[0].contains("not base64") && roots.errors[1].contains("no END line"),
            "{:?}",
            roots.errors
        );
    }

    /// What the SDK does for each attempt: ask the client for a connector, send one request.
    async fn send(
        client: &SharedHttpClient,
        settings: HttpConnectorSettings,
        uri: &str,
    ) -> Result<u16, ConnectorError> {
        let components = RuntimeComponentsBuilder::for_tests().build().unwrap();
        let connector = client.http_connector(&settings, &components);
        let response = connector.call(HttpRequest::get(uri).unwrap()).await?;
        Ok(response.status().as_u16())
    }

    /// An HTTP/1.1 server answering 200 to everything; counts the connections it accepts.
    async fn counting_server() -> (String, Arc<AtomicUsize>) {
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
    async fn requests_reuse_one_connection() {
        let (uri, accepted) = counting_server().await;
        let client = shared();

        for _ in 0..3 {
            assert_eq!(200, send(&client, HttpConnectorSettings::default(), &uri).await.unwrap());
        }

        assert_eq!(1, accepted.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_error_which_the_sdk_retries() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);

        let error = send(&shared(), HttpConnectorSettings::default(), &uri).await.unwrap_err();

        assert!(error.is_io(), "{error:?}");
    }

    #[tokio::test]
    async fn no_response_within_the_read_timeout_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        let settings = HttpConnectorSettings::builder().read_timeout(Duration::from_millis(50)).build();

        let error = send(&shared(), settings, &uri).await.unwrap_err();

        assert!(error.is_timeout(), "{error:?}");
        drop(listener);
    }
}
