//! What the playground does with each request: the page at `GET /`, everything else forwarded to
//! the Function URL (signed when a signer is set) with the response streamed back chunk by chunk.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::page;
use crate::signer::{Signer, SignerError};

/// A response: a small body of our own, or the Function URL's streamed body passed through.
pub type Body = Either<Full<Bytes>, Incoming>;

/// The request headers passed on: what the page and SSE clients send. Anything else a browser adds
/// (cookies, origin, user agent) stays here.
const FORWARDED: [HeaderName; 3] = [header::CONTENT_TYPE, header::ACCEPT, HeaderName::from_static("last-event-id")];

/// Far above the function's own 16 KiB limit, so the function still answers an oversized story
/// request with its 413; this only bounds what the playground holds to sign.
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("the request body is over {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("the request body could not be read: {0}")]
    BadRequest(String),
    #[error("{0}")]
    Signing(#[from] SignerError),
    #[error("the Function URL {target} could not be reached: {detail}")]
    Unreachable { target: Uri, detail: String },
}

impl ProxyError {
    fn status(&self) -> StatusCode {
        match self {
            ProxyError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::Signing(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ProxyError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ProxyError::PayloadTooLarge => "payload_too_large",
            ProxyError::BadRequest(_) => "playground_bad_request",
            ProxyError::Signing(_) => "playground_signing_failed",
            ProxyError::Unreachable { .. } => "playground_upstream_unreachable",
        }
    }
}

pub struct Playground {
    target: Uri,
    signer: Option<Signer>,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Playground {
    /// Forwards to `target` (its path is the base the page's paths are appended to).
    pub fn new(target: Uri, signer: Option<Signer>) -> std::io::Result<Playground> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https =
            HttpsConnectorBuilder::new().with_native_roots()?.https_or_http().enable_http1().wrap_connector(http);
        Ok(Playground { target, signer, client: Client::builder(TokioExecutor::new()).build(https) })
    }

    pub async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        if req.method() == Method::GET && matches!(req.uri().path(), "/" | "/index.html") {
            return page();
        }
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let response = self.forward(req).await.unwrap_or_else(|error| refusal(&error));
        tracing::info!(%method, path, status = response.status().as_u16(), "forwarded");
        response
    }

    async fn forward(&self, req: Request<Incoming>) -> Result<Response<Body>, ProxyError> {
        let (parts, body) = req.into_parts();
        let body = Limited::new(body, MAX_BODY_BYTES).collect().await.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ProxyError::PayloadTooLarge
            } else {
                ProxyError::BadRequest(e.to_string())
            }
        })?;
        let uri = upstream_uri(&self.target, &parts.uri);
        let mut upstream =
            Request::builder().method(parts.method).uri(uri.clone()).body(body.to_bytes()).expect("a valid request");
        let headers = upstream.headers_mut();
        let host = uri.authority().expect("the target has an authority").as_str();
        headers.insert(header::HOST, HeaderValue::from_str(host).expect("an authority is a valid header value"));
        for name in FORWARDED {
            if let Some(value) = parts.headers.get(&name) {
                headers.insert(name, value.clone());
            }
        }
        if let Some(signer) = &self.signer {
            signer.sign(&mut upstream).await?;
        }
        let response = self
            .client
            .request(upstream.map(Full::new))
            .await
            .map_err(|e| ProxyError::Unreachable { target: uri, detail: error_chain(&e) })?;
        let (mut parts, body) = response.into_parts();
        for hop_by_hop in [header::CONNECTION, header::TRANSFER_ENCODING, HeaderName::from_static("keep-alive")] {
            parts.headers.remove(hop_by_hop);
        }
        // The body is handed over as it is: hyper writes each chunk on as it arrives.
        Ok(Response::from_parts(parts, Either::Right(body)))
    }
}

/// The target's path joined with the request's: a target of `http://h/lambda-url/fn/` and a
/// request for `/models?x=1` give `http://h/lambda-url/fn/models?x=1`.
fn upstream_uri(target: &Uri, request: &Uri) -> Uri {
    let base = target.path().trim_end_matches('/');
    let path_and_query = request.path_and_query().map_or("/", |p| p.as_str());
    let mut parts = target.clone().into_parts();
    parts.path_and_query =
        Some(format!("{base}{path_and_query}").parse().expect("two valid paths join to a valid path"));
    Uri::from_parts(parts).expect("a valid URI")
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn page() -> Response<Body> {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Either::Left(Full::new(Bytes::from_static(page::HTML.as_bytes()))))
        .expect("a valid response")
}

/// The playground's own failures, in the function's error shape so the page shows them alike.
fn refusal(error: &ProxyError) -> Response<Body> {
    let body = serde_json::json!({ "type": "error", "code": error.code(), "message": error.to_string() });
    Response::builder()
        .status(error.status())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Either::Left(Full::new(Bytes::from(body.to_string()))))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_are_appended_to_the_target_path() {
        let local: Uri = "http://127.0.0.1:9000/lambda-url/bedrock-streamer/".parse().unwrap();
        let aws: Uri = "https://abc.lambda-url.us-west-2.on.aws/".parse().unwrap();
        let join = |target: &Uri, path: &str| upstream_uri(target, &path.parse().unwrap()).to_string();
        assert_eq!(join(&local, "/"), "http://127.0.0.1:9000/lambda-url/bedrock-streamer/");
        assert_eq!(join(&local, "/models?x=1"), "http://127.0.0.1:9000/lambda-url/bedrock-streamer/models?x=1");
        assert_eq!(join(&aws, "/"), "https://abc.lambda-url.us-west-2.on.aws/");
        assert_eq!(join(&aws, "/models"), "https://abc.lambda-url.us-west-2.on.aws/models");
    }
}
