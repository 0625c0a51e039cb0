//! The story page: the same file the handler serves at `GET /`, embedded at build time.

/// The page (HTML with its CSS and script inline; no external resources).
pub const HTML: &str = include_str!("../../handler/assets/page.html");
