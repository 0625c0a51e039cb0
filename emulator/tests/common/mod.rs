//! What every test needs: an emulator, the real SDK pointed at it, and a way to read a stream.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Credentials;
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamOutput;
use aws_sdk_bedrockruntime::operation::converse_stream::builders::ConverseStreamFluentBuilder;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput as Event, Message,
};
use bedrock_emulator::{Emulator, EmulatorConfig};
use std::time::Duration;

pub const MODEL_ID: &str = "anthropic.claude-3-haiku-20240307-v1:0";

pub async fn emulator() -> Emulator {
    start(EmulatorConfig::default()).await
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// The SDK as an application would build it, except for the endpoint, fixed test credentials and
/// a short retry backoff so that retry tests do not sleep for seconds.
pub async fn client(emulator: &Emulator) -> Client {
    let retries = RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(10));
    client_with(emulator, retries).await
}

/// The SDK with retries off: every call is exactly one request.
pub async fn client_without_retries(emulator: &Emulator) -> Client {
    client_with(emulator, RetryConfig::disabled()).await
}

/// The SDK configured for `region`, without retries: the region lands in the SigV4 credential
/// scope, where the emulator reads it.
pub async fn client_in(emulator: &Emulator, region: &'static str) -> Client {
    client_for(emulator, RetryConfig::disabled(), region).await
}

async fn client_with(emulator: &Emulator, retries: RetryConfig) -> Client {
    client_for(emulator, retries, "us-east-1").await
}

async fn client_for(emulator: &Emulator, retries: RetryConfig, region: &'static str) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.endpoint())
        .region(region)
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(retries)
        // The emulator speaks plain HTTP; no TLS stack needed.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .load()
        .await;
    Client::new(&config)
}

/// A `converse_stream` call with one user message.
pub fn converse(client: &Client, prompt: &str) -> ConverseStreamFluentBuilder {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(prompt.to_owned()))
        .build()
        .expect("role and content are set");
    client.converse_stream().model_id(MODEL_ID).messages(message)
}

pub type StreamError = SdkError<ConverseStreamOutputError, aws_smithy_types::event_stream::RawMessage>;

/// Everything a stream yielded, up to its end or its first error.
pub struct Received {
    pub events: Vec<Event>,
    pub error: Option<StreamError>,
}

impl Received {
    /// The concatenated text of the content block deltas.
    pub fn text(&self) -> String {
        self.deltas().concat()
    }

    pub fn deltas(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::ContentBlockDelta(delta) => match delta.delta() {
                    Some(ContentBlockDelta::Text(text)) => Some(text.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// The modeled stream error, if the stream ended with one.
    pub fn service_error(&self) -> Option<&ConverseStreamOutputError> {
        self.error.as_ref().and_then(|error| error.as_service_error())
    }
}

pub async fn receive(mut output: ConverseStreamOutput) -> Received {
    let mut events = Vec::new();
    loop {
        match output.stream.recv().await {
            Ok(Some(event)) => events.push(event),
            Ok(None) => {
                return Received { events, error: None };
            }
            Err(error) => {
                return Received { events, error: Some(error) };
            }
        }
    }
}
