//! The value of an API Gateway API key, fetched as `aws apigateway get-api-key --include-value`
//! does: API Gateway's GetApiKey, `GET /apikeys/{api_Key}?includeValue=true`, signed with SigV4 for
//! service `apigateway` with the caller's AWS credentials (GetApiKey, Amazon API Gateway API
//! Reference; boto3's `get_api_key` and the AWS CLI's `get-api-key`, read 2026-12-07). The value is
//! kept in memory only: never on a command line, in a file or in a log line.

use bytes::Bytes;
use http::Method;
use http::header::{self, HeaderValue};

use crate::aws_call;
use crate::signer::{Signer, SignerError};

/// API Gateway's signing name and endpoint host prefix (`apigateway.<region>.amazonaws.com`).
const SERVICE: &str = "apigateway";

/// The SDKs' service-specific endpoint variable for API Gateway (service id `API Gateway`).
pub const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_API_GATEWAY";

/// Why no key value.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("{0}")]
    Signing(#[from] SignerError),
    /// An id API Gateway never issues (ids are letters and digits); refused before any call.
    #[error("the API key id {0:?} is not an API Gateway key id (letters and digits)")]
    BadId(String),
    #[error("the API key {id} could not be fetched from API Gateway: {detail}")]
    Call { id: String, detail: String },
    /// API Gateway answered with an error (the caller may lack `apigateway:GET` on the key).
    #[error(
        "API Gateway refused GetApiKey for the key {id}: {detail} (the caller needs apigateway:GET on arn:aws:apigateway:<region>::/apikeys/{id})"
    )]
    Refused { id: String, detail: String },
    #[error("API Gateway's answer for the key {id} holds no value")]
    NoValue { id: String },
    #[error("the API key {id} is disabled in API Gateway: enable it, or use another key")]
    Disabled { id: String },
}

/// Fetches the value of the key `id` in `signer`'s region, as a sensitive header value (printed
/// as `Sensitive` by `Debug`).
pub async fn fetch(signer: &Signer, id: &str) -> Result<HeaderValue, ApiKeyError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiKeyError::BadId(id.to_owned()));
    }
    let call = |detail| ApiKeyError::Call { id: id.to_owned(), detail };
    let base = aws_call::endpoint(ENDPOINT_VARIABLE, SERVICE, signer.region()).map_err(call)?;
    let uri = aws_call::join(&base, &format!("/apikeys/{id}?includeValue=true"));
    let mut request = aws_call::request(Method::GET, uri, Bytes::new());
    request.headers_mut().insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    signer.sign_for(SERVICE, &mut request).await?;
    let (status, headers, body) = aws_call::send(request).await.map_err(call)?;
    if !status.is_success() {
        return Err(ApiKeyError::Refused { id: id.to_owned(), detail: aws_call::error_line(status, &headers, &body) });
    }
    let key: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| call(format!("the answer is not JSON: {e}")))?;
    if key["enabled"] == false {
        return Err(ApiKeyError::Disabled { id: id.to_owned() });
    }
    let mut value = key["value"]
        .as_str()
        .filter(|v| !v.is_empty())
        .and_then(|v| HeaderValue::from_str(v).ok())
        .ok_or_else(|| ApiKeyError::NoValue { id: id.to_owned() })?;
    value.set_sensitive(true);
    Ok(value)
}
