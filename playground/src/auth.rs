//! How requests reach the stack, by its `authType` (docs/deploy.md, "Invoke"): `AWS_IAM` signed
//! with SigV4, `NONE` as they are, `API_KEY` with the key's value in `x-api-key` (API Gateway's API
//! key header), `COGNITO` with a user's ID token in `Authorization`. The key and tokens are never
//! logged: their header values are marked sensitive, and [`Auth::describe`] names only ids.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};

use crate::api_key::{self, ApiKeyError};
use crate::args::Upstream;
use crate::cognito::{CognitoUser, SignInError};
use crate::signer::{Signer, SignerError};

/// The header API Gateway reads an API key from (with the API's key source `HEADER`, the default).
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// Why a request could not be authorized.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No region or credentials, or SigV4 failed; the text says what to set.
    #[error("{0}")]
    Signing(#[from] SignerError),
    /// The API key's value could not be fetched.
    #[error("{0}")]
    ApiKey(#[from] ApiKeyError),
    /// The Cognito user could not sign in.
    #[error("{0}")]
    SignIn(#[from] SignInError),
}

/// What each request to the stack carries.
#[derive(Debug)]
pub enum Auth {
    /// `AWS_IAM`: SigV4 for service `lambda`, with the credentials the chain gives at the time.
    SigV4(Signer),
    /// `NONE`.
    Unsigned,
    /// `API_KEY`: the value of the key `id`, fetched once.
    ApiKey { id: String, value: HeaderValue },
    /// `COGNITO`: the user's ID token, signed in again before it expires.
    Cognito(CognitoUser),
}

impl Auth {
    /// The way `upstream` names: `--unsigned`, `--api-key-id` (the key fetched now, so a missing
    /// right stops the tool before it serves), `--cognito-client-id` (signed in now, so a wrong
    /// password does too), else SigV4.
    pub async fn from_upstream(upstream: &Upstream) -> Result<Auth, AuthError> {
        if upstream.unsigned {
            return Ok(Auth::Unsigned);
        }
        if let Some(client_id) = &upstream.cognito_client_id {
            let region = Signer::region_from_environment(upstream.region.clone()).await?;
            let user = CognitoUser::from_environment(client_id, &region)?;
            user.id_token().await?;
            return Ok(Auth::Cognito(user));
        }
        let signer = Signer::from_environment(upstream.region.clone()).await?;
        match &upstream.api_key_id {
            Some(id) => Ok(Auth::ApiKey { id: id.clone(), value: api_key::fetch(&signer, id).await? }),
            None => Ok(Auth::SigV4(signer)),
        }
    }

    /// Adds what the stack needs to `request` (its `host` already set, for SigV4).
    pub async fn authorize(&self, request: &mut http::Request<Bytes>) -> Result<(), AuthError> {
        match self {
            Auth::SigV4(signer) => signer.sign(request).await?,
            Auth::Unsigned => {}
            Auth::ApiKey { value, .. } => {
                request.headers_mut().insert(API_KEY_HEADER, value.clone());
            }
            Auth::Cognito(user) => {
                request.headers_mut().insert(header::AUTHORIZATION, user.id_token().await?);
            }
        }
        Ok(())
    }

    /// How requests are sent, for a log line: ids and names, never a key, token or secret.
    pub fn describe(&self) -> String {
        match self {
            Auth::SigV4(signer) => format!("signed with SigV4 for service lambda in {}", signer.region()),
            Auth::Unsigned => "unsigned".to_owned(),
            Auth::ApiKey { id, .. } => format!("with the value of API key {id} as x-api-key"),
            Auth::Cognito(user) => format!("with a Cognito ID token of {} as Authorization", user.username()),
        }
    }

    /// What to tell the caller after an HTTP error status, beyond the status itself.
    pub fn advice(&self, status: http::StatusCode) -> Option<&'static str> {
        match (self, status.as_u16()) {
            (Auth::SigV4(_), 403) => Some(
                "Callers of a Function URL need lambda:InvokeFunctionUrl and lambda:InvokeFunction on the function, and credentials for its account.",
            ),
            (Auth::ApiKey { .. }, 403) => Some(
                "The API key was refused: check that it is enabled and in the stack's usage plan (pulumi stack output apiKeyIds).",
            ),
            (Auth::ApiKey { .. }, 429) => Some("The API key is over its usage plan's rate or daily quota."),
            (Auth::Cognito(_), 401 | 403) => Some(
                "The ID token was refused: check that the user belongs to the stack's user pool (pulumi stack output userPoolId).",
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_key() -> Auth {
        let mut value = HeaderValue::from_static("the-key-value");
        value.set_sensitive(true);
        Auth::ApiKey { id: "a1b2c3".into(), value }
    }

    #[tokio::test]
    async fn the_key_goes_in_x_api_key_and_never_into_a_description_or_debug_output() {
        let auth = api_key();
        let mut request = http::Request::new(Bytes::new());
        auth.authorize(&mut request).await.unwrap();
        assert_eq!(request.headers()["x-api-key"], "the-key-value");
        assert!(request.headers()["x-api-key"].is_sensitive());
        assert_eq!(auth.describe(), "with the value of API key a1b2c3 as x-api-key");
        assert!(!format!("{auth:?} {request:?}").contains("the-key-value"));
        let mut unsigned = http::Request::new(Bytes::new());
        Auth::Unsigned.authorize(&mut unsigned).await.unwrap();
        assert!(unsigned.headers().is_empty());
    }

    #[tokio::test]
    async fn each_refusal_gets_advice_for_its_kind_of_auth() {
        let signer = Auth::SigV4(Signer::from_environment(Some("eu-west-1".into())).await.unwrap());
        let forbidden = http::StatusCode::FORBIDDEN;
        assert!(signer.advice(forbidden).unwrap().contains("lambda:InvokeFunctionUrl and lambda:InvokeFunction"));
        assert!(api_key().advice(forbidden).unwrap().contains("usage plan"));
        assert!(api_key().advice(http::StatusCode::TOO_MANY_REQUESTS).unwrap().contains("daily quota"));
        assert_eq!(Auth::Unsigned.advice(forbidden), None);
        assert_eq!(api_key().advice(http::StatusCode::BAD_REQUEST), None);
    }
}
