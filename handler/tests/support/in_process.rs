//! The handler in this process: `App` as `main` builds it, with the SDK pointed at the emulator,
//! called with the service's own `Request`s and read frame by frame.

use bedrock_emulator::Emulator;
use bedrock_streamer::bedrock;
use bedrock_streamer::service::{App, Request};
use bedrock_streamer::settings::Settings;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::time::Instant;

use super::{ndjson, story};

/// The handler as `main` builds it, with settings from `vars` and the SDK pointed at the emulator.
pub fn app(emulator: &Emulator, vars: &[(&str, &str)]) -> App {
    let settings =
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).expect("valid test settings");
    let client = bedrock::Client::for_endpoint(&emulator.endpoint(), "us-east-1", "AKIDEXAMPLE", "secret");
    App::new(settings, client)
}

/// A `POST /` (a story request) with `body` and `accept`.
pub fn post(body: impl Into<Vec<u8>>, accept: Option<&str>) -> Request {
    let mut request = Request { method: http::Method::POST, body: Bytes::from(body.into()), ..Request::default() };
    if let Some(accept) = accept {
        request.headers.insert("accept", accept.parse().unwrap());
    }
    request
}

/// A `method` request for `path` with no headers and no body.
pub fn request(method: http::Method, path: &str) -> Request {
    Request { method, path: path.to_owned(), ..Request::default() }
}

/// A response as the caller saw it: status, headers, and each chunk with when it arrived.
pub struct Received {
    pub status: u16,
    pub content_type: String,
    pub chunks: Vec<(Instant, Bytes)>,
}

impl Received {
    pub fn text(&self) -> String {
        self.chunks.iter().map(|(_, c)| String::from_utf8_lossy(c).into_owned()).collect()
    }

    /// The body as NDJSON events.
    pub fn events(&self) -> Vec<Value> {
        ndjson(&self.text())
    }

    /// The concatenated `message` of every text event.
    pub fn story(&self) -> String {
        story(&self.events())
    }
}

/// Calls the handler and reads the whole streamed body.
pub async fn call(app: &App, req: Request) -> Received {
    let response = app.handle(req).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    let mut body = response.into_body();
    let mut chunks = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            chunks.push((Instant::now(), data));
        }
    }
    Received { status, content_type, chunks }
}
