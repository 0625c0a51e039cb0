//! Bedrock over TLS, as on AWS: the handler's own HTTPS client (`bedrock/http_client.rs`) through
//! the real SDK, against a TLS server in front of the emulator. The server's certificate comes from
//! a CA made at test time, which the handler trusts the way a deployment trusts a corporate CA:
//! `SSL_CERT_FILE` (rustls-native-certs reads it instead of the compiled-in Mozilla roots). The server speaks
//! HTTP/2 when ALPN picks it, as Bedrock does, or HTTP/1.1 only; the emulator behind it records
//! which one the request came in.
//!
//! Every test in this file reaches [`PKI`] first thing, which sets `SSL_CERT_FILE` for the
//! in-process handler once, before any test builds a client.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bedrock_emulator::Emulator;
use bedrock_streamer::bedrock;
use bedrock_streamer::service::App;
use bedrock_streamer::settings::Settings;
use http::Version;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use support::in_process::{Received, call, post};
use support::runtime_api::{Answer, RuntimeApi, function_url_event};
use support::*;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

const CATS: &str = r#"{"storyType":"CATS"}"#;

/// The test CA (its certificate in `SSL_CERT_FILE`, the only file of `ca_dir`) and two server
/// certificates for `localhost` and `127.0.0.1`: one it signed, and one from a CA nobody trusts.
struct Pki {
    ca_dir: PathBuf,
    ca_file: PathBuf,
    trusted: ServerCert,
    untrusted: ServerCert,
}

struct ServerCert {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

static PKI: LazyLock<Pki> = LazyLock::new(|| {
    let ca = new_ca("bedrock-streamer test CA");
    let rogue = new_ca("a CA nobody trusts");
    // In cargo's scratch directory for integration tests (under target/), not the system's /tmp.
    let ca_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-test-ca-{}", std::process::id()));
    std::fs::create_dir_all(&ca_dir).unwrap();
    let ca_file = ca_dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    // SAFETY: every test of this binary reaches `PKI` first thing, so while the first one runs
    // this the others wait on the `LazyLock` or have not started: no other thread reads the
    // environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", &ca_file) };
    Pki { ca_dir, ca_file, trusted: server_cert(&ca), untrusted: server_cert(&rogue) }
});

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn server_cert(ca: &CertifiedIssuer<'static, KeyPair>) -> ServerCert {
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    ServerCert { chain: vec![cert.der().clone(), ca.der().clone()], key: key.serialize_der() }
}

/// A TLS handshake as the server saw it: the protocol ALPN chose (if any), or why it failed.
type Handshake = Result<Option<String>, String>;

/// A TLS server on a random port that hands every connection's bytes, decrypted, to the emulator
/// (which takes HTTP/1.1 and HTTP/2 on one port), offering `alpn` in its order of preference.
struct TlsFront {
    endpoint: String,
    handshakes: Arc<Mutex<Vec<Handshake>>>,
}

async fn tls_front(emulator: &Emulator, cert: &ServerCert, alpn: &[&str]) -> TlsFront {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(cert.chain.clone(), key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    let backend = emulator.addr();
    let handshakes = Arc::new(Mutex::new(Vec::new()));
    let seen = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(mut tls) => {
                        let protocol = tls.get_ref().1.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
                        seen.lock().unwrap().push(Ok(protocol));
                        pipe(&mut tls, backend).await;
                    }
                    Err(error) => seen.lock().unwrap().push(Err(error.to_string())),
                }
            });
        }
    });
    TlsFront { endpoint, handshakes }
}

async fn pipe(tls: &mut tokio_rustls::server::TlsStream<TcpStream>, backend: SocketAddr) {
    let mut emulator = TcpStream::connect(backend).await.unwrap();
    // Either side closing ends the connection; how is not this test's business.
    let _ = tokio::io::copy_bidirectional(tls, &mut emulator).await;
}

impl TlsFront {
    fn handshakes(&self) -> Vec<Handshake> {
        self.handshakes.lock().unwrap().clone()
    }
}

/// The in-process handler, as `main` builds it, with Bedrock at `endpoint`: its answer to a story
/// request, read to the end.
async fn story_through(endpoint: &str) -> Received {
    let settings = Settings::from_vars(std::iter::empty()).expect("the default settings are valid");
    let client = bedrock::Client::for_endpoint(endpoint, "us-east-1", "AKIDEXAMPLE", "secret");
    tokio::time::timeout(Duration::from_secs(60), call(&App::new(settings, client), post(CATS, None)))
        .await
        .expect("the handler answers, never hangs")
}

#[tokio::test]
async fn a_story_streams_over_tls_with_http2_when_the_server_offers_it() {
    let pki = &*PKI;
    let emulator = fast_emulator().await;
    let front = tls_front(&emulator, &pki.trusted, &["h2", "http/1.1"]).await;

    let got = story_through(&front.endpoint).await;

    assert_eq!(got.status, 200, "{}", got.text());
    assert!(types(&got.events()).ends_with(&["stop", "usage"]), "the whole story arrived: {}", got.text());
    assert_eq!(front.handshakes(), [Ok(Some("h2".to_owned()))]);
    assert_eq!(emulator.requests()[0].version, Version::HTTP_2);
}

#[tokio::test]
async fn a_story_streams_over_tls_with_http1_when_the_server_speaks_nothing_else() {
    let pki = &*PKI;
    let emulator = fast_emulator().await;
    let front = tls_front(&emulator, &pki.trusted, &["http/1.1"]).await;

    let got = story_through(&front.endpoint).await;

    assert_eq!(got.status, 200, "{}", got.text());
    assert!(types(&got.events()).ends_with(&["stop", "usage"]), "the whole story arrived: {}", got.text());
    assert_eq!(front.handshakes(), [Ok(Some("http/1.1".to_owned()))]);
    assert_eq!(emulator.requests()[0].version, Version::HTTP_11);
}

