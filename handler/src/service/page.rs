//! The story page, served at `GET /`: the file and its headers (a Content-Security-Policy among
//! them) come from the `story-page` crate, which the playground serves the page from too.

pub use story_page::{HTML, headers};
