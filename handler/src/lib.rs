//! bedrock-streamer: a Lambda Function URL (RESPONSE_STREAM) handler that streams Amazon Bedrock
//! ConverseStream output to its caller as it is generated.
//!
//! Public: what `main` wires (settings, the Bedrock client, the service, logs and metrics) and what
//! the tests, the fuzz targets and the benchmark drive (request parsing, storyType rule, the wire
//! encoders, the error vocabulary). The rest is how a request is served, private to the crate.

pub mod bedrock;
pub mod error;
pub mod lambda;
pub mod openai;
pub mod request;
pub mod service;
pub mod settings;
pub mod stream;
pub mod summary;
pub mod telemetry;