/// What the caller gets: 502 `upstream_error` once the SDK's attempts (a refused handshake is an
/// I/O failure, which it retries) are spent, never a hang; nothing reaches the emulator.
#[tokio::test]
async fn a_server_whose_certificate_is_not_trusted_is_refused_with_upstream_error() {
    let pki = &*PKI;
    let emulator = fast_emulator().await;
    let front = tls_front(&emulator, &pki.untrusted, &["h2", "http/1.1"]).await;

    let got = story_through(&front.endpoint).await;

    assert_eq!((got.status, got.content_type.as_str()), (502, "application/json"), "{}", got.text());
    let body: Value = serde_json::from_str(&got.text()).unwrap();
    assert_eq!(body["code"], "upstream_error", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("could not reach Bedrock: invalid peer certificate: UnknownIssuer"), "{body}");
    let handshakes = front.handshakes();
    assert!(!handshakes.is_empty() && handshakes.iter().all(Result::is_err), "{handshakes:?}");
    assert_eq!(emulator.request_count(), 0, "nothing was sent over the untrusted connection");
}

/// The real binary, configured only through its environment as on Lambda: the endpoint from
/// `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, the extra CA from `SSL_CERT_FILE`.
#[tokio::test]
async fn the_binary_trusts_a_ca_named_by_ssl_cert_file_and_speaks_http2_to_it() {
    let pki = &*PKI;
    let emulator = fast_emulator().await;
    let trusted = tls_front(&emulator, &pki.trusted, &["h2", "http/1.1"]).await;
    let untrusted = tls_front(&emulator, &pki.untrusted, &["h2", "http/1.1"]).await;
    let ca_file = pki.ca_file.to_str().unwrap();
    let api = RuntimeApi::start().await;
    let event = || function_url_event(CATS, json!({})).to_string().into_bytes();

    let function = api.function(
        &emulator,
        &[("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", trusted.endpoint.as_str()), ("SSL_CERT_FILE", ca_file)],
    );
    let (_, answer) = api.invoke(event()).await;
    drop(function);
    let Answer::Streamed(got) = answer else { panic!("not a streamed answer: {answer:?}") };
    assert_eq!(got.status(), 200, "{}", got.text());
    assert!(types(&ndjson(&got.text())).ends_with(&["stop", "usage"]), "{}", got.text());
    assert_eq!(emulator.requests()[0].version, Version::HTTP_2);

    let function = api.function(
        &emulator,
        &[("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", untrusted.endpoint.as_str()), ("SSL_CERT_FILE", ca_file)],
    );
    let (request_id, answer) = api.invoke(event()).await;
    let Answer::Streamed(got) = answer else { panic!("not a streamed answer: {answer:?}") };
    assert_eq!((got.status(), got.json()["code"].as_str()), (502, Some("upstream_error")), "{}", got.text());
    function.wait_for("request summary", &request_id).await;
    let logged = function.logged("Bedrock refused the call");
    let why = logged[0]["fields"]["error"].as_str().unwrap();
    assert!(why.contains("invalid peer certificate: UnknownIssuer"), "the log names the certificate: {why}");
    assert_eq!(emulator.request_count(), 1, "only the trusted server's request reached the emulator");
}

/// With neither `SSL_CERT_FILE` nor `SSL_CERT_DIR` set (as on Lambda), the binary trusts the
/// Mozilla roots compiled into it, and the test CA is not one of them: the same server is refused,
/// then trusted once `SSL_CERT_DIR` names the directory holding the CA.
#[tokio::test]
async fn the_binary_trusts_only_its_compiled_in_roots_unless_ssl_cert_dir_names_others() {
    let pki = &*PKI;
    let emulator = fast_emulator().await;
    let front = tls_front(&emulator, &pki.trusted, &["h2", "http/1.1"]).await;
    let endpoint = ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", front.endpoint.as_str());
    let api = RuntimeApi::start().await;
    let event = || function_url_event(CATS, json!({})).to_string().into_bytes();

    let function = api.function(&emulator, &[endpoint]);
    let (request_id, answer) = api.invoke(event()).await;
    let Answer::Streamed(got) = answer else { panic!("not a streamed answer: {answer:?}") };
    assert_eq!((got.status(), got.json()["code"].as_str()), (502, Some("upstream_error")), "{}", got.text());
    function.wait_for("request summary", &request_id).await;
    let logged = function.logged("Bedrock refused the call");
    let why = logged[0]["fields"]["error"].as_str().unwrap();
    assert!(why.contains("invalid peer certificate: UnknownIssuer"), "the log names the certificate: {why}");
    drop(function);
    assert_eq!(emulator.request_count(), 0, "nothing was sent over the untrusted connection");

    // A Runtime API of its own: the first process is killed (asynchronously) while its next
    // `GET /next` waits, and the stand-in may hand the event to that poll (seen: a 30 s timeout).
    let api = RuntimeApi::start().await;
    let function = api.function(&emulator, &[endpoint, ("SSL_CERT_DIR", pki.ca_dir.to_str().unwrap())]);
    let (_, answer) = api.invoke(event()).await;
    drop(function);
    let Answer::Streamed(got) = answer else { panic!("not a streamed answer: {answer:?}") };
    assert_eq!(got.status(), 200, "{}", got.text());
    assert!(types(&ndjson(&got.text())).ends_with(&["stop", "usage"]), "{}", got.text());
    assert_eq!(emulator.request_count(), 1);
}
