//! The response stream: the relay that turns Bedrock's events into the caller's chunks
//! (`relay`), the formats they are written in ([`wire`]), and when the stream must end
//! (`deadline`).

pub(crate) mod deadline;
pub(crate) mod relay;
pub mod wire;
