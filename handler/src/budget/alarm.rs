//! One CloudWatch alarm's state, read with `DescribeAlarms` through CloudWatch's Query protocol: a
//! form-encoded `POST /` (`Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=<name>`),
//! SigV4-signed for service `monitoring`, answered in XML whose `MetricAlarms` members carry
//! `StateValue` (`OK`, `ALARM`, `INSUFFICIENT_DATA`) (CloudWatch API reference, DescribeAlarms and
//! "Making Query requests", read 2026-12-07).
//!
//! Not the `aws-sdk-cloudwatch` crate: its current releases speak CloudWatch's RPC v2 CBOR protocol
//! through 6 MB of generated code and new dependencies (minicbor, flate2), for one call a minute;
//! the call is made as [`crate::aws`] makes every call besides Bedrock's. The endpoint is
//! CloudWatch's regional one, `https://monitoring.<region>.amazonaws.com`, or
//! `AWS_ENDPOINT_URL_CLOUDWATCH` (how the tests reach the emulator's stand-in).

use std::time::Duration;

use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use bytes::Bytes;

use crate::aws::{self, CallError, Service, ServiceName};

/// The longest a read may take: the request waits for it.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

const CLOUDWATCH: ServiceName = ServiceName { sdk_id: "CloudWatch", host: "monitoring", signing_name: "monitoring" };

/// A CloudWatch alarm the function may describe, and how to reach CloudWatch.
pub struct Alarm {
    name: String,
    cloudwatch: Service,
}

#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("CloudWatch did not answer: {0}")]
    Unreachable(String),
    #[error("CloudWatch answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("CloudWatch has no alarm named {0:?}")]
    NotFound(String),
}

impl Alarm {
    /// `name` in `config`'s region, with its credentials.
    pub fn new(name: String, config: &aws::Config) -> Alarm {
        Alarm { name, cloudwatch: Service::new(CLOUDWATCH, config) }
    }

    /// `name` on `endpoint` (such as the emulator's) with fixed credentials.
    pub fn for_endpoint(
        name: &str,
        endpoint: &str,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Alarm {
        let config = aws::Config::for_endpoint(endpoint, region, access_key_id, secret_access_key);
        Alarm::new(name.to_owned(), &config)
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
        let content_type = (http::header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8");
        let answer = self.cloudwatch.post(&[content_type], Bytes::from(body)).await?;
        let text = String::from_utf8_lossy(&answer.body);
        if !answer.status.is_success() {
            return Err(AlarmError::Refused { status: answer.status.as_u16(), body: text.chars().take(300).collect() });
        }
        state_value(&text).ok_or_else(|| AlarmError::NotFound(self.name.clone()))
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
