//! How the function makes its AWS calls (Bedrock's ConverseStream, CloudWatch's `DescribeAlarms`
//! for the budget, Systems Manager's `GetParameter` for a system prompt): SigV4-signed requests
//! made with the region, credentials and endpoint settings of a [`Config`] (read once at cold
//! start: the environment, or aws-config's chain with `local-profiles`), aws-sigv4, hyper and rustls,
//! instead of an `aws-sdk-*` crate per service, whose generated code would grow the arm64 zip for
//! a few calls an instance makes. [`Endpoint`] says where a service is and signs its requests;
//! [`Service`] sends one `POST /` with it (Bedrock sends its own, [`crate::bedrock`]).
//!
//! The endpoint is the service's regional one, `https://<host>.<region>.amazonaws.com`, or the
//! SDKs' endpoint setting for the service (`AWS_ENDPOINT_URL_<SERVICE ID>`, then
//! `AWS_ENDPOINT_URL`: how the tests reach the emulator and its stand-ins).

use std::time::SystemTime;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::bedrock;

mod config;

pub use config::{Config, ConfigError};

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

impl Endpoint {
    /// The service's endpoint from `config` ([`Config::endpoint`]), else the regional
    /// `https://<host>.<region>.amazonaws.com`.
    pub fn new(name: ServiceName, config: &Config) -> Endpoint {
        let region = config.region().to_owned();
        let url = config.endpoint(&name).unwrap_or_else(|| format!("https://{}.{region}.amazonaws.com", name.host));
        Endpoint { name, url: url.trim_end_matches('/').to_owned(), region, credentials: config.credentials() }
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
    pub fn new(name: ServiceName, config: &Config) -> Service {
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
