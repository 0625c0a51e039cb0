//! What the playground does with each admitted request (see `admission`): the page at `GET /`, the
//! function's routes forwarded to the stack (authorized by `auth`: SigV4, an API key, a Cognito
//! ID token, or nothing) with the response streamed back chunk by chunk.

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::admission::{self, Route};
use crate::auth::Auth;
use crate::error::{BODY_TIMEOUT_SECS, Body, MAX_BODY_BYTES, PlaygroundError};

/// The request headers passed on: what the page and SSE clients send. Anything else a browser adds
/// (cookies, origin, user agent, an `x-api-key` or `authorization` of the page's own) stays here:
/// the playground adds the stack's own.
const FORWARDED: [HeaderName; 3] = [header::CONTENT_TYPE, header::ACCEPT, HeaderName::from_static("last-event-id")];

/// The response headers passed back: what the page reads (content type), how to cache, and the
/// Function URL's request id (`x-amzn-RequestId`) to find the call in its logs. Cookies and CORS
/// headers from upstream would be set on the playground's own origin, so they stay behind.
const RETURNED: [HeaderName; 3] =
    [header::CONTENT_TYPE, header::CACHE_CONTROL, HeaderName::from_static("x-amzn-requestid")];

/// The playground's answer to each request: its page, a forwarded call, or a refusal.
pub struct Playground {
    target: Uri,
    auth: Auth,
    port: u16,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Playground {
    /// Forwards to `target` (its path is the base the page's paths are appended to), answering
    /// requests addressed to `127.0.0.1:port` (see [`admission::check_sender`]).
    pub fn new(target: Uri, auth: Auth, port: u16) -> std::io::Result<Playground> {
        Ok(Playground { target, auth, port, client: https_client()? })
    }

    /// Answers one request (never an error: the playground's own failures are responses too) and
    /// logs it: `answered` with the status, or `refused` with the code.
    pub async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let response = match self.answer(req).await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(%method, path, code = error.code(), %error, "refused");
                return error.response();
            }
        };
        tracing::info!(%method, path, status = response.status().as_u16(), "answered");
        response
    }

    async fn answer(&self, req: Request<Incoming>) -> Result<Response<Body>, PlaygroundError> {
        admission::check_sender(req.headers(), self.port)?;
        match admission::route(req.method(), req.uri())? {
            Route::Page => Ok(page()),
            Route::Forward => self.forward(req).await,
        }
    }

    async fn forward(&self, req: Request<Incoming>) -> Result<Response<Body>, PlaygroundError> {
        let (parts, body) = req.into_parts();
        let forwarded = forwarded_headers(&parts.headers)?;
        let body =
            tokio::time::timeout(Duration::from_secs(BODY_TIMEOUT_SECS), Limited::new(body, MAX_BODY_BYTES).collect())
                .await
                .map_err(|_| PlaygroundError::RequestTimeout)?
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        PlaygroundError::PayloadTooLarge
                    } else {
                        PlaygroundError::BadRequest(format!("the request body could not be read: {e}"))
                    }
                })?;
        let uri = upstream_uri(&self.target, &parts.uri);
        let mut upstream =
            Request::builder().method(parts.method).uri(uri.clone()).body(body.to_bytes()).expect("a valid request");
        let headers = upstream.headers_mut();
        let host = uri.authority().expect("the target has an authority").as_str();
        headers.insert(header::HOST, HeaderValue::from_str(host).expect("an authority is a valid header value"));
        headers.extend(forwarded);
        self.auth.authorize(&mut upstream).await?;
        let response = self
            .client
            .request(upstream.map(Full::new))
            .await
            .map_err(|e| PlaygroundError::Unreachable { target: uri, detail: error_chain(&e) })?;
        let (mut parts, body) = response.into_parts();
        parts.headers = returned_headers(&parts.headers);
        // The body is handed over as it is: hyper writes each chunk on as it arrives.
        Ok(Response::from_parts(parts, Either::Right(body)))
    }
}

/// The HTTP/1.1 client to the Function URL: HTTPS with the system's roots (or plain HTTP to a
/// local one), `TCP_NODELAY` so each small chunk goes at once. Fails when the roots cannot be read.
pub fn https_client() -> std::io::Result<Client<HttpsConnector<HttpConnector>, Full<Bytes>>> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let https = HttpsConnectorBuilder::new().with_native_roots()?.https_or_http().enable_http1().wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// The [`FORWARDED`] headers of a request; a value that is not visible ASCII is refused here, since
/// SigV4 signs headers as text and the function reads them as text.
fn forwarded_headers(headers: &HeaderMap) -> Result<HeaderMap, PlaygroundError> {
    let mut kept = HeaderMap::new();
    for name in FORWARDED {
        if let Some(value) = headers.get(&name) {
            if value.to_str().is_err() {
                return Err(PlaygroundError::BadRequest(format!("the {name} header is not visible ASCII")));
            }
            kept.insert(name, value.clone());
        }
    }
    Ok(kept)
}

/// The [`RETURNED`] headers of an upstream response, and `nosniff` of our own.
fn returned_headers(headers: &HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::new();
    for name in RETURNED {
        if let Some(value) = headers.get(&name) {
            kept.insert(name, value.clone());
        }
    }
    kept.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    kept
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

/// An error and its causes, `: `-separated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The function's page, with the function's headers for it (its Content-Security-Policy among them).
fn page() -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from_static(story_page::HTML.as_bytes()))));
    response.headers_mut().extend(story_page::headers());
    response
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

    #[test]
    fn a_header_value_that_is_not_ascii_is_a_400_naming_it() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_bytes(b"application/x-ndjson\xe9").unwrap());
        let error = forwarded_headers(&headers).unwrap_err();
        assert_eq!((error.status().as_u16(), error.code()), (400, "playground_bad_request"));
        assert_eq!(error.to_string(), "the accept header is not visible ASCII");
    }

    #[test]
    fn only_what_a_browser_needs_comes_back() {
        let mut upstream = HeaderMap::new();
        for (name, value) in [
            ("content-type", "application/x-ndjson"),
            ("cache-control", "no-cache"),
            ("x-amzn-requestid", "r-1"),
            ("set-cookie", "session=stolen"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-credentials", "true"),
            ("x-amzn-trace-id", "Root=1"),
        ] {
            upstream.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let kept = returned_headers(&upstream);
        let mut names: Vec<&str> = kept.keys().map(|k| k.as_str()).collect();
        names.sort();
        assert_eq!(names, ["cache-control", "content-type", "x-amzn-requestid", "x-content-type-options"]);
    }
}
