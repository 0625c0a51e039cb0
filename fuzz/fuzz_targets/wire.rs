//! The wire encoders over arbitrary text: whatever the model writes, every format stays framed.
//!
//! Input: a few structured fields (stop reason, model and request ids, usage numbers, an error
//! code, chunk sizes) taken from the front with `arbitrary`, then the rest of the bytes as the
//! story text (lossily decoded, so every input is used).
//!
//! Invariants, for every event kind:
//! - NDJSON: exactly one line (one `\n`, at the end; no `\r`, U+0085, U+2028 or U+2029, which
//!   Python's `str.splitlines` also breaks at), parsing as the event's JSON, so the text round-trips;
//! - SSE: exactly `event: <name>\n[<field>\n]data: <json>\n\n` with no line break inside the JSON
//!   (the name is the type, `failure` for an error; the field is `retry: 5000` on start and
//!   `id: end` on usage and error), and the data parses as the same JSON as the NDJSON line;
//! - Plain: a text event is the text's bytes, stop is `\n`, start, reasoning and usage are not shown, an error
//!   is `\n[error <code>: <message>]\n`, and for a message without line breaks that is one line of
//!   its own starting `[error `.
//!
//! And for a whole stream (the text split into arbitrary deltas, then stop, usage, error): NDJSON
//! splits into one JSON object per event, an SSE parser recovers every event, and the Plain body
//! is the text followed by `\n`.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use bedrock_streamer::error::ApiError;
use bedrock_streamer::stream::wire::{Event, Format, Usage};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

#[derive(Arbitrary, Debug)]
struct Fields<'a> {
    reason: &'a str,
    model: &'a str,
    model_alias: &'a str,
    request_id: &'a str,
    bedrock_request_id: Option<&'a str>,
    input_tokens: i32,
    output_tokens: i32,
    latency_ms: i64,
    code: u8,
    /// Delta sizes (in chars) the text is cut into for the whole-stream check.
    chunks: Vec<u8>,
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(f) = Fields::arbitrary(&mut u) else {
        return;
    };
    let text = String::from_utf8_lossy(u.take_rest());
    let text = text.as_ref();
    let code = ApiError::CODES[usize::from(f.code) % ApiError::CODES.len()];

    let events = [
        (
            Event::Start {
                model: f.model,
                model_alias: f.model_alias,
                request_id: f.request_id,
                bedrock_request_id: f.bedrock_request_id,
            },
            json!({
                "type": "start",
                "model": f.model,
                "modelAlias": f.model_alias,
                "requestId": f.request_id,
                "bedrockRequestId": f.bedrock_request_id,
            }),
        ),
        (Event::Text { message: text }, json!({"type": "text", "message": text})),
        (Event::Reasoning { message: text }, json!({"type": "reasoning", "message": text})),
        (Event::Stop { reason: f.reason }, json!({"type": "stop", "reason": f.reason})),
        (
            Event::Usage(Usage {
                input_tokens: Some(f.input_tokens),
                output_tokens: Some(f.output_tokens),
                latency_ms: Some(f.latency_ms),
                ..Usage::default()
            }),
            json!({
                "type": "usage",
                "inputTokens": f.input_tokens,
                "outputTokens": f.output_tokens,
                "latencyMs": f.latency_ms,
            }),
        ),
        (Event::Error { code, message: text }, json!({"type": "error", "code": code, "message": text})),
    ];
    for (event, want) in &events {
        let line = ndjson(event);
        assert_eq!(&line, want);
        let (name, data) = sse(event);
        assert_eq!(name, if want["type"] == "error" { "failure" } else { want["type"].as_str().unwrap() });
        assert_eq!(&data, want);
        plain(event);
    }

    whole_stream(text, &f.chunks, f.reason, code);
});

/// NDJSON: one line, one JSON object.
fn ndjson(event: &Event<'_>) -> Value {
    let bytes = Format::Ndjson.encode(event).expect("NDJSON shows every event");
    let (last, json) = bytes.split_last().expect("not empty");
    assert_eq!(*last, b'\n', "an NDJSON line ends with \\n");
    assert!(!json.contains(&b'\n'), "one event, one line: {bytes:?}");
    assert!(!json.contains(&b'\r'), "no bare CR inside a line: {bytes:?}");
    let text = std::str::from_utf8(json).expect("NDJSON is UTF-8");
    assert!(!text.contains(['\u{85}', '\u{2028}', '\u{2029}']), "no Unicode line break inside a line: {text:?}");
    serde_json::from_slice(json).expect("each NDJSON line is JSON")
}

