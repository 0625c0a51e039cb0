//! The playground's own refusals and failures, each with its stable `code` and HTTP status (mapped
//! here and nowhere else), answered in the function's error shape so the page shows them alike.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode, Uri};
use http_body_util::{Either, Full};

use crate::auth::AuthError;

/// A response: a small body of our own, or the Function URL's streamed body passed through.
pub type Body = Either<Full<Bytes>, hyper::body::Incoming>;

/// Far above the function's own 16 KiB limit, so the function still answers an oversized story
/// request with its 413; this only bounds what the playground holds to sign.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a request body may take to arrive (the head has its own limit, see `serve`).
pub const BODY_TIMEOUT_SECS: u64 = 10;

/// Why the playground answered a request itself instead of the Function URL.
#[derive(Debug, thiserror::Error)]
pub enum PlaygroundError {
    /// 403 `playground_forbidden`: not from the playground's own page (Host, Origin or
    /// Sec-Fetch-Site); the text says which header and what it held.
    #[error("{0}; the playground answers only its own page at its own address")]
    Forbidden(String),
    /// 405 `playground_method_not_allowed`: a method and path the playground does not forward.
    #[error("{method} {path} is not forwarded; the playground serves {served}")]
    MethodNotAllowed { method: String, path: String, served: String, allow: String },
    /// 400 `playground_bad_request`: a request target or header the playground will not sign.
    #[error("{0}")]
    BadRequest(String),
    /// 408 `playground_request_timeout`: the body did not arrive in time.
    #[error("the request body did not arrive within {BODY_TIMEOUT_SECS} s")]
    RequestTimeout,
    /// 413 `payload_too_large`.
    #[error("the request body is over {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    /// 500 `playground_signing_failed`: no region, no credentials, or the signer failed; 502
    /// `playground_sign_in_failed`: Cognito refused or could not be reached when the ID token
    /// was renewed.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// 502 `playground_upstream_unreachable`.
    #[error("the Function URL {target} could not be reached: {detail}")]
    Unreachable { target: Uri, detail: String },
}

impl PlaygroundError {
    /// The HTTP status of each error, here and nowhere else.
    pub fn status(&self) -> StatusCode {
        match self {
            PlaygroundError::Forbidden(_) => StatusCode::FORBIDDEN,
            PlaygroundError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            PlaygroundError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PlaygroundError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            PlaygroundError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PlaygroundError::Auth(AuthError::SignIn(_)) => StatusCode::BAD_GATEWAY,
            PlaygroundError::Auth(_) => StatusCode::INTERNAL_SERVER_ERROR,
            PlaygroundError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    /// The stable `code` of each error, as the page shows it.
    pub fn code(&self) -> &'static str {
        match self {
            PlaygroundError::Forbidden(_) => "playground_forbidden",
            PlaygroundError::MethodNotAllowed { .. } => "playground_method_not_allowed",
            PlaygroundError::BadRequest(_) => "playground_bad_request",
            PlaygroundError::RequestTimeout => "playground_request_timeout",
            PlaygroundError::PayloadTooLarge => "payload_too_large",
            PlaygroundError::Auth(AuthError::SignIn(_)) => "playground_sign_in_failed",
            PlaygroundError::Auth(_) => "playground_signing_failed",
            PlaygroundError::Unreachable { .. } => "playground_upstream_unreachable",
        }
    }

    /// `{"type":"error","code":…,"message":…}` as JSON, with `Allow` on a 405.
    pub fn response(&self) -> Response<Body> {
        let body = serde_json::json!({ "type": "error", "code": self.code(), "message": self.to_string() });
        let mut response = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        if let PlaygroundError::MethodNotAllowed { allow, .. } = self {
            response = response.header(header::ALLOW, HeaderValue::from_str(allow).expect("method names are ASCII"));
        }
        response.body(Either::Left(Full::new(Bytes::from(body.to_string())))).expect("a valid response")
    }
}
