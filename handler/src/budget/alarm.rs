//! One CloudWatch alarm's state, read with `DescribeAlarms` through CloudWatch's Query protocol: a
//! form-encoded `POST /` (`Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=<name>`),
//! SigV4-signed for service `monitoring`, answered in XML whose `MetricAlarms` members carry
//! `StateValue` (`OK`, `ALARM`, `INSUFFICIENT_DATA`) (CloudWatch API reference, DescribeAlarms and
//! "Making Query requests", read 2026-12-07).
//!
//! Not the `aws-sdk-cloudwatch` crate: its current releases speak CloudWatch's RPC v2 CBOR protocol
//! through 6 MB of generated code and new dependencies (minicbor, flate2), for one call a minute,
//! while everything used here (aws-config's credential chain and endpoint settings, aws-sigv4,
//! aws-smithy-xml, hyper and rustls) is already in the handler. The endpoint is CloudWatch's
//! regional one, `https://monitoring.<region>.amazonaws.com`, or the SDKs' endpoint setting for the
//! service (`AWS_ENDPOINT_URL_CLOUDWATCH`, then `AWS_ENDPOINT_URL`: how the tests reach the
//! emulator's stand-in).

use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use aws_types::service_config::ServiceConfigKey;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::bedrock;

/// The longest a read may take: the request waits for it.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// A CloudWatch alarm the function may describe, and how to reach CloudWatch.
pub struct Alarm {
    name: String,
    endpoint: String,
    region: String,
    credentials: SharedCredentialsProvider,
    http: HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    #[error("no credentials: {0}")]
    Credentials(String),
    #[error("the request could not be signed: {0}")]
    Signing(String),
    #[error("CloudWatch did not answer: {0}")]
    Unreachable(String),
    #[error("CloudWatch answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("CloudWatch has no alarm named {0:?}")]
    NotFound(String),
}

impl Alarm {
    /// `name` in the function's region, with its role's credentials, as the SDKs find them.
    pub async fn from_env(name: String) -> Alarm {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Alarm::from_config(name, &config)
    }

    /// `name` on `endpoint` (such as the emulator's) with fixed credentials.
    pub fn for_endpoint(
        name: &str,
        endpoint: &str,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Alarm {
        let config = SdkConfig::builder()
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
            .build();
        Alarm::from_config(name.to_owned(), &config)
    }

    fn from_config(name: String, config: &SdkConfig) -> Alarm {
        let region = config.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let key = ServiceConfigKey::builder()
            .service_id("CloudWatch")
            .profile("endpoint_url")
            .env("AWS_ENDPOINT_URL")
            .build();
        let endpoint = key
            .ok()
            .and_then(|key| config.service_config().and_then(|c| c.load_config(key)))
            .or_else(|| config.endpoint_url().map(str::to_owned))
            .unwrap_or_else(|| format!("https://monitoring.{region}.amazonaws.com"));
        let credentials = config
            .credentials_provider()
            .unwrap_or_else(|| SharedCredentialsProvider::new(Credentials::new("", "", None, None, "none")));
        let https =
            HttpsConnectorBuilder::new().with_tls_config(bedrock::tls_config()).https_or_http().enable_http1().build();
        let http = HttpClient::builder(TokioExecutor::new()).build(https);
        Alarm { name, endpoint, region, credentials, http }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The alarm's `StateValue`: `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub async fn state(&self) -> Result<String, AlarmError> {
        tokio::time::timeout(READ_TIMEOUT, self.describe())
            .await
            .map_err(|_| AlarmError::Unreachable(format!("no answer within {READ_TIMEOUT:?}")))?
    }

    async fn describe(&self) -> Result<String, AlarmError> {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "DescribeAlarms")
            .append_pair("Version", "2010-08-01")
            .append_pair("AlarmNames.member.1", &self.name)
            .finish();
        let mut request = http::Request::post(format!("{}/", self.endpoint.trim_end_matches('/')))
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(|e| AlarmError::Signing(e.to_string()))?;
        self.sign(&mut request, body.as_bytes()).await?;
        let response = self.http.request(request).await.map_err(|e| AlarmError::Unreachable(e.to_string()))?;
        let status = response.status();
        let bytes =
            response.into_body().collect().await.map_err(|e| AlarmError::Unreachable(e.to_string()))?.to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            return Err(AlarmError::Refused { status: status.as_u16(), body: text.chars().take(300).collect() });
        }
        state_value(&text).ok_or_else(|| AlarmError::NotFound(self.name.clone()))
    }

    async fn sign(&self, request: &mut http::Request<Full<Bytes>>, body: &[u8]) -> Result<(), AlarmError> {
        let credentials =
            self.credentials.provide_credentials().await.map_err(|e| AlarmError::Credentials(e.to_string()))?;
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("monitoring")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AlarmError::Signing(e.to_string()))?
            .into();
        let uri = request.uri().to_string();
        let headers = request.headers().iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)));
        let signable = SignableRequest::new("POST", &uri, headers, SignableBody::Bytes(body))
            .map_err(|e| AlarmError::Signing(e.to_string()))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|e| AlarmError::Signing(e.to_string()))?.into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
    }
}

/// The first metric alarm's `StateValue` in a `DescribeAlarmsResponse`.
fn state_value(xml: &str) -> Option<String> {
    let mut document = Document::new(xml);
    let mut root = document.root_element().ok()?;
    find(&mut root, &["DescribeAlarmsResult", "MetricAlarms", "member", "StateValue"])
}

fn find(element: &mut ScopedDecoder<'_, '_>, path: &[&str]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    while let Some(mut child) = element.next_tag() {
        if child.start_el().matches(first) {
            return if rest.is_empty() {
                try_data(&mut child).ok().map(|s| s.to_string())
            } else {
                find(&mut child, rest)
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_read_from_the_first_metric_alarm() {
        let xml = r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
            <DescribeAlarmsResult><MetricAlarms><member><AlarmName>a</AlarmName><Period>86400</Period>
            <StateValue>ALARM</StateValue></member></MetricAlarms><CompositeAlarms/></DescribeAlarmsResult>
            <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeAlarmsResponse>"#;
        assert_eq!(state_value(xml).as_deref(), Some("ALARM"));
        let none = r#"<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms/></DescribeAlarmsResult></DescribeAlarmsResponse>"#;
        assert_eq!(state_value(none), None);
    }
}