/// The SSE field an event carries besides `event` and `data`.
fn sse_extra(event: &Event<'_>) -> Option<&'static str> {
    match event {
        Event::Start { .. } => Some("retry: 5000"),
        Event::Usage { .. } | Event::Error { .. } => Some("id: end"),
        Event::Text { .. } | Event::Reasoning { .. } | Event::Stop { .. } | Event::Guardrail(_) | Event::Ping => None,
    }
}

/// SSE: `event: <name>\n[<field>\n]data: <json>\n\n`; returns the event name and the parsed data.
fn sse(event: &Event<'_>) -> (String, Value) {
    let bytes = Format::Sse.encode(event).expect("SSE shows every event");
    let frame = std::str::from_utf8(&bytes).expect("SSE is UTF-8");
    let frame = frame.strip_suffix("\n\n").expect("an SSE event ends with a blank line");
    assert!(!frame.contains('\r'), "no CR in any field: {frame:?}");
    let lines: Vec<&str> = frame.split('\n').collect();
    let name = lines[0].strip_prefix("event: ").expect("an SSE event starts with its name");
    let data = lines.last().and_then(|l| l.strip_prefix("data: ")).expect("and ends with one data field");
    assert_eq!(&lines[1..lines.len() - 1], sse_extra(event).as_slice(), "{frame:?}");
    (name.to_owned(), serde_json::from_str(data).expect("SSE data is JSON"))
}

/// Plain: the story text only, and an error on a line of its own.
fn plain(event: &Event<'_>) {
    let bytes = Format::Plain.encode(event);
    match event {
        Event::Start { .. } | Event::Reasoning { .. } | Event::Usage(_) | Event::Ping => assert_eq!(bytes, None),
        Event::Text { message } => assert_eq!(bytes.as_deref(), Some(message.as_bytes())),
        Event::Stop { .. } => assert_eq!(bytes.as_deref(), Some(&b"\n"[..])),
        Event::Guardrail(_) => {
            let shown = bytes.expect("Plain shows an intervention");
            assert!(shown.starts_with(b"[guardrail_intervened") && shown.ends_with(b"]\n"), "{shown:?}");
        }
        Event::Error { code, message } => {
            let bytes = bytes.expect("Plain shows errors");
            let shown = std::str::from_utf8(&bytes).expect("UTF-8");
            assert_eq!(shown, format!("\n[error {code}: {}]\n", as_one_line(message)));
            let line =
                shown.strip_prefix('\n').and_then(|s| s.strip_suffix('\n')).expect("the error starts and ends a line");
            assert!(line.starts_with("[error ") && line.ends_with(']'));
            assert!(!line.contains(['\n', '\r']), "one line, whatever the message holds: {shown:?}");
        }
    }
}

/// A whole stream: the text cut into deltas, then stop, usage and an error.
fn whole_stream(text: &str, chunks: &[u8], reason: &str, code: &'static str) {
    let deltas = split(text, chunks);
    let mut events: Vec<Event<'_>> = deltas.iter().map(|d| Event::Text { message: d }).collect();
    events.push(Event::Stop { reason });
    events.push(Event::Usage(Usage { input_tokens: Some(1), output_tokens: Some(2), ..Usage::default() }));
    events.push(Event::Error { code, message: text });
    let body = |format: Format| -> Vec<u8> {
        let mut body = Vec::new();
        for chunk in events.iter().filter_map(|e| format.encode(e)) {
            body.extend_from_slice(&chunk);
        }
        body
    };

    // NDJSON: split on \n, one JSON object per event, in order.
    let ndjson = body(Format::Ndjson);
    let lines: Vec<Value> = ndjson
        .strip_suffix(b"\n")
        .expect("ends with a newline")
        .split(|&b| b == b'\n')
        .map(|l| serde_json::from_slice(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), events.len());
    assert_eq!(joined_text(&lines), text);

    // SSE: a minimal parser (blank line ends an event) recovers every event, in order.
    let sse = String::from_utf8(body(Format::Sse)).expect("UTF-8");
    let frames: Vec<Value> = sse
        .split_terminator("\n\n")
        .map(|frame| {
            let lines: Vec<&str> = frame.split('\n').collect();
            let name = lines[0].strip_prefix("event: ").expect("event:");
            let data = lines.last().and_then(|l| l.strip_prefix("data: ")).expect("data:");
            assert!(lines.len() <= 3, "at most one field besides event and data: {frame:?}");
            let data: Value = serde_json::from_str(data).expect("data is JSON");
            assert_eq!(data["type"], if name == "failure" { "error" } else { name });
            data
        })
        .collect();
    assert_eq!(frames, lines, "SSE carries the same events as NDJSON");

    // Plain: the story, the newline stop writes, then the error on its own line.
    let plain = String::from_utf8(body(Format::Plain)).expect("UTF-8");
    assert_eq!(plain, format!("{text}\n\n[error {code}: {}]\n", as_one_line(text)));
}

fn joined_text(events: &[Value]) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "text")
        .map(|e| e["message"].as_str().expect("text events carry a message"))
        .collect()
}

/// Cuts `text` into deltas of the given sizes in chars (0 is an empty delta), the last one taking
/// whatever remains.
fn split<'a>(text: &'a str, sizes: &[u8]) -> Vec<&'a str> {
    let mut deltas = Vec::new();
    let mut rest = text;
    for &size in sizes {
        let end = rest.char_indices().nth(usize::from(size)).map_or(rest.len(), |(i, _)| i);
        let (delta, tail) = rest.split_at(end);
        deltas.push(delta);
        rest = tail;
    }
    deltas.push(rest);
    deltas
}

/// An error message as Plain shows it: control characters (line breaks among them) and the
/// line and paragraph separators as spaces.
fn as_one_line(message: &str) -> String {
    message.chars().map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c }).collect()
}
