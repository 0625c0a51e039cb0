//! The playground answers only its own page, forwards only the function's routes, and keeps
//! serving whatever its clients do: checked through the binary with raw HTTP (so `Host`, `Origin`
//! and request targets are exactly what a hostile page or client sends) against a stand-in
//! Function URL that counts every request reaching it.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::time::timeout;

/// A Function URL stand-in: answers every request 200 with the headers a hostile upstream might
/// add, and counts the requests that reach it.
async fn upstream() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/lambda-url/bedrock-streamer/", listener.local_addr().unwrap());
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map_or(0, |n| n.trim().parse().unwrap());
                let mut body = vec![0; length];
                stream.read_exact(&mut body).await.unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-cache\r\n\
                    x-amzn-requestid: r-1\r\nset-cookie: session=upstream\r\naccess-control-allow-origin: *\r\n\
                    access-control-allow-credentials: true\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, reached)
}

/// The playground binary forwarding to `target` with throwaway credentials (so whatever it
/// forwards is signed); `wrap` runs it through `sh -c` (for `ulimit`). Returns it and its `host:port`.
async fn playground(target: &str, extra: &[&str], shell_prefix: Option<&str>) -> (Child, String) {
    let binary = env!("CARGO_BIN_EXE_bedrock-playground");
    let mut command = match shell_prefix {
        Some(prefix) => {
            let mut sh = Command::new("sh");
            sh.args(["-c", &format!("{prefix} && exec \"$0\" \"$@\""), binary]);
            sh
        }
        None => Command::new(binary),
    };
    let mut child = command
        .args(["--port", "0", "--target", target])
        .args(extra)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "AKIDADMISSIONTEST")
        .env("AWS_SECRET_ACCESS_KEY", "admission-test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the playground starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = timeout(Duration::from_secs(30), lines.next_line()).await.expect("started").unwrap().unwrap();
    let address = line.strip_prefix("bedrock-playground listening on http://").unwrap().trim_end_matches('/');
    (child, address.to_owned())
}

/// Sends `request` (the whole of it, `\r\n` line ends) and reads the answer until the playground
/// closes: the status and the raw head, and the body.
async fn exchange(address: &str, request: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await.expect("answered").unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head in {answer:?}"));
    let status = head[9..12].parse().unwrap();
    (status, head.to_lowercase(), body.to_owned())
}

