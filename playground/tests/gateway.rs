//! `bedrock-playground` and `invoke` in front of an API_KEY or COGNITO stack, against
//! `gateway_standin.py`, a local stand-in for the stack's API Gateway (a test aid: it checks the
//! one header, refuses as the gateway does, and serves GetApiKey, its SigV4 checked with botocore,
//! and Cognito's InitiateAuth). Proves that the key is fetched from API Gateway and sent as
//! `x-api-key`, that a Cognito user's ID token is sent as `Authorization` and renewed before it
//! expires, that a caller without them gets the gateway's refusal, and that neither the key nor a
//! token is ever printed. Needs python3 with botocore (`.ci/run` installs it).

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;

const ACCESS_KEY: &str = "AKIDGATEWAYTEST";
const SECRET_KEY: &str = "gateway/secret+key";
const REGION: &str = "eu-west-1";
const KEY_ID: &str = "a1b2c3d4e5";
const KEY_VALUE: &str = "StandInKeyValue0123456789abcdefABCDEF";
const CLIENT_ID: &str = "standinclient123";
const USERNAME: &str = "otto@example.com";
const PASSWORD: &str = "Correct-Horse-7";

/// The stand-in, its API's URL (`…/live/`) and its control endpoint.
struct Gateway {
    _child: Child,
    api: String,
    control: String,
}

async fn gateway(kind: &[&str]) -> Gateway {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/gateway_standin.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(kind)
        .args(["--aws", ACCESS_KEY, SECRET_KEY, REGION])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs");
    let line = announced(&mut child, "listening on ").await;
    let (api, control) = line.split_once(" control ").expect("two addresses");
    Gateway { api: api.to_owned(), control: control.to_owned(), _child: child }
}

async fn api_key_gateway() -> Gateway {
    gateway(&["--api-key", KEY_ID, KEY_VALUE]).await
}

async fn cognito_gateway(token_seconds: u32) -> Gateway {
    gateway(&["--cognito", CLIENT_ID, USERNAME, PASSWORD, "--token-seconds", &token_seconds.to_string()]).await
}

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

impl Gateway {
    /// What reached the stand-in: its `GET /log`.
    async fn log(&self) -> Value {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let response = client.get(format!("{}/log", self.control).parse().unwrap()).await.unwrap();
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
    }

