//! `bedrock-playground invoke`: one story request to the stack, authorized as the page's are
//! (`auth`), its answer streamed to stdout as it arrives (what `just invoke` runs).

use std::io::Write;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};

use crate::args::Invoke;
use crate::auth::{Auth, AuthError};
use crate::proxy::{error_chain, https_client};

/// Why `invoke` could not send its request or pass on the whole answer (an HTTP error status is
/// not one of these: it is an answer, passed on).
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No region or credentials, no API key value, no Cognito sign-in; the text says what to set.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// `--accept` holds what cannot be a header value.
    #[error("--accept {0:?} is not a header value")]
    BadAccept(String),
    /// The Function URL could not be reached (the causes joined).
    #[error("the request to {target} failed: {detail}")]
    Unreachable { target: String, detail: String },
    /// The connection broke while the answer streamed.
    #[error("the answer from {target} was cut: {detail}")]
    Cut { target: String, detail: String },
    /// The HTTPS client found no usable root certificates.
    #[error("the system's root certificates could not be loaded: {0}")]
    Roots(std::io::Error),
    /// stdout could not be written (closed early, say).
    #[error("stdout: {0}")]
    Stdout(#[from] std::io::Error),
}

/// The request body: `storyType`, and `model` unless empty, as JSON (so quotes, backslashes or a
/// leading dash in either stay one string).
pub fn body(story_type: &str, model: &str) -> Bytes {
    let mut body = serde_json::json!({ "storyType": story_type });
    if !model.is_empty() {
        body["model"] = model.into();
    }
    Bytes::from(body.to_string())
}

/// Sends the story request, authorized by `auth`, and copies the answer to `out` chunk by chunk,
/// flushing each; writes `HTTP <status>` on its own line to `err` as soon as the head arrives.
/// Returns the status.
pub async fn invoke(
    args: &Invoke,
    auth: &Auth,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<StatusCode, InvokeError> {
    let target = args.upstream.target().clone();
    let accept = HeaderValue::from_str(&args.accept).map_err(|_| InvokeError::BadAccept(args.accept.clone()))?;
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(target.clone())
        .body(body(&args.story_type, &args.model))
        .expect("a valid request");
    let headers = request.headers_mut();
    let host = target.authority().expect("a Function URL has an authority").as_str();
    headers.insert(header::HOST, HeaderValue::from_str(host).expect("an authority is a valid header value"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::ACCEPT, accept);
    auth.authorize(&mut request).await?;
    let client = https_client().map_err(InvokeError::Roots)?;
    let response = client
        .request(request.map(Full::new))
        .await
        .map_err(|e| InvokeError::Unreachable { target: target.to_string(), detail: error_chain(&e) })?;
    let status = response.status();
    writeln!(err, "HTTP {status}")?;
    let mut body = response.into_body();
    let mut last = b'\n';
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| InvokeError::Cut { target: target.to_string(), detail: error_chain(&e) })?;
        if let Ok(data) = frame.into_data()
            && let Some(&end) = data.last()
        {
            out.write_all(&data)?;
            out.flush()?;
            last = end;
        }
    }
    // A text/plain story ends without a newline; the shell's prompt then starts on a line of its own.
    if last != b'\n' {
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_json_whatever_the_story_type_and_model_hold() {
        for (story_type, model) in [(r#"say "hi""#, r"a\b"), ("-cats_", "-x"), ("it's", "$(true)"), ("CATS", "")] {
            let sent: serde_json::Value = serde_json::from_slice(&body(story_type, model)).unwrap();
            assert_eq!(sent["storyType"], story_type);
            match model {
                "" => assert!(sent.get("model").is_none(), "an empty model: the stack's default"),
                model => assert_eq!(sent["model"], model),
            }
        }
    }
}
