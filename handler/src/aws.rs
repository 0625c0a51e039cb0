//! How the function makes its AWS calls (Bedrock's ConverseStream, CloudWatch's `DescribeAlarms`
//! for the budget, Systems Manager's `GetParameter` for a system prompt): SigV4-signed requests
//! made with aws-config's credential chain and endpoint settings, aws-sigv4, hyper and rustls,
//! instead of an `aws-sdk-*` crate per service, whose generated code would grow the arm64 zip for
//! a few calls an instance makes. [`Endpoint`] says where a service is and signs its requests;
//! [`Service`] sends one `POST /` with it (Bedrock sends its own, [`crate::bedrock`]).
//!
//! The endpoint is the service's regional one, `https://<host>.<region>.amazonaws.com`, or the
//! SDKs' endpoint setting for the service (`AWS_ENDPOINT_URL_<SERVICE ID>`, then
//! `AWS_ENDPOINT_URL`: how the tests reach the emulator and its stand-ins).

use std::time::SystemTime;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_types::service_config::ServiceConfigKey;
use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::bedrock;

/// How one service is named: the SDKs' service id (which names its endpoint variable), the first
/// label of its regional host, and its SigV4 signing name.
#[derive(Debug, Clone, Copy)]
pub struct ServiceName {
    pub sdk_id: &'static str,
    pub host: &'static str,
    pub signing_name: &'static str,
}

/// Where one AWS service is reached and how its requests are signed: its endpoint, the region,
/// and the role's credentials. Bedrock's calls use it with their own HTTP client
/// ([`crate::bedrock`]); every other call goes through a [`Service`].
#[derive(Debug)]
pub struct Endpoint {
    name: ServiceName,
    url: String,
    region: String,
    credentials: SharedCredentialsProvider,
}

/// One AWS service the function calls, in its region, with its role's credentials.
pub struct Service {
    endpoint: Endpoint,
    http: HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no credentials: {0}")]
    Credentials(String),
    #[error("the request could not be signed: {0}")]
    Signing(String),
    #[error("{service} did not answer: {detail}")]
    Unreachable { service: &'static str, detail: String },
}

/// A service's answer: its HTTP status and body.
pub struct Answer {
    pub status: http::StatusCode,
    pub body: Bytes,
}

/// The SDKs' configuration from this process's environment (region, credentials, endpoints),
/// with the Bedrock client's HTTP client for the credential providers that call out: the handler
/// builds aws-config without its default HTTPS client, and a load without one panics.
pub async fn config_from_env() -> SdkConfig {
    config_loader().http_client(bedrock::sdk_http_client()).load().await
}

/// aws-config's loader as the function uses it, for the Bedrock client and the calls here: the
/// SDK's default chains for region, endpoints and credentials, except that credentials in the
/// environment (where Lambda puts the role's) are read from there alone. They would win anyway
/// (the environment comes first in the default credential chain, which goes on only when a
/// provider finds nothing), but building the chain builds its later providers first, among them
/// a web-identity provider with an STS client of its own: ~0.5 M instructions, a tenth of the
/// handler's cold start (callgrind, docs/performance.md step 8).
pub fn config_loader() -> ConfigLoader {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    let environment = EnvironmentVariableCredentialsProvider::new();
    // Reading the environment does not wait: the future is ready when first polled.
    match environment.provide_credentials().now_or_never() {
        Some(Ok(_)) => loader.credentials_provider(environment),
        _ => loader,
    }
}

/// A configuration for `endpoint` (such as the emulator's) with fixed credentials.
pub fn config_for_endpoint(endpoint: &str, region: &str, access_key_id: &str, secret_access_key: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "static",
        )))
        .endpoint_url(endpoint)
        .build()
}

impl Endpoint {
    /// The service's endpoint from `config`: `AWS_ENDPOINT_URL_<SERVICE ID>` (or the profile's
    /// `endpoint_url` for the service), then `AWS_ENDPOINT_URL`, else the regional
    /// `https://<host>.<region>.amazonaws.com`.
    pub fn new(name: ServiceName, config: &SdkConfig) -> Endpoint {
        let region = config.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let key =
            ServiceConfigKey::builder().service_id(name.sdk_id).profile("endpoint_url").env("AWS_ENDPOINT_URL").build();
        let url = key
            .ok()
            .and_then(|key| config.service_config().and_then(|c| c.load_config(key)))
            .or_else(|| config.endpoint_url().map(str::to_owned))
            .unwrap_or_else(|| format!("https://{}.{region}.amazonaws.com", name.host));
        let credentials = config
            .credentials_provider()
            .unwrap_or_else(|| SharedCredentialsProvider::new(Credentials::new("", "", None, None, "none")));
        Endpoint { name, url: url.trim_end_matches('/').to_owned(), region, credentials }
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The service's SDK id (`Bedrock Runtime`, `SSM`), for messages.
    pub fn service(&self) -> &'static str {
        self.name.sdk_id
    }

    /// A `method` request for `path` (which starts with `/`) with `headers` and `body`,
    /// SigV4-signed with the credentials' current keys for the service's signing name and region.
    pub async fn signed(
        &self,
        method: http::Method,
        path: &str,
        headers: &[(http::HeaderName, &str)],
        body: Bytes,
    ) -> Result<http::Request<Full<Bytes>>, CallError> {
        let mut builder = http::Request::builder().method(method).uri(format!("{}{path}", self.url));
        for (name, value) in headers {
            builder = builder.header(name, *value);
        }
        let mut request = builder.body(Full::new(body.clone())).map_err(|e| CallError::Signing(e.to_string()))?;
        let credentials =
            self.credentials.provide_credentials().await.map_err(|e| CallError::Credentials(e.to_string()))?;
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.name.signing_name)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| CallError::Signing(e.to_string()))?
            .into();
        let uri = request.uri().to_string();
        let headers = request.headers().iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)));
        let signable = SignableRequest::new(request.method().as_str(), &uri, headers, SignableBody::Bytes(&body))
            .map_err(|e| CallError::Signing(e.to_string()))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|e| CallError::Signing(e.to_string()))?.into_parts();
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}

impl Service {
    pub fn new(name: ServiceName, config: &SdkConfig) -> Service {
        let https =
            HttpsConnectorBuilder::new().with_tls_config(bedrock::tls_config()).https_or_http().enable_http1().build();
        let http = HttpClient::builder(TokioExecutor::new()).build(https);
        Service { endpoint: Endpoint::new(name, config), http }
    }

    /// Signs and sends `POST /` with `headers` and `body`; any HTTP status is an [`Answer`].
    pub async fn post(&self, headers: &[(http::HeaderName, &str)], body: Bytes) -> Result<Answer, CallError> {
        let unreachable = |detail: String| CallError::Unreachable { service: self.endpoint.service(), detail };
        let request = self.endpoint.signed(http::Method::POST, "/", headers, body).await?;
        let response = self.http.request(request).await.map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|e| unreachable(e.to_string()))?.to_bytes();
        Ok(Answer { status, body })
    }
}
