//! The story page (`handler/assets/page.html`): one self-contained HTML file (CSS and script
//! inline, nothing loaded from elsewhere), served at `GET /` by the function and by the playground
//! with the same headers, among them a Content-Security-Policy that lets only that inline style and
//! script run, by their SHA-256 hashes, computed once from the embedded page.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{self, HeaderName, HeaderValue};

/// The page, as served (`text/html; charset=utf-8`). It POSTs to the URL it was loaded from and
/// reads the NDJSON stream as it arrives.
pub const HTML: &str = include_str!("../../handler/assets/page.html");

/// The page's headers: HTML, `no-cache` (the page is the same for everyone and changes only with
/// a deploy, so browsers check again rather than keep an old one), `nosniff`, and
/// [`content_security_policy`].
pub fn headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(content_security_policy())),
    ]
}

/// Nothing may load or run but the page's own inline `<style>` and `<script>` (by hash); it may
/// connect only to its own origin (the story and `/models` beside it), may not be framed (no
/// clickjacking of Start), and has no `<base>` or form target to redirect. A text injected into
/// the page could run nothing. Computed on first use, from [`HTML`].
pub fn content_security_policy() -> &'static str {
    static POLICY: LazyLock<String> = LazyLock::new(|| policy_for(HTML));
    &POLICY
}

fn policy_for(html: &str) -> String {
    let styles = hashes(html, "<style>", "</style>");
    let scripts = hashes(html, "<script>", "</script>");
    format!(
        "default-src 'none'; script-src {scripts}; style-src {styles}; connect-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// `'sha256-…'` of the text of every element opened by exactly `open` (so `<script
/// type="application/json">`, a data block no browser runs, is left out), space-separated.
fn hashes(html: &str, open: &str, close: &str) -> String {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(open) {
        let body = &rest[start + open.len()..];
        let end = body.find(close).unwrap_or_else(|| panic!("page.html: {open} is not closed"));
        let digest = ring::digest::digest(&ring::digest::SHA256, &body.as_bytes()[..end]);
        found.push(format!("'sha256-{}'", STANDARD.encode(digest)));
        rest = &body[end..];
    }
    assert!(!found.is_empty(), "page.html has no {open}");
    found.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_hash_of_each_inline_style_and_script() {
        let html = "<style>a{}</style><script type=\"application/json\">{}</script><script>go()</script>";
        assert_eq!(
            policy_for(html),
            // printf 'go()' | openssl dgst -sha256 -binary | base64, and likewise 'a{}'
            "default-src 'none'; script-src 'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='; \
             style-src 'sha256-X1RutGBrXCt9KkSaXMK7tHftWiRscFHOhxsS8tv8hBk='; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        );
    }

    #[test]
    fn the_page_has_one_style_and_one_script_and_nothing_the_policy_would_block() {
        let policy = content_security_policy();
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        // Inline style attributes and event handler attributes are not covered by a hash.
        assert!(!HTML.contains(" style="), "a style attribute in page.html: move it to the <style>");
        assert!(!HTML.contains(" onclick=") && !HTML.contains(" onload="), "an inline event handler in page.html");
        assert!(HeaderValue::from_str(policy).is_ok());
    }
}
