//! The story page (`handler/assets/page.html`): one self-contained HTML file (CSS and script
//! inline, nothing loaded from elsewhere) embedded in the binary and served at `GET /`. It POSTs
//! to the URL it was loaded from and reads the NDJSON stream as it arrives.

/// The page, as served (`text/html; charset=utf-8`).
pub const HTML: &str = include_str!("../../assets/page.html");
