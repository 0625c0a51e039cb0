//! The local playground: serves the story page and forwards its requests to the stack, authorized
//! as the stack's `authType` asks (`auth`: SigV4 by `signer`, an API key by `api_key`, a Cognito
//! ID token by `cognito`, their AWS calls by `aws_call`), streaming each response back as it
//! arrives (`proxy`), to its own page only (`admission`), within limits (`serve`); and `invoke`,
//! one story request from the command line, authorized the same way.

pub mod admission;
pub mod api_key;
pub mod args;
pub mod auth;
pub mod aws_call;
pub mod cognito;
pub mod error;
pub mod invoke;
pub mod proxy;
pub mod serve;
pub mod signer;
