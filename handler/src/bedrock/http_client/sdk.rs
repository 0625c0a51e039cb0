//! The same HTTPS stack as an SDK HTTP client, for aws-config's credential providers that call
//! out (IMDS, STS, SSO: off Lambda, where the environment holds no keys). Built only with the
//! `local-profiles` feature, the only build with aws-config ([`crate::aws::Config`]).
//!
//! As aws-smithy-http-client 1.5.2's client did (source read 2026-11-29): the connect timeout and
//! the read timeout (until the response headers) from the SDK's settings, one pool per pair of
//! timeouts, the connection a request went out on for the SDK's retries, and its classification
//! of failures ([`classify`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use http::Extensions;
use hyper_util::client::legacy::connect::{CaptureConnection, HttpInfo, capture_connection};

use super::{ConnectTimeout, TimedOut, hyper_client, kind_of, tls_config};

/// The SDK's client for [`aws_config`]: one TLS configuration, and one connection pool per
/// distinct pair of timeouts (in practice one).
pub(crate) fn shared() -> SharedHttpClient {
    SharedHttpClient::new(Client { tls: tls_config(), connectors: Mutex::default() })
}

#[derive(Debug)]
struct Client {
    tls: rustls::ClientConfig,
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Timeouts {
    connect: Option<Duration>,
    read: Option<Duration>,
}

impl HttpClient for Client {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = Timeouts { connect: settings.connect_timeout(), read: settings.read_timeout() };
        // The SDK asks for a connector on every attempt; the pool lives in the connector.
        let mut connectors = self.connectors.lock().unwrap_or_else(PoisonError::into_inner);
        connectors
            .entry(timeouts)
            .or_insert_with(|| SharedHttpConnector::new(Connector::new(&self.tls, timeouts)))
            .clone()
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        // What the SDK's own client reports (it goes into the user agent).
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

/// One pool of connections with one pair of timeouts.
struct Connector {
    hyper: hyper_util::client::legacy::Client<ConnectTimeout, SdkBody>,
    read_timeout: Option<Duration>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").field("read_timeout", &self.read_timeout).finish_non_exhaustive()
    }
}

impl Connector {
    fn new(tls: &rustls::ClientConfig, timeouts: Timeouts) -> Connector {
        Connector { hyper: hyper_client(tls, timeouts.connect), read_timeout: timeouts.read }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(error) => return HttpConnectorFuture::ready(Err(ConnectorError::user(error.into()))),
        };
        let connection = capture_connection(&mut request);
        if let Some(sdk) = request.extensions().get::<CaptureSmithyConnection>() {
            sdk.set_connection_retriever(move || connection_metadata(&connection));
        }
        let responding = self.hyper.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, responding)
                    .await
                    .map_err(|_| ConnectorError::timeout(TimedOut { stage: "HTTP read", limit }.into()))?,
                None => responding.await,
            }
            .map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|error| ConnectorError::other(error.into(), None))
        })
    }
}

/// The connection a request went out on, for the SDK's retry logic (which poisons it after a
/// transient error so the next attempt opens a new one) and its logs.
fn connection_metadata(connection: &CaptureConnection) -> Option<ConnectionMetadata> {
    let connected = connection.connection_metadata();
    let connected = connected.as_ref()?;
    let mut extras = Extensions::new();
    connected.get_extras(&mut extras);
    let info = extras.get::<HttpInfo>();
    let poisoned = connection.clone();
    let mut metadata = ConnectionMetadata::builder().proxied(false).poison_fn(move || {
        if let Some(connected) = poisoned.connection_metadata().as_ref() {
            connected.poison();
        }
    });
    metadata.set_local_addr(info.map(HttpInfo::local_addr)).set_remote_addr(info.map(HttpInfo::remote_addr));
    Some(metadata.build())
}

/// The SDK client's classification of a failed request (aws-smithy-http-client 1.5.2
/// `downcast_error`): timeouts, then hyper's own error kinds, then connection failures as I/O
/// (retried), the rest as other (not retried).
fn classify(error: hyper_util::client::legacy::Error) -> ConnectorError {
    kind_of(&error)(error.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use std::sync::atomic::Ordering;
    use tokio::net::TcpListener;

    use super::super::tests::counting_server;

    /// What the SDK does for each attempt: ask the client for a connector, send one request.
    async fn send(
        client: &SharedHttpClient,
        settings: HttpConnectorSettings,
        uri: &str,
    ) -> Result<u16, ConnectorError> {
        let components = RuntimeComponentsBuilder::for_tests().build().unwrap();
        let connector = client.http_connector(&settings, &components);
        let response = connector.call(HttpRequest::get(uri).unwrap()).await?;
        Ok(response.status().as_u16())
    }

    #[tokio::test]
    async fn requests_reuse_one_connection() {
        let (uri, accepted) = counting_server().await;
        let client = shared();

        for _ in 0..3 {
            assert_eq!(200, send(&client, HttpConnectorSettings::default(), &uri).await.unwrap());
        }

        assert_eq!(1, accepted.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_error_which_the_sdk_retries() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);

        let error = send(&shared(), HttpConnectorSettings::default(), &uri).await.unwrap_err();

        assert!(error.is_io(), "{error:?}");
    }

    #[tokio::test]
    async fn no_response_within_the_read_timeout_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        let settings = HttpConnectorSettings::builder().read_timeout(Duration::from_millis(50)).build();

        let error = send(&shared(), settings, &uri).await.unwrap_err();

        assert!(error.is_timeout(), "{error:?}");
        drop(listener);
    }
}
