//! OpenAI's Chat Completions shape on this function: `POST /v1/chat/completions` read into the
//! project's own conversation ([`request`]) and answered in OpenAI's wire shapes ([`wire`]), so
//! any OpenAI client can talk to it.

pub mod request;
pub mod stream;
pub mod wire;
