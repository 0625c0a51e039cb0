//! The local playground: serves the story page and forwards its requests to a Function URL,
//! signed with SigV4 (`signer`), streaming each response back as it arrives (`proxy`).

pub mod args;
pub mod page;
pub mod proxy;
pub mod signer;
