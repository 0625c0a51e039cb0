//! One small call to an AWS service's own API (API Gateway's GetApiKey, Cognito's InitiateAuth):
//! where it goes, sent with a time limit, its JSON answer read whole, and AWS's error shapes read
//! into one line.
//!
//! Two calls, so no SDK crate for them: aws-sdk-apigateway and aws-sdk-cognitoidentityprovider
//! are generated clients of whole services (over a hundred operations each), whose build would
//! outweigh the playground's own for one GET and one POST. The signing is aws-sigv4's, as for
//! Function URLs (`signer`), and the request and answer shapes follow the API references; the
//! stand-in the tests run against answers boto3's own clients too
//! (clients/python/test_gateway_standin.py).

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};

use crate::proxy::{error_chain, https_client};

/// How long one call may take, answer included.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of an answer read (an API key or a set of tokens is a few KiB).
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// A service's endpoint: `AWS_ENDPOINT_URL_<SERVICE>` when set (the AWS SDKs' service-specific
/// endpoint variable, e.g. `AWS_ENDPOINT_URL_API_GATEWAY`; "Service-specific endpoints", AWS SDKs
/// and Tools Reference Guide, read 2026-12-07), else `https://<host_prefix>.<region>.amazonaws.com`.
/// The tests point it at a local stand-in.
pub fn endpoint(variable: &str, host_prefix: &str, region: &str) -> Result<Uri, String> {
    let url = match std::env::var(variable) {
        Ok(url) if !url.is_empty() => url,
        _ => format!("https://{host_prefix}.{region}.amazonaws.com"),
    };
    let uri: Uri = url.parse().map_err(|e| format!("{variable} {url:?} is not a URL: {e}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(_)) => Ok(uri),
        _ => Err(format!("{variable} {url:?} must be an http:// or https:// URL")),
    }
}

/// `base` (an [`endpoint`]) with `path_and_query` appended to its path.
pub fn join(base: &Uri, path_and_query: &str) -> Uri {
    let mut parts = base.clone().into_parts();
    let prefix = base.path().trim_end_matches('/');
    parts.path_and_query = Some(format!("{prefix}{path_and_query}").parse().expect("a valid path"));
    Uri::from_parts(parts).expect("a valid URI")
}

/// A request to `uri` with its `host` set (SigV4 signs it, so it is set before signing).
pub fn request(method: http::Method, uri: Uri, body: Bytes) -> Request<Bytes> {
    let host = uri.authority().expect("an endpoint has an authority").as_str().to_owned();
    let mut request = Request::builder().method(method).uri(uri).body(body).expect("a valid request");
    request.headers_mut().insert(header::HOST, HeaderValue::from_str(&host).expect("an authority is a header value"));
    request
}

/// Sends `request` and reads the whole answer within [`CALL_TIMEOUT`]: its status, headers and
/// body, or why there is none (the causes joined).
pub async fn send(request: Request<Bytes>) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    let target = request.uri().to_string();
    let client = https_client().map_err(|e| format!("the system's root certificates could not be loaded: {e}"))?;
    let exchange = async {
        let response = client.request(request.map(Full::new)).await.map_err(|e| error_chain(&e))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_ANSWER_BYTES).collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok::<_, String>((parts.status, parts.headers, body))
    };
    match tokio::time::timeout(CALL_TIMEOUT, exchange).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(detail)) => Err(format!("{target} could not be reached: {detail}")),
        Err(_) => Err(format!("{target} did not answer within {} s", CALL_TIMEOUT.as_secs())),
    }
}

/// AWS's error in one line, `Type: message`: the type from `x-amzn-ErrorType` (REST-JSON services
/// such as API Gateway) or the body's `__type` (JSON services such as Cognito), either cut at `:`
/// or `#` as the AWS SDKs do; the message from the body's `message` (or `Message`). Falls back to
/// the HTTP status.
pub fn error_line(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let kind =
        headers.get("x-amzn-errortype").and_then(|v| v.to_str().ok()).or_else(|| json["__type"].as_str()).map(|kind| {
            let kind = kind.split(':').next().unwrap_or(kind);
            kind.rsplit('#').next().unwrap_or(kind).to_owned()
        });
    let message = json["message"].as_str().or_else(|| json["Message"].as_str());
    match (kind, message) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (Some(kind), None) => kind,
        (None, Some(message)) => format!("HTTP {}: {message}", status.as_u16()),
        (None, None) => format!("HTTP {}", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_type_and_message_in_both_aws_json_shapes() {
        let mut rest = HeaderMap::new();
        rest.insert("x-amzn-errortype", HeaderValue::from_static("NotFoundException:http://internal.amazon.com/"));
        let body = br#"{"message":"Invalid API Key identifier specified"}"#;
        assert_eq!(
            error_line(StatusCode::NOT_FOUND, &rest, body),
            "NotFoundException: Invalid API Key identifier specified"
        );
        let json =
            br#"{"__type":"com.amazonaws.cognito#NotAuthorizedException","message":"Incorrect username or password."}"#;
        assert_eq!(
            error_line(StatusCode::BAD_REQUEST, &HeaderMap::new(), json),
            "NotAuthorizedException: Incorrect username or password."
        );
        assert_eq!(error_line(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>"), "HTTP 502");
    }

    #[test]
    fn paths_join_below_the_endpoint() {
        let local: Uri = "http://127.0.0.1:4000/control".parse().unwrap();
        assert_eq!(
            join(&local, "/apikeys/abc?includeValue=true").to_string(),
            "http://127.0.0.1:4000/control/apikeys/abc?includeValue=true"
        );
        let aws: Uri = "https://apigateway.eu-west-1.amazonaws.com".parse().unwrap();
        assert_eq!(join(&aws, "/").to_string(), "https://apigateway.eu-west-1.amazonaws.com/");
    }
}