    /// A `bedrock-playground` command aimed at this gateway, with the AWS credentials (`secret`)
    /// and the Cognito user in its environment and the AWS endpoints pointed at the stand-in.
    fn command(&self, secret: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-playground"));
        command
            .env_clear()
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_API_GATEWAY", &self.control)
            .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &self.control)
            .env("BEDROCK_STREAMER_COGNITO_USERNAME", USERNAME)
            .env("BEDROCK_STREAMER_COGNITO_PASSWORD", PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    fn invoke(&self, secret: &str, auth: &[&str]) -> Command {
        let mut command = self.command(secret);
        command.args(["invoke", "--accept", "application/x-ndjson", "--target", &self.api]).args(auth);
        command
    }
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn run(mut command: Command) -> Output {
    let output = timeout(Duration::from_secs(60), command.output()).await.expect("done within 60 s").unwrap();
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The one line the stand-in answers an admitted request with.
fn admitted(stdout: &str) -> Value {
    let line: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(line["type"], "admitted", "{line}");
    line
}

#[tokio::test]
async fn invoke_fetches_the_key_from_api_gateway_and_sends_it_as_x_api_key() {
    let gateway = api_key_gateway().await;
    let output = run(gateway.invoke(SECRET_KEY, &["--api-key-id", KEY_ID, "--story-type=sea otters"])).await;
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let line = admitted(&output.stdout);
    assert_eq!((&line["method"], &line["path"]), (&"POST".into(), &"/".into()));
    assert_eq!(line["body"], r#"{"storyType":"sea otters"}"#);
    assert_eq!(output.stderr, "HTTP 200 OK\n");
    let log = gateway.log().await;
    assert_eq!(log["requests"][0]["apiKey"], "match", "{log}");
    assert!(!format!("{}{}", output.stdout, output.stderr).contains(KEY_VALUE), "the key is never printed");
}

#[tokio::test]
async fn without_the_key_the_gateway_refuses_403_and_invoke_exits_1() {
    let gateway = api_key_gateway().await;
    let output = run(gateway.invoke(SECRET_KEY, &["--unsigned"])).await;
    assert_eq!(output.code, Some(1));
    let refusal: Value = serde_json::from_str(output.stdout.trim()).unwrap();
    assert_eq!(refusal["code"], "api_key_required", "the gateway's refusal, passed on: {refusal}");
    assert!(output.stderr.starts_with("HTTP 403 Forbidden\n"), "{}", output.stderr);
    assert_eq!(gateway.log().await["requests"][0]["apiKey"], "none");
}

#[tokio::test]
async fn a_key_api_gateway_will_not_give_stops_invoke_before_it_sends_anything() {
    let gateway = api_key_gateway().await;
    let wrong_secret = run(gateway.invoke("not-the-secret", &["--api-key-id", KEY_ID])).await;
    assert_eq!(wrong_secret.code, Some(1));
    assert!(
        wrong_secret.stderr.contains("API Gateway refused GetApiKey for the key a1b2c3d4e5: InvalidSignatureException: the signature does not match botocore's"),
        "{}",
        wrong_secret.stderr
    );
    assert!(wrong_secret.stderr.contains("apigateway:GET on arn:aws:apigateway:<region>::/apikeys/a1b2c3d4e5"));
    let unknown = run(gateway.invoke(SECRET_KEY, &["--api-key-id", "zzzzzzzzzz"])).await;
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("NotFoundException: Invalid API Key identifier specified"), "{}", unknown.stderr);
    let not_an_id = run(gateway.invoke(SECRET_KEY, &["--api-key-id", "../restapis"])).await;
    assert!(not_an_id.stderr.contains("is not an API Gateway key id"), "{}", not_an_id.stderr);
    assert_eq!(gateway.log().await["requests"], serde_json::json!([]), "nothing reached the API");
}

#[tokio::test]
async fn invoke_signs_in_to_cognito_and_sends_the_id_token_as_authorization() {
    let gateway = cognito_gateway(3600).await;
    let output = run(gateway.invoke(SECRET_KEY, &["--cognito-client-id", CLIENT_ID])).await;
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    admitted(&output.stdout);
    let log = gateway.log().await;
    assert_eq!((&log["signIns"], &log["requests"][0]["authorization"]), (&1.into(), &"issued".into()), "{log}");
    assert!(!output.stderr.contains("eyJ"), "no token is printed: {}", output.stderr);
}

#[tokio::test]
async fn a_refused_or_missing_cognito_user_stops_invoke_naming_what_to_fix() {
    let gateway = cognito_gateway(3600).await;
    let mut wrong = gateway.invoke(SECRET_KEY, &["--cognito-client-id", CLIENT_ID]);
    wrong.env("BEDROCK_STREAMER_COGNITO_PASSWORD", "wrong");
    let wrong = run(wrong).await;
    assert_eq!(wrong.code, Some(1));
    assert!(
        wrong.stderr.contains(
            "Cognito refused the sign-in of otto@example.com: NotAuthorizedException: Incorrect username or password."
        ),
        "{}",
        wrong.stderr
    );
    let mut missing = gateway.invoke(SECRET_KEY, &["--cognito-client-id", CLIENT_ID]);
    missing.env_remove("BEDROCK_STREAMER_COGNITO_PASSWORD");
    let missing = run(missing).await;
    assert!(missing.stderr.contains("BEDROCK_STREAMER_COGNITO_PASSWORD is not set"), "{}", missing.stderr);
    let unsigned = run(gateway.invoke(SECRET_KEY, &["--unsigned"])).await;
    assert_eq!(unsigned.code, Some(1));
    assert!(unsigned.stderr.starts_with("HTTP 401 Unauthorized\n"), "{}", unsigned.stderr);
    assert!(unsigned.stdout.contains(r#""code": "unauthorized""#), "{}", unsigned.stdout);
    assert_eq!(gateway.log().await["requests"].as_array().unwrap().len(), 1, "only the unsigned call reached the API");
}

/// The playground in front of `gateway` with `auth`, its URL, and its log so far (stderr).
struct Playground {
    child: Child,
    url: String,
}

async fn playground(gateway: &Gateway, auth: &[&str]) -> Playground {
    let mut command = gateway.command(SECRET_KEY);
    command.args(["--port", "0", "--target", &gateway.api]).args(auth);
    let mut child = command.spawn().expect("the playground starts");
    let url = announced(&mut child, "bedrock-playground listening on ").await;
    Playground { child, url }
}

impl Playground {
    async fn send(&self, request: http::request::Builder, body: &'static str) -> (StatusCode, String) {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let request = request.body(Full::new(Bytes::from_static(body.as_bytes()))).unwrap();
        let response = timeout(Duration::from_secs(30), client.request(request)).await.expect("answered").unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn story(&self) -> http::request::Builder {
        Request::post(&self.url).header("content-type", "application/json").header("accept", "application/x-ndjson")
    }

    /// Stops it and returns everything it logged.
    async fn stop(mut self) -> String {
        self.child.kill().await.unwrap();
        let mut log = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut log).await.unwrap();
        log
    }
}

#[tokio::test]
async fn the_playground_forwards_with_the_stacks_key_in_place_of_any_the_page_sends() {
    let gateway = api_key_gateway().await;
    let playground = playground(&gateway, &["--api-key-id", KEY_ID]).await;
    let (status, body) = playground
        .send(playground.story().header("x-api-key", "a-key-the-page-typed"), r#"{"storyType":"CATS"}"#)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    admitted(&body);
    let (status, body) = playground
        .send(Request::get(format!("{}models", playground.url)).header("accept", "application/json"), "")
        .await;
    assert_eq!((status, admitted(&body)["path"].as_str()), (StatusCode::OK, Some("/models")));
    let log = gateway.log().await;
    let keys: Vec<&Value> = log["requests"].as_array().unwrap().iter().map(|r| &r["apiKey"]).collect();
    assert_eq!(keys, [&Value::from("match"), &Value::from("match")], "{log}");
    let output = playground.stop().await;
    assert!(output.contains("with the value of API key a1b2c3d4e5 as x-api-key"), "{output}");
    assert!(!output.contains(KEY_VALUE), "the key is never logged: {output}");
}

#[tokio::test]
async fn the_playground_renews_the_id_token_before_it_expires() {
    // Tokens living 60 s are within the playground's 5-minute margin: each request signs in anew.
    let gateway = cognito_gateway(60).await;
    let playground = playground(&gateway, &["--cognito-client-id", CLIENT_ID]).await;
    for _ in 0..2 {
        let (status, body) = playground.send(playground.story(), r#"{"storyType":"CATS"}"#).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let log = gateway.log().await;
    assert_eq!(log["signIns"], 3, "at start, then before each request: {log}");
    // Tokens living an hour are reused.
    let lasting = cognito_gateway(3600).await;
    let reusing = self::playground(&lasting, &["--cognito-client-id", CLIENT_ID]).await;
    for _ in 0..2 {
        assert_eq!(reusing.send(reusing.story(), r#"{"storyType":"CATS"}"#).await.0, StatusCode::OK);
    }
    let log = lasting.log().await;
    assert_eq!(log["signIns"], 1, "{log}");
    assert!(log["requests"].as_array().unwrap().iter().all(|r| r["authorization"] == "issued"), "{log}");
    let output = reusing.stop().await;
    assert!(output.contains("with a Cognito ID token of otto@example.com as Authorization"), "{output}");
    assert!(!output.contains("eyJ") && !output.contains(PASSWORD), "no token or password is logged: {output}");
    playground.stop().await;
}

#[tokio::test]
async fn a_playground_whose_user_cannot_sign_in_stops_at_start_naming_why() {
    let gateway = cognito_gateway(3600).await;
    let mut command = gateway.command(SECRET_KEY);
    command.args(["--port", "0", "--target", &gateway.api, "--cognito-client-id", "another-client"]);
    let output = timeout(Duration::from_secs(60), command.output()).await.unwrap().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ResourceNotFoundException: User pool client another-client does not exist."), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"), "it never served");
}
