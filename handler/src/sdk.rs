//! The AWS SDK client for Bedrock, built once at cold start.

use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// HTTPS through rustls with ring: one TLS stack, a smaller binary than the SDK's default
/// (aws-lc), which `just bench` counts in cold start, memory and zip size.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// The standard AWS chain: region and credentials from the environment (the Lambda role), and the
/// endpoint override from `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (how the local emulator is reached).
pub async fn bedrock_client() -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client()).load().await;
    Client::new(&config)
}
