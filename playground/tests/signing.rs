//! The playground's requests, checked by an independent SigV4 implementation: a stand-in Function
//! URL (`function_url_standin.py`) recomputes every signature with botocore and answers 403 when
//! it does not match, as AWS does; the page's requests through the playground, and `bedrock-playground
//! invoke`'s. Needs python3 with botocore (`.ci/run` installs it).

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::time::timeout;

const ACCESS_KEY: &str = "AKIDPLAYGROUNDTEST";
const SECRET_KEY: &str = "playground/secret+key";
const REGION: &str = "eu-west-1";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEPlaygroundSessionToken//+==";

/// Reads lines from a child's stdout until one starts with `prefix`; returns the rest of it.
async fn announced(child: &mut Child, prefix: &str) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
        panic!("exited before printing {prefix:?}");
    });
    line.await.expect("started within 30 s")
}

struct Setup {
    standin: Child,
    release: ChildStdin,
    playground: Child,
    url: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// The stand-in expecting `ACCESS_KEY`/`SECRET_KEY` (and `session_token`): it, the pipe that
/// releases its second chunk, and its URL.
async fn standin(session_token: Option<&str>) -> (Child, ChildStdin, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/function_url_standin.py");
    let mut standin = Command::new("python3")
        .arg(script)
        .args([ACCESS_KEY, SECRET_KEY, REGION])
        .args(session_token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs");
    let release = standin.stdin.take().unwrap();
    let url = announced(&mut standin, "listening on ").await;
    (standin, release, url)
}

/// The stand-in, and the playground forwarding to it with `secret` (and `session_token`) in its
/// environment.
async fn setup(secret: &str, session_token: Option<&str>) -> Setup {
    let (standin, release, standin_url) = standin(session_token).await;

    let mut playground = Command::new(env!("CARGO_BIN_EXE_bedrock-playground"))
        .args(["--port", "0", "--target", &format!("{standin_url}/lambda-url/bedrock-streamer/")])
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(session_token.map(|token| ("AWS_SESSION_TOKEN", token)))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the playground starts");
    let url = announced(&mut playground, "bedrock-playground listening on ").await;
    let client = Client::builder(TokioExecutor::new()).build_http();
    Setup { standin, release, playground, url, client }
}

impl Setup {
    async fn send(&self, request: http::request::Builder, body: &'static str) -> http::Response<Incoming> {
        let request = request.body(Full::new(Bytes::from_static(body.as_bytes()))).unwrap();
        timeout(Duration::from_secs(30), self.client.request(request)).await.expect("answered").expect("reachable")
    }

    fn post_story(&self) -> http::request::Builder {
        Request::post(&self.url).header("content-type", "application/json").header("accept", "application/x-ndjson")
    }

    /// Lets the stand-in send its second chunk.
    async fn release(&mut self) {
        self.release.write_all(b"go\n").await.unwrap();
        self.release.flush().await.unwrap();
    }

    async fn stop(mut self) {
        let _ = self.playground.kill().await;
        let _ = self.standin.kill().await;
    }
}

async fn next_chunk(body: &mut Incoming) -> Value {
    let frame = timeout(Duration::from_secs(30), body.frame()).await.expect("a chunk within 30 s");
    let data = frame.expect("a chunk").expect("readable").into_data().expect("data");
    serde_json::from_slice(&data).unwrap_or_else(|e| panic!("{e}: {data:?}"))
}

#[tokio::test]
async fn a_story_request_is_signed_as_botocore_expects_and_streamed_back_unbuffered() {
    let mut setup = setup(SECRET_KEY, None).await;
    let response = setup.send(setup.post_story(), r#"{"storyType":"CATS"}"#).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();

    let verified = next_chunk(&mut body).await;
    assert_eq!(verified["type"], "verified", "{verified}");
    assert_eq!(verified["method"], "POST");
    assert_eq!(verified["path"], "/lambda-url/bedrock-streamer/", "the target's path is kept");
    assert_eq!(verified["body"], r#"{"storyType":"CATS"}"#);
    assert_eq!(verified["signedHeaders"], "accept;content-type;host;x-amz-content-sha256;x-amz-date");

    // The stand-in holds its second chunk until told: the first one reached us on its own.
    setup.release().await;
    assert_eq!(next_chunk(&mut body).await["type"], "released");
    assert!(body.frame().await.is_none(), "the body ends with the stand-in's");
    setup.stop().await;
}

#[tokio::test]
async fn a_session_token_is_sent_and_signed() {
    let mut setup = setup(SECRET_KEY, Some(SESSION_TOKEN)).await;
    let request = Request::get(format!("{}models", setup.url)).header("accept", "application/json");
    let response = setup.send(request, "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let verified = next_chunk(&mut body).await;
    assert_eq!(
        (&verified["method"], &verified["path"]),
        (&"GET".into(), &"/lambda-url/bedrock-streamer/models".into())
    );
    assert_eq!(verified["signedHeaders"], "accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    setup.release().await;
    assert_eq!(next_chunk(&mut body).await["type"], "released");
    setup.stop().await;
}

#[tokio::test]
async fn a_last_event_id_is_forwarded_and_signed() {
    let mut setup = setup(SECRET_KEY, None).await;
    let response = setup.send(setup.post_story().header("last-event-id", "r-1"), r#"{"storyType":"CATS"}"#).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    assert_eq!(
        next_chunk(&mut body).await["signedHeaders"],
        "accept;content-type;host;last-event-id;x-amz-content-sha256;x-amz-date"
    );
    setup.release().await;
    assert_eq!(next_chunk(&mut body).await["type"], "released");
    setup.stop().await;
}

#[tokio::test]
async fn a_signature_made_with_the_wrong_secret_is_refused_by_the_check() {
    let setup = setup("not-the-secret", None).await;
    let response = setup.send(setup.post_story(), r#"{"storyType":"CATS"}"#).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let refusal: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(refusal["message"], "the signature does not match botocore's");
    setup.stop().await;
}

#[tokio::test]
async fn the_page_is_served_by_the_playground_itself() {
    let setup = setup(SECRET_KEY, None).await;
    let response = setup.send(Request::get(&setup.url), "").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let html = std::str::from_utf8(&body).unwrap();
    assert!(html.contains(r#"data-testid="story""#) && html.contains(r#"data-testid="start""#));
    setup.stop().await;
}

/// `bedrock-playground invoke` against the stand-in, with `secret` in its environment.
fn invoke(standin_url: &str, secret: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-playground"));
    command
        .args(["invoke", "--target", &format!("{standin_url}/lambda-url/bedrock-streamer/")])
        .args(args)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn invoke_signs_a_story_request_and_streams_the_answer_to_stdout_as_it_arrives() {
    let (_standin, mut release, url) = standin(None).await;
    let story_type = r#"-say "hi" \ $(true)"#;
    let mut child =
        invoke(&url, SECRET_KEY, &["--story-type", story_type, "--model=fast", "--accept", "application/x-ndjson"])
            .spawn()
            .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = timeout(Duration::from_secs(30), stdout.next_line()).await.expect("a first line").unwrap().unwrap();
    let verified: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(verified["type"], "verified", "botocore accepts the signature: {verified}");
    assert_eq!(verified["signedHeaders"], "accept;content-type;host;x-amz-content-sha256;x-amz-date");
    let sent: Value = serde_json::from_str(verified["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent, serde_json::json!({ "storyType": story_type, "model": "fast" }), "one JSON string each");
    // The stand-in holds its second chunk until told: the first reached stdout on its own.
    assert!(child.try_wait().unwrap().is_none(), "still streaming");
    release.write_all(b"go\n").await.unwrap();
    let second = stdout.next_line().await.unwrap().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&second).unwrap()["type"], "released");
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "HTTP 200 OK\n", "the status on its own line");
}

#[tokio::test]
async fn invoke_refused_by_the_function_url_exits_1_naming_the_status_and_the_permissions_needed() {
    let (_standin, _release, url) = standin(None).await;
    let output = invoke(&url, "not-the-secret", &[]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("the signature does not match botocore's"), "the refusal's body: {stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("HTTP 403 Forbidden\n"), "{stderr}");
    assert!(stderr.contains(&format!("error: HTTP 403 from {url}/lambda-url/bedrock-streamer/")), "{stderr}");
    assert!(stderr.contains("lambda:InvokeFunctionUrl and lambda:InvokeFunction"), "{stderr}");
}

#[tokio::test]
async fn invoke_without_credentials_says_how_to_get_some_and_sends_nothing() {
    let (_standin, _release, url) = standin(None).await;
    let home = tempdir();
    let output = invoke(&url, SECRET_KEY, &[])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("HOME", &home)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("run `aws sso login`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID"), "{stderr}");
    assert!(!stderr.contains("HTTP "), "nothing was sent: {stderr}");
}

/// An empty HOME of the test's own (no AWS config or credentials files), under target/.
fn tempdir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("no-aws-home-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
