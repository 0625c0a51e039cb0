//! A Cognito user's ID token for a COGNITO stack: Cognito's InitiateAuth with the flow
//! `USER_PASSWORD_AUTH`, as `aws cognito-idp initiate-auth` sends it (`POST /` to
//! `cognito-idp.<region>.amazonaws.com`, `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target:
//! AWSCognitoIdentityProviderService.InitiateAuth`; unsigned: Cognito evaluates no IAM policy for
//! it; InitiateAuth, Amazon Cognito User Pools API Reference, read 2026-12-07). The stack's app
//! client has no secret, so no `SECRET_HASH`. The token goes in `Authorization` as it is, which
//! API Gateway's Cognito authorizer reads ("Call a REST API integrated with an Amazon Cognito
//! user pool", API Gateway developer guide, read 2026-12-07). The password and tokens stay in
//! memory only.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use http::header::{self, HeaderValue};
use tokio::sync::Mutex;

use crate::aws_call;

/// Cognito's user pools endpoint host prefix (`cognito-idp.<region>.amazonaws.com`).
const HOST_PREFIX: &str = "cognito-idp";

/// The SDKs' service-specific endpoint variable for Cognito user pools (service id `Cognito
/// Identity Provider`).
pub const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";

/// The user to sign in as: this project's own variables (not `STREAMER_*`, which the handler
/// reads and refuses when unknown).
pub const USERNAME_VARIABLE: &str = "BEDROCK_STREAMER_COGNITO_USERNAME";
pub const PASSWORD_VARIABLE: &str = "BEDROCK_STREAMER_COGNITO_PASSWORD";

/// A token this close to its end is replaced before a request is sent with it, so a request
/// never leaves with a token that expires on the way or while the gateway checks it.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Why no ID token.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(
        "{0} is not set: a COGNITO stack needs a user of its user pool ({USERNAME_VARIABLE} and {PASSWORD_VARIABLE})"
    )]
    NoUser(&'static str),
    #[error("Cognito could not be reached: {0}")]
    Call(String),
    /// Cognito refused: a wrong user or password, or an app client without USER_PASSWORD_AUTH.
    #[error("Cognito refused the sign-in of {username}: {detail}")]
    Refused { username: String, detail: String },
    /// The pool wants more than a password (a new password, MFA): the user must finish that first.
    #[error(
        "Cognito asks {username} for {challenge} before it gives tokens: finish it once (e.g. `aws cognito-idp admin-set-user-password --permanent` for NEW_PASSWORD_REQUIRED), then retry"
    )]
    Challenge { username: String, challenge: String },
    #[error("Cognito's answer holds no ID token: {0}")]
    NoToken(String),
}

/// A user of the pool and its app client, signing in again whenever the last ID token nears its
/// end (the playground runs for hours; an ID token lasts one by default).
pub struct CognitoUser {
    endpoint: http::Uri,
    client_id: String,
    username: String,
    password: String,
    token: Mutex<Option<(HeaderValue, Instant)>>,
}

impl std::fmt::Debug for CognitoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoUser").field("client_id", &self.client_id).field("username", &self.username).finish()
    }
}

impl CognitoUser {
    /// The user named by [`USERNAME_VARIABLE`] and [`PASSWORD_VARIABLE`], for the app client
    /// `client_id` of a pool in `region`.
    pub fn from_environment(client_id: &str, region: &str) -> Result<CognitoUser, SignInError> {
        let read =
            |name: &'static str| std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(SignInError::NoUser(name));
        let (username, password) = (read(USERNAME_VARIABLE)?, read(PASSWORD_VARIABLE)?);
        let endpoint = aws_call::endpoint(ENDPOINT_VARIABLE, HOST_PREFIX, region).map_err(SignInError::Call)?;
        Ok(CognitoUser { endpoint, client_id: client_id.to_owned(), username, password, token: Mutex::new(None) })
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// An ID token with more than [`RENEW_BEFORE`] left, signing in when there is none (a
    /// sensitive header value, printed as `Sensitive` by `Debug`).
    pub async fn id_token(&self) -> Result<HeaderValue, SignInError> {
        let mut token = self.token.lock().await;
        if let Some((value, until)) = token.as_ref()
            && until.saturating_duration_since(Instant::now()) > RENEW_BEFORE
        {
            return Ok(value.clone());
        }
        let (value, lifetime) = self.sign_in().await?;
        *token = Some((value.clone(), Instant::now() + lifetime));
        Ok(value)
    }

    async fn sign_in(&self) -> Result<(HeaderValue, Duration), SignInError> {
        let body = serde_json::json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": self.client_id,
            "AuthParameters": { "USERNAME": self.username, "PASSWORD": self.password },
        });
        let mut request =
            aws_call::request(Method::POST, aws_call::join(&self.endpoint, "/"), Bytes::from(body.to_string()));
        let headers = request.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert("x-amz-target", HeaderValue::from_static("AWSCognitoIdentityProviderService.InitiateAuth"));
        let (status, headers, body) = aws_call::send(request).await.map_err(SignInError::Call)?;
        if !status.is_success() {
            let detail = aws_call::error_line(status, &headers, &body);
            return Err(SignInError::Refused { username: self.username.clone(), detail });
        }
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let Some(challenge) = answer["ChallengeName"].as_str() {
            return Err(SignInError::Challenge { username: self.username.clone(), challenge: challenge.to_owned() });
        }
        let result = &answer["AuthenticationResult"];
        let mut value = result["IdToken"].as_str().and_then(|t| HeaderValue::from_str(t).ok()).ok_or_else(|| {
            SignInError::NoToken(format!("HTTP {} without AuthenticationResult.IdToken", status.as_u16()))
        })?;
        value.set_sensitive(true);
        // An app client may give ID and access tokens different lifetimes, and `ExpiresIn` is
        // one number: the token's own `exp` decides, then `ExpiresIn`, else renew every time.
        let lifetime = result["IdToken"]
            .as_str()
            .and_then(jwt_lifetime)
            .or_else(|| result["ExpiresIn"].as_u64().map(Duration::from_secs))
            .unwrap_or(Duration::ZERO);
        Ok((value, lifetime))
    }
}

/// The time left until a JWT's `exp` claim (seconds since the Unix epoch, RFC 7519 section
/// 4.1.4), read from its payload without checking the signature (the gateway checks that).
fn jwt_lifetime(token: &str) -> Option<Duration> {
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    let exp = serde_json::from_slice::<serde_json::Value>(&payload).ok()?["exp"].as_u64()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_lives_until_its_exp_claim() {
        use base64::Engine;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let encode = |json: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let token =
            format!("{}.{}.sig", encode(r#"{"alg":"RS256"}"#.into()), encode(format!(r#"{{"exp":{}}}"#, now + 600)));
        let left = jwt_lifetime(&token).unwrap();
        assert!(left <= Duration::from_secs(600) && left >= Duration::from_secs(590), "{left:?}");
        let expired = format!("h.{}.s", encode(format!(r#"{{"exp":{}}}"#, now - 5)));
        assert_eq!(jwt_lifetime(&expired), Some(Duration::ZERO));
        assert_eq!(jwt_lifetime("not-a-jwt"), None);
    }
}
