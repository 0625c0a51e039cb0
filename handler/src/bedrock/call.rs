//! One ConverseStream request on the wire: signed with SigV4 for `bedrock` ([`crate::aws::Endpoint`]),
//! sent on the pooled connection, and sent again as the SDK's standard retry mode did until
//! Bedrock accepts it or refuses it for good.
//!
//! The SDK's standard mode (aws-smithy-types 1.9 `RetryConfig::standard`, aws-smithy-runtime 1.16
//! `StandardRetryStrategy`, read 2026-12-07): at most 3 attempts; before attempt n + 1 a wait of
//! `rand(0..1) × 1 s × 2^(n − 1)`, at most 20 s; retried: throttling and transient error codes,
//! `ModelNotReadyException`, HTTP 500/502/503/504 and a request that got no answer for a transient
//! reason ([`super::errors::retryable`]). Each attempt is signed anew. Not kept: the SDK's retry
//! token bucket (500 tokens, 5 per retry, 10 per timeout retry), which only runs dry after about
//! a hundred failed attempts in a row on one instance, and the `amz-sdk-*` headers that tell the
//! service which attempt it sees.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::errors::{self, Refusal};
use super::http_client::{self, Http};
use crate::aws::{CallError, Endpoint};

/// The SDK's standard retry mode's attempts.
const ATTEMPTS: u32 = 3;

/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Sends `POST path` with the JSON `body` until Bedrock accepts it (a 2xx, whose body is the
/// event stream) or refuses it for good.
pub(super) async fn send(
    endpoint: &Endpoint,
    http: &Http,
    path: &str,
    body: Bytes,
) -> Result<http::Response<Incoming>, Refusal> {
    let mut attempt = 1;
    loop {
        let (refusal, transient) = match attempt_once(endpoint, http, path, body.clone()).await {
            Ok(response) => return Ok(response),
            Err(failed) => failed,
        };
        if attempt >= ATTEMPTS || !errors::retryable(&refusal, transient) {
            return Err(refusal);
        }
        tracing::debug!(attempt, error = ?refusal, "Bedrock call retried");
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// The wait after `attempts` attempts: `rand(0..1) × 1 s × 2^(attempts − 1)`, at most 20 s.
fn backoff(attempts: u32) -> Duration {
    let exponential = Duration::from_secs(1).saturating_mul(2u32.saturating_pow(attempts - 1)).min(MAX_BACKOFF);
    exponential.mul_f64(fastrand::f64())
}

/// One signed attempt: the accepted response, or why not and whether no answer was transient.
async fn attempt_once(
    endpoint: &Endpoint,
    http: &Http,
    path: &str,
    body: Bytes,
) -> Result<http::Response<Incoming>, (Refusal, bool)> {
    let headers = [(http::header::CONTENT_TYPE, "application/json")];
    let request = endpoint.signed(http::Method::POST, path, &headers, body).await.map_err(|error| {
        let cause = match error {
            CallError::Credentials(detail) | CallError::Signing(detail) => detail,
            CallError::Unreachable { detail, .. } => detail,
        };
        (Refusal::Unreachable { cause }, false)
    })?;
    let response = match http.request(request).await {
        Ok(response) => response,
        Err(error) => {
            let transient = http_client::is_transient(&error);
            return Err((Refusal::Unreachable { cause: innermost(&error) }, transient));
        }
    };
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let error_type = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = match response.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        // The error's body broke off: what arrived names nothing; its status still decides.
        Err(_) => Bytes::new(),
    };
    Err((Refusal::from_answer(status, error_type.as_deref(), &body), false))
}

/// The last error in `error`'s source chain: what actually broke.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