/// A request to the playground with `Connection: close` and the given extra header lines.
fn request(method_and_target: &str, host: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut text = format!("{method_and_target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

fn error_code(body: &str) -> String {
    let error: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert_eq!(error["type"], "error");
    error["code"].as_str().unwrap().to_owned()
}

const STORY: &str = r#"{"storyType":"CATS"}"#;

#[tokio::test]
async fn a_request_from_another_page_or_a_rebound_name_is_403_and_never_signed() {
    let (target, reached) = upstream().await;
    let (_playground, own) = playground(&target, &[], None).await;
    let port = own.rsplit(':').next().unwrap().to_owned();
    let hostile = [
        // DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends its own name.
        request("POST /", &format!("evil.example:{port}"), &["content-type: text/plain"], STORY),
        // A text/plain fetch or a form post from another site.
        request("POST /", &own, &["origin: https://evil.example", "sec-fetch-site: cross-site"], STORY),
        request("POST /", &own, &["origin: null", "content-type: application/x-www-form-urlencoded"], STORY),
        // Another page on this machine.
        request("POST /", &own, &[&format!("origin: http://localhost:{port}")], STORY),
        // A navigation or an image from another site carries no Origin.
        request("GET /models", &own, &["sec-fetch-site: cross-site"], ""),
        request("GET /models", &own, &["sec-fetch-site: same-site"], ""),
    ];
    for hostile in hostile {
        let (status, head, body) = exchange(&own, &hostile).await;
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&hostile));
        assert!(head.contains("content-type: application/json"));
        assert_eq!(error_code(&body), "playground_forbidden");
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0, "nothing reached the Function URL");

    // The page's own request, from its own origin, goes through.
    let origin = format!("origin: http://{own}");
    let (status, _, _) =
        exchange(&own, &request("POST /", &own, &[&origin, "sec-fetch-site: same-origin"], STORY)).await;
    assert_eq!(status, 200);
    assert_eq!(reached.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn only_the_function_routes_are_forwarded_anything_else_is_405_or_400() {
    let (target, reached) = upstream().await;
    let (_playground, own) = playground(&target, &[], None).await;
    for (method_and_target, status, code) in [
        ("PUT /", 405, "playground_method_not_allowed"),
        ("DELETE /models", 405, "playground_method_not_allowed"),
        ("TRACE /", 405, "playground_method_not_allowed"),
        ("POST /models", 405, "playground_method_not_allowed"),
        ("GET /favicon.ico", 405, "playground_method_not_allowed"),
        ("OPTIONS *", 400, "playground_bad_request"),
        ("CONNECT evil.example:443", 400, "playground_bad_request"),
        ("GET /../../etc/passwd", 400, "playground_bad_request"),
        ("GET /%2e%2e/%2e%2e/etc/passwd", 400, "playground_bad_request"),
        ("POST http://evil.example/", 400, "playground_bad_request"),
    ] {
        let (got, head, body) = exchange(&own, &request(method_and_target, &own, &[], "")).await;
        assert_eq!((got, error_code(&body).as_str()), (status, code), "{method_and_target}: {body}");
        if status == 405 {
            assert!(head.contains("\r\nallow: "), "{method_and_target} names what is allowed: {head}");
        }
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0, "nothing reached the Function URL");

    for (method_and_target, body) in [
        ("POST /", STORY),
        ("GET /models", ""),
        ("POST /chat", "{}"),
        ("POST /v1/chat/completions", "{}"),
        ("GET /v1/models", ""),
    ] {
        let (status, _, _) = exchange(&own, &request(method_and_target, &own, &[], body)).await;
        assert_eq!(status, 200, "{method_and_target} is forwarded");
    }
    assert_eq!(reached.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn a_header_that_is_not_ascii_is_400_and_upstream_cookies_and_cors_headers_stay_behind() {
    let (target, reached) = upstream().await;
    let (_playground, own) = playground(&target, &[], None).await;
    let mut bad = request("POST /", &own, &[], STORY);
    let at = bad.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    bad.splice(at..at, b"accept: application/x-ndjson\xc3\xa9\r\n".iter().copied());
    let (status, _, body) = exchange(&own, &bad).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "playground_bad_request"), "{body}");
    assert_eq!(reached.load(Ordering::SeqCst), 0);

    let (status, head, body) = exchange(&own, &request("GET /models", &own, &[], "")).await;
    assert_eq!((status, body.as_str()), (200, "{}"));
    for kept in [
        "content-type: application/json",
        "cache-control: no-cache",
        "x-amzn-requestid: r-1",
        "x-content-type-options: nosniff",
    ] {
        assert!(head.contains(kept), "{kept} comes back: {head}");
    }
    for dropped in ["set-cookie", "access-control-"] {
        assert!(!head.contains(dropped), "{dropped} stays behind: {head}");
    }
}

#[tokio::test]
async fn running_out_of_file_descriptors_does_not_end_the_playground() {
    let (target, _) = upstream().await;
    let (mut playground, own) = playground(&target, &[], Some("ulimit -n 64")).await;
    // 80 idle connections: the playground's accept() fails once its 64 descriptors are used.
    let mut idle = Vec::new();
    for _ in 0..80 {
        idle.push(TcpStream::connect(&own).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(playground.try_wait().unwrap().is_none(), "the playground is still running");
    drop(idle);
    let (status, _, body) = timeout(Duration::from_secs(20), exchange(&own, &request("GET /", &own, &[], "")))
        .await
        .expect("answered once the connections closed");
    assert_eq!(status, 200);
    assert!(body.contains(r#"data-testid="story""#));
}

#[tokio::test]
async fn a_request_head_not_complete_within_10_s_is_dropped() {
    let (target, reached) = upstream().await;
    let (_playground, own) = playground(&target, &[], None).await;
    let mut slow = TcpStream::connect(&own).await.unwrap();
    slow.write_all(format!("POST / HTTP/1.1\r\nhost: {own}\r\n").as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    timeout(Duration::from_secs(20), slow.read_to_end(&mut rest)).await.expect("closed within 20 s").ok();
    assert!(started.elapsed() >= Duration::from_secs(5), "closed after {:?}: too soon", started.elapsed());
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn connections_above_the_cap_wait_until_one_closes() {
    let (target, _) = upstream().await;
    let (_playground, own) = playground(&target, &["--max-connections", "4"], None).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(&own).await.unwrap();
        // A whole request on a kept-alive connection: once answered, it is surely accepted.
        stream.write_all(format!("GET /index.html HTTP/1.1\r\nhost: {own}\r\n\r\n").as_bytes()).await.unwrap();
        let mut first = [0u8; 12];
        stream.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        open.push(stream);
    }
    let mut fifth = TcpStream::connect(&own).await.unwrap();
    fifth.write_all(&request("GET /", &own, &[], "")).await.unwrap();
    let mut answer = Vec::new();
    let waited = timeout(Duration::from_secs(1), fifth.read_to_end(&mut answer)).await;
    assert!(waited.is_err(), "the fifth connection is not served while four are open: {answer:?}");
    drop(open.pop());
    timeout(Duration::from_secs(5), fifth.read_to_end(&mut answer)).await.expect("served once one closed").unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
}
