//! The local playground: serves the story page and forwards its requests to a Function URL,
//! signed with SigV4 (`signer`), streaming each response back as it arrives (`proxy`), to its own
//! page only (`admission`), within limits (`serve`); and `invoke`, one signed story request from
//! the command line.

pub mod admission;
pub mod args;
pub mod error;
pub mod invoke;
pub mod proxy;
pub mod serve;
pub mod signer;
