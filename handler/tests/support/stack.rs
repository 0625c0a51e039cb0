//! The real handler binary serving a Function URL through `cargo lambda watch`, called with curl.

use std::net::TcpListener;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bedrock_emulator::Emulator;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use super::ndjson;

/// curl arguments for a POST of `body`.
pub fn posting(body: &str) -> Vec<&str> {
    vec!["-X", "POST", "--data-binary", body]
}

/// The real handler binary serving a Function URL through `cargo lambda watch` (its Lambda
/// Runtime API and Function URL emulator), pointed at the emulator by the SDK's standard
/// `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.
pub struct Stack {
    pub url: String,
    watch: Child,
    functions: Vec<Child>,
    logs: Arc<Mutex<Vec<String>>>,
}

const FUNCTION: &str = "bedrock-streamer";

impl Stack {
    pub async fn start(emulator: &Emulator, settings: &[(&str, &str)]) -> Stack {
        Self::start_instances(emulator, settings, 1).await
    }

    /// Like [`Stack::start`] with `instances` function processes polling the same Runtime API,
    /// as Lambda runs one instance per concurrent request.
    pub async fn start_instances(emulator: &Emulator, settings: &[(&str, &str)], instances: usize) -> Stack {
        let port = free_port();
        let mut watch = Command::new("cargo-lambda")
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("cargo-lambda is on PATH (./just test-rust puts .venv/bin first)");
        // Ready once it says it serves; the function must not poll before then.
        let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("starting Runtime server") {
                    return;
                }
            }
            panic!("cargo lambda watch exited before serving");
        });
        ready.await.expect("cargo lambda watch starts within 60 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let logs = Arc::new(Mutex::new(Vec::new()));
        let functions = (0..instances)
            .map(|_| {
                let mut function = Command::new(env!("CARGO_BIN_EXE_bedrock-streamer"))
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt/{FUNCTION}"))
                    .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
                    .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                    .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                    .env("AWS_REGION", "us-east-1")
                    .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
                    .env("AWS_SECRET_ACCESS_KEY", "secret")
                    .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint())
                    .envs(settings.iter().copied())
                    .stdout(Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .expect("the handler binary starts");
                let mut lines = BufReader::new(function.stdout.take().unwrap()).lines();
                let logs = logs.clone();
                tokio::spawn(async move {
                    while let Ok(Some(line)) = lines.next_line().await {
                        logs.lock().unwrap().push(line);
                    }
                });
                function
            })
            .collect();
        Stack { url: format!("http://127.0.0.1:{port}/lambda-url/{FUNCTION}/"), watch, functions, logs }
    }

    /// The function's stdout lines so far (its JSON logs and metrics records).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Waits until the function has written a line that `matches` (logs are written after the
    /// response ends, so they may trail the caller by a moment).
    pub async fn wait_for_log(&self, matches: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            if let Some(line) = self.logs().into_iter().find(|l| matches(l)) {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no such log line in {:?}", self.logs());
    }

    /// Sends a request with curl and reads its output as it streams (`-N`), timing each line.
    pub async fn curl(&self, args: &[&str]) -> Curled {
        self.curl_path("", args).await
    }

    /// `GET <url><path>`.
    pub async fn get(&self, path: &str) -> Curled {
        self.curl_path(path, &[]).await
    }

    /// curl with `args` at `<url><path>`.
    pub async fn curl_path(&self, path: &str, args: &[&str]) -> Curled {
        let mut child = Command::new("curl")
            .args(["-sS", "-N", "-D", "-", "--max-time", "60"])
            .args(args)
            .arg(format!("{}{path}", self.url))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("curl is installed");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut status = 0;
        let mut headers = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if trimmed.starts_with("HTTP/") {
                status = trimmed.split(' ').nth(1).unwrap().parse().unwrap();
            } else if let Some((name, value)) = trimmed.split_once(':') {
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let mut lines = Vec::new();
        loop {
            let mut bytes = Vec::new();
            if reader.read_until(b'\n', &mut bytes).await.unwrap() == 0 {
                break;
            }
            lines.push((Instant::now(), bytes));
        }
        let exit = child.wait().await.unwrap().code();
        Curled { status, headers, lines, exit }
    }

    /// The Function URL's body for a JSON POST with the given Accept header (if any).
    pub async fn post(&self, body: &str, accept: Option<&str>) -> Curled {
        let accept_header = accept.map(|a| format!("accept: {a}"));
        let mut args = vec!["-X", "POST", "--data-binary", body];
        if let Some(h) = &accept_header {
            args.extend(["-H", h]);
        }
        let got = self.curl(&args).await;
        assert_eq!(got.exit, Some(0), "curl failed");
        got
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for function in &mut self.functions {
            let _ = function.start_kill();
        }
        let _ = self.watch.start_kill();
    }
}

/// What curl received: status, headers, and the body's lines with when each arrived.
pub struct Curled {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub lines: Vec<(Instant, Vec<u8>)>,
    /// curl's exit code (28: it gave up at `--max-time`).
    pub exit: Option<i32>,
}

impl Curled {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        self.lines.iter().map(|(_, l)| String::from_utf8_lossy(l).into_owned()).collect()
    }

    pub fn events(&self) -> Vec<Value> {
        ndjson(&self.text())
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
