//! `Format::negotiate` over arbitrary `Accept` header text.
//!
//! Invariants: never panics; answers a format or a 406 `not_acceptable` whose error body is JSON;
//! a missing or blank header means NDJSON; a format is only chosen when the header names one of
//! its media ranges; appending ranges that cannot win (an unsupported type, or any type at q=0)
//! changes nothing.

#![no_main]

use bedrock_streamer::error::ApiError;
use bedrock_streamer::stream::wire::{self, Format};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let header = header.as_ref();

    assert_eq!(Format::negotiate(None), Ok(Format::Ndjson));
    let chosen = Format::negotiate(Some(header));
    match &chosen {
        Ok(format) => {
            let lower = header.to_ascii_lowercase();
            let named = media_ranges(*format).iter().any(|m| lower.contains(m));
            assert!(
                named || header.trim().is_empty(),
                "{format:?} chosen for {header:?}, which names none of its media ranges"
            );
        }
        Err(err) => not_acceptable(err),
    }
    if header.trim().is_empty() {
        assert_eq!(chosen, Ok(Format::Ndjson), "a blank Accept means the default");
        return;
    }

    let padded = format!("{header}, image/png, text/plain;q=0, */*; q=0");
    assert_eq!(
        Format::negotiate(Some(&padded)).map_err(|e| e.code()),
        chosen.as_ref().copied().map_err(ApiError::code),
        "ranges that cannot win changed the choice for {header:?}"
    );
});

fn media_ranges(format: Format) -> &'static [&'static str] {
    match format {
        Format::Ndjson => &["application/x-ndjson", "application/json", "application/*", "*/*"],
        Format::Sse => &["text/event-stream"],
        Format::Plain => &["text/plain", "text/*"],
    }
}

fn not_acceptable(err: &ApiError) {
    assert_eq!((err.status().as_u16(), err.code()), (406, "not_acceptable"));
    let body: Value = serde_json::from_slice(&wire::error_body(None, err).1).expect("error bodies are JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["code"], "not_acceptable");
    assert_eq!(body["message"], err.to_string().as_str());
}
