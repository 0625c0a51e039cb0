//! SigV4 for Function URL calls (service `lambda`) and API Gateway's control plane (service
//! `apigateway`, for GetApiKey): credentials from the standard AWS chain (session tokens
//! included), and the payload's SHA-256 in `x-amz-content-sha256`.

use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::error::display::DisplayErrorContext;
use bytes::Bytes;

/// The signing name of Lambda, Function URLs included ("Invoking Lambda function URLs", AWS
/// Lambda developer guide, read 2026-11-29).
pub const LAMBDA: &str = "lambda";

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("no AWS region: pass --region or set AWS_REGION (or a region in your AWS profile)")]
    NoRegion,
    #[error("no AWS credentials provider: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentialsProvider,
    #[error(
        "the AWS credentials could not be loaded ({0}); run `aws sso login`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID"
    )]
    Credentials(String),
    #[error("the request could not be signed: {0}")]
    Signing(String),
}

/// Signs requests for one region with whatever credentials the chain gives at the time (so
/// refreshed SSO or role credentials are picked up while the playground runs).
#[derive(Debug)]
pub struct Signer {
    credentials: SharedCredentialsProvider,
    region: String,
}

impl Signer {
    /// The standard chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, then
    /// `AWS_PROFILE` and the shared config files, …; `region` overrides the chain's region.
    pub async fn from_environment(region: Option<String>) -> Result<Self, SignerError> {
        let config = load(region).await;
        let region = config.region().ok_or(SignerError::NoRegion)?.to_string();
        let credentials = config.credentials_provider().ok_or(SignerError::NoCredentialsProvider)?;
        Ok(Signer { credentials, region })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// `region`, else the chain's (`AWS_REGION`, the profile's, ...), without loading credentials
    /// (a Cognito sign-in needs a region and no AWS credentials).
    pub async fn region_from_environment(region: Option<String>) -> Result<String, SignerError> {
        load(region).await.region().map(|r| r.to_string()).ok_or(SignerError::NoRegion)
    }

    /// Signs for a Function URL (service [`LAMBDA`]); see [`Signer::sign_for`].
    pub async fn sign(&self, request: &mut http::Request<Bytes>) -> Result<(), SignerError> {
        self.sign_for(LAMBDA, request).await
    }

    /// Adds `authorization`, `x-amz-date`, `x-amz-content-sha256` and, with temporary credentials,
    /// `x-amz-security-token`, for `service` (its signing name). Every header already on the
    /// request is signed, so set `host` first.
    pub async fn sign_for(&self, service: &str, request: &mut http::Request<Bytes>) -> Result<(), SignerError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| SignerError::Credentials(DisplayErrorContext(e).to_string()))?;
        let identity: Identity = credentials.into();
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| SignerError::Signing(e.to_string()))?
            .into();
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| Ok((name.as_str(), value.to_str()?)))
            .collect::<Result<Vec<_>, http::header::ToStrError>>()
            .map_err(|e| SignerError::Signing(format!("a header is not visible ASCII: {e}")))?;
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            &uri,
            headers.into_iter(),
            SignableBody::Bytes(request.body()),
        )
        .map_err(|e| SignerError::Signing(e.to_string()))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|e| SignerError::Signing(e.to_string()))?.into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
    }
}

/// The standard chain's configuration, `region` overriding its region; its own calls (SSO, the
/// instance metadata service) go through the HTTPS client the playground carries (rustls, ring).
async fn load(region: Option<String>) -> aws_config::SdkConfig {
    let https =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https);
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    loader.load().await
}
