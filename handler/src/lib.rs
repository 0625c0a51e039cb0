//! bedrock-streamer: a Lambda Function URL (RESPONSE_STREAM) handler that streams Amazon Bedrock
//! ConverseStream output to its caller as it is generated.

pub mod bedrock;
pub mod deadline;
pub mod error;
pub mod prompt;
pub mod relay;
pub mod request;
pub mod service;
pub mod settings;
pub mod story_type;
pub mod summary;
pub mod telemetry;
pub mod wire;
