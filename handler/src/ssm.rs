//! One Systems Manager Parameter Store parameter's value, read with `GetParameter` (SSM API
//! reference, GetParameter, read 2026-12-07): the JSON 1.1 protocol's `POST /` with
//! `X-Amz-Target: AmazonSSM.GetParameter` and the body `{"Name": …, "WithDecryption": true}` (the
//! flag decrypts a `SecureString` and is ignored for `String` and `StringList`), SigV4-signed for
//! service `ssm`; the answer is `{"Parameter": {"Value": …, …}}`, an error a 400 whose JSON
//! `__type` names it (`ParameterNotFound`, `AccessDeniedException`, …). `Name` is the parameter's
//! name or ARN (1 to 2,048 characters). Made as [`crate::aws`] makes every call besides Bedrock's.
//! The endpoint is `https://ssm.<region>.amazonaws.com`, or `AWS_ENDPOINT_URL_SSM` (how the tests
//! reach the emulator's stand-in).

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;

use crate::aws::{self, CallError, Service, ServiceName};

/// The longest one attempt may take: the read runs at cold start, before the instance serves.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// Attempts at a read SSM answered with throttling or a server error, or did not answer: many
/// instances starting at once share GetParameter's requests per second.
const ATTEMPTS: u32 = 3;

const SSM: ServiceName = ServiceName { sdk_id: "SSM", host: "ssm", signing_name: "ssm" };

/// Parameter Store in the function's region.
pub struct ParameterStore {
    ssm: Service,
}

#[derive(Debug, thiserror::Error)]
pub enum ParameterError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("SSM did not answer within {0:?}")]
    Timeout(Duration),
    #[error("SSM Parameter Store has no such parameter (ParameterNotFound)")]
    NotFound,
    #[error(
        "the function's role may not read it ({code}: {message}); it needs ssm:GetParameter on the parameter's ARN, and \
         kms:Decrypt on the key of a SecureString encrypted with a customer managed key"
    )]
    AccessDenied { code: String, message: String },
    #[error("SSM answered {status} {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    #[error("SSM's answer holds no Parameter.Value: {0}")]
    Malformed(String),
}

impl ParameterError {
    /// Worth another attempt: throttling, a server error, no answer.
    fn is_transient(&self) -> bool {
        match self {
            ParameterError::Call(CallError::Unreachable { .. }) | ParameterError::Timeout(_) => true,
            ParameterError::Refused { status, code, .. } => *status >= 500 || code.contains("Throttl"),
            _ => false,
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Parameter")]
    parameter: Parameter,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "Value")]
    value: String,
}

/// An error's body: `__type` (possibly `namespace#Name`) and its message, spelled either way.
#[derive(Deserialize)]
struct Fault {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(alias = "Message", default)]
    message: String,
}

impl ParameterStore {
    /// In `config`'s region, with its credentials.
    pub fn new(config: &aws::Config) -> ParameterStore {
        ParameterStore { ssm: Service::new(SSM, config) }
    }

    /// On `endpoint` (such as the emulator's) with fixed credentials.
    pub fn for_endpoint(endpoint: &str, region: &str, access_key_id: &str, secret_access_key: &str) -> ParameterStore {
        ParameterStore::new(&aws::Config::for_endpoint(endpoint, region, access_key_id, secret_access_key))
    }

    /// The value of the parameter `name` (a name or an ARN), decrypted if it is a `SecureString`.
    pub async fn get(&self, name: &str) -> Result<String, ParameterError> {
        let mut attempt = 1;
        loop {
            let read = tokio::time::timeout(READ_TIMEOUT, self.get_once(name))
                .await
                .unwrap_or(Err(ParameterError::Timeout(READ_TIMEOUT)));
            match read {
                Err(error) if error.is_transient() && attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn get_once(&self, name: &str) -> Result<String, ParameterError> {
        let body = serde_json::json!({"Name": name, "WithDecryption": true}).to_string();
        let headers = [
            (http::header::CONTENT_TYPE, "application/x-amz-json-1.1"),
            (http::HeaderName::from_static("x-amz-target"), "AmazonSSM.GetParameter"),
        ];
        let answer = self.ssm.post(&headers, Bytes::from(body)).await?;
        if answer.status.is_success() {
            return serde_json::from_slice::<Answer>(&answer.body)
                .map(|a| a.parameter.value)
                .map_err(|e| ParameterError::Malformed(e.to_string()));
        }
        let fault: Fault = serde_json::from_slice(&answer.body).unwrap_or(Fault {
            kind: String::new(),
            message: String::from_utf8_lossy(&answer.body).chars().take(300).collect(),
        });
        let code = fault.kind.rsplit('#').next().unwrap_or_default().to_owned();
        Err(match code.as_str() {
            "ParameterNotFound" => ParameterError::NotFound,
            "AccessDeniedException" => ParameterError::AccessDenied { code, message: fault.message },
            _ => ParameterError::Refused { status: answer.status.as_u16(), code, message: fault.message },
        })
    }
}
