//! The Lambda layer: the runtime loop that polls the Runtime API ([`runtime`]) and the conversion
//! of the event Lambda delivers into the request the service reads, and of its answer into the
//! streamed response ([`function_url`]).

pub mod function_url;
pub mod runtime;
