//! What the caller receives: each relay event encoded for the format the caller's `Accept` chose.
//! One event becomes one chunk, written the moment it exists.
//!
//! JSON is written on one line whatever the text holds: serde_json escapes the control characters
//! below U+0020, and [`LineSafe`] escapes the three line breaks JSON may leave raw (U+0085,
//! U+2028, U+2029), so a client that splits lines the Unicode way (Python's `str.splitlines`, which
//! requests' `iter_lines(decode_unicode=True)` uses) still gets one event per line.

use std::io;

use bytes::Bytes;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use crate::bedrock::Intervention;
use crate::error::ApiError;
use crate::price::Cost;
use crate::settings::tier::ServiceTier;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (also served for `application/json`, so the original sample's
    /// clients keep working).
    Ndjson,
    /// Server-Sent Events: `event: <name>` + `data: <json>`, the name being the type except
    /// `failure` for `error` (see [`Event::sse_name`]); `retry:` with the first event and `id:` with
    /// the last (see [`SSE_RETRY_MS`], [`SSE_LAST_EVENT_ID`]).
    Sse,
    /// The story text only.
    Plain,
}

/// One thing that happened on the stream, in the JSON shape every format is built from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event<'a> {
    #[serde(rename_all = "camelCase")]
    Start {
        /// The Bedrock model id called.
        model: &'a str,
        /// The alias the request chose (or the default).
        model_alias: &'a str,
        request_id: &'a str,
        bedrock_request_id: Option<&'a str>,
    },
    Text {
        message: &'a str,
    },
    /// The model's thinking (Bedrock's `reasoningContent`), only for model aliases that show it.
    Reasoning {
        message: &'a str,
    },
    Stop {
        reason: &'a str,
    },
    /// The stack's guardrail intervened (after a `stop` with reason `guardrail_intervened`, before
    /// `usage`): which side it stopped (`input`: the prompt, and the model never ran; `output`:
    /// the model's answer), `blocked` or `masked`, and each policy that acted. Shape:
    /// docs/api.md, "Guardrail interventions".
    Guardrail(&'a Intervention),
    /// The last event of a complete story.
    Usage(Usage),
    /// A keep-alive after a silence (`STREAMER_KEEP_ALIVE_SECS`): a model thinking before its first
    /// word. NDJSON writes it as `{"type":"ping"}`; SSE as a comment line instead
    /// ([`SSE_KEEP_ALIVE`]); text/plain cannot carry one.
    Ping,
    Error {
        code: &'static str,
        message: &'a str,
    },
}

/// Bedrock's counts for the call and the tier that served it, as its `metadata` event gave them;
/// each is left out when Bedrock did not send it (a stream that ended without `metadata` has none).
/// With them, the request's cost when its model has a price ([`crate::price`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<i32>,
    /// Milliseconds Bedrock spent on the call (`metrics.latencyMs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    /// `costUsd` and `priceDate`; both absent when the model has no price or Bedrock sent no
    /// counts (never a cost of 0 for a cost not known).
    #[serde(flatten)]
    pub cost: Option<Cost>,
    /// The service tier Bedrock says served the call (`metadata.serviceTier.type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
}

/// Turns the relay's events into the caller's bytes: [`Format`] for stories and `/chat`, OpenAI's
/// shapes for `/v1/chat/completions` (`crate::openai::stream`).
pub trait Encoder: Send + 'static {
    /// The bytes for one event, or `None` when this encoder shows nothing for it.
    fn encode(&mut self, event: &Event<'_>) -> Option<Bytes>;

    /// Whether this encoder can write a keep-alive ([`Event::Ping`]) while the model is silent.
    fn carries_keep_alive(&self) -> bool;

    /// The last bytes of a stream that failed: by default the `error` event.
    fn fail(&mut self, error: &ApiError) -> Option<Bytes> {
        let message = error.to_string();
        self.encode(&Event::Error { code: error.code(), message: &message })
    }
}

impl Encoder for Format {
    fn encode(&mut self, event: &Event<'_>) -> Option<Bytes> {
        Format::encode(*self, event)
    }

    fn carries_keep_alive(&self) -> bool {
        Format::carries_keep_alive(*self)
    }
}

/// SSE `retry:`, in milliseconds, sent with the first event (and with an error sent before the
/// stream): how long a client that lost the stream waits before it asks again. Each such request
/// is a new story and a new Bedrock call, so not sooner than 5 s (browsers default to about 3 s).
pub const SSE_RETRY_MS: u32 = 5000;

/// SSE `id:` of the last event of every stream (`usage` or `failure`). A client that reconnects
/// after it sends the id back as `Last-Event-ID`, which the function answers with 204 No Content
/// and no Bedrock call; EventSource clients stop reconnecting on a 204 (HTML standard,
/// "Server-sent events", read 2026-11-29).
pub const SSE_LAST_EVENT_ID: &str = "end";

/// SSE's keep-alive: a comment line, which every SSE client skips (HTML standard, "Server-sent
/// events", event stream interpretation: a line starting with `:` is ignored).
pub const SSE_KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

impl Event<'_> {
    /// The SSE event name: the type, except `failure` for an error. `error` is the event
    /// EventSource fires for its own connection problems, so a listener for it could not tell a
    /// failed story from a dropped connection. `data.type` stays `error`.
    pub fn sse_name(&self) -> &'static str {
        match self {
            Event::Start { .. } => "start",
            Event::Text { .. } => "text",
            Event::Reasoning { .. } => "reasoning",
            Event::Stop { .. } => "stop",
            Event::Guardrail(_) => "guardrail",
            Event::Usage { .. } => "usage",
            Event::Error { .. } => "failure",
            Event::Ping => "ping",
        }
    }

    /// The SSE fields besides `event` and `data`: `retry` on the first event, `id` on the last.
    fn sse_fields(&self) -> String {
        match self {
            Event::Start { .. } => format!("retry: {SSE_RETRY_MS}\n"),
            Event::Usage { .. } | Event::Error { .. } => format!("id: {SSE_LAST_EVENT_ID}\n"),
            Event::Text { .. } | Event::Reasoning { .. } | Event::Stop { .. } | Event::Guardrail(_) | Event::Ping => {
                String::new()
            }
        }
    }
}

impl Format {
    /// The media type this format is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            // The charset is what makes Python requests' `iter_lines(decode_unicode=True)` decode.
            Format::Ndjson => "application/x-ndjson; charset=utf-8",
            Format::Sse => "text/event-stream",
            Format::Plain => "text/plain; charset=utf-8",
        }
    }

    /// Whether a keep-alive can be written in this format (not in text/plain, which is the story only).
    pub fn carries_keep_alive(self) -> bool {
        self != Format::Plain
    }

    /// Picks the format from an `Accept` header: the highest-q media range we can serve, earlier
    /// first on ties; no header (or `*/*`) means NDJSON.
    pub fn negotiate(accept: Option<&str>) -> Result<Format, ApiError> {
        let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(Format::Ndjson);
        };
        let mut best: Option<(f32, Format)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            // Parameter names are case-insensitive (`Q=0.5`); a q-value outside 0..1 is clamped.
            let q = parts
                .filter_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim().eq_ignore_ascii_case("q").then(|| value.trim().parse::<f32>().ok()).flatten()
                })
                .next()
                .map_or(1.0, |q| if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) });
            let format = match media.as_str() {
                "application/x-ndjson" | "application/json" | "application/*" | "*/*" => Format::Ndjson,
                "text/event-stream" => Format::Sse,
                "text/plain" | "text/*" => Format::Plain,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, format));
            }
        }
        best.map(|(_, f)| f).ok_or_else(|| ApiError::NotAcceptable(accept.to_owned()))
    }

    /// The bytes for one event, or `None` when this format does not show it.
    pub fn encode(self, event: &Event<'_>) -> Option<Bytes> {
        match self {
            Format::Ndjson => {
                let mut line = json(event);
                line.push(b'\n');
                Some(line.into())
            }
            Format::Sse if matches!(event, Event::Ping) => Some(Bytes::from_static(SSE_KEEP_ALIVE)),
            Format::Sse => {
                let mut frame = format!("event: {}\n{}data: ", event.sse_name(), event.sse_fields()).into_bytes();
                frame.extend_from_slice(&json(event));
                frame.extend_from_slice(b"\n\n");
                Some(frame.into())
            }
            Format::Plain => match event {
                Event::Text { message } => Some(Bytes::copy_from_slice(message.as_bytes())),
                Event::Stop { .. } => Some(Bytes::from_static(b"\n")),
                Event::Error { code, message } => Some(format!("\n[error {code}: {}]\n", one_line(message)).into()),
                Event::Guardrail(intervention) => Some(plain_intervention(intervention).into()),
                Event::Start { .. } | Event::Reasoning { .. } | Event::Usage(_) | Event::Ping => None,
            },
        }
    }
}

/// A guardrail intervention as text/plain shows it, on a line of its own after the story:
/// `[guardrail_intervened: input blocked]` (the side and action left out when the trace did not
/// say).
fn plain_intervention(intervention: &Intervention) -> String {
    let what: Vec<&str> = intervention.side.map(|s| s.as_str()).into_iter().chain(intervention.action).collect();
    if what.is_empty() {
        "[guardrail_intervened]\n".to_owned()
    } else {
        format!("[guardrail_intervened: {}]\n", what.join(" "))
    }
}

/// A message as one line: its line breaks (control characters, which can come from Bedrock's or
/// the model's own error text, and U+2028, U+2029) become spaces.
fn one_line(message: &str) -> String {
    message.chars().map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c }).collect()
}

/// Line breaks outside ASCII that JSON lets a string hold raw, and Python's `str.splitlines`
/// splits on; NEL (U+0085) is a C1 control, which JSON does not require escaping either.
const LINE_BREAKS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// serde_json's compact JSON with [`LINE_BREAKS`] written as `\u0085`, `\u2028`, `\u2029`.
struct LineSafe;

impl Formatter for LineSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(LINE_BREAKS) {
            let c = rest[at..].chars().next().expect("found a char there");
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        CompactFormatter.write_string_fragment(writer, rest)
    }
}

/// `value` as one line of JSON (see [`LineSafe`]).
fn json(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, LineSafe)).expect("events always serialize");
    out
}

/// The whole body of an error response sent before streaming, and its media type: for a caller
/// whose `Accept` chose SSE, one `failure` event with `retry` and `id` (an SSE client reads why,
/// and a spec-following one does not ask again); for everyone else the JSON error object.
pub fn error_body(format: Option<Format>, error: &ApiError) -> (&'static str, Bytes) {
    let message = error.to_string();
    let event = Event::Error { code: error.code(), message: &message };
    match format {
        Some(Format::Sse) => {
            let mut body = format!("retry: {SSE_RETRY_MS}\n").into_bytes();
            body.extend_from_slice(&Format::Sse.encode(&event).expect("SSE shows errors"));
            (Format::Sse.content_type(), body.into())
        }
        _ => ("application/json", json(&event).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Option<Bytes>) -> String {
        String::from_utf8(bytes.expect("this format shows the event").to_vec()).unwrap()
    }

    const START: Event<'static> =
        Event::Start { model: "m", model_alias: "fast", request_id: "r-1", bedrock_request_id: Some("b-1") };

    #[test]
    fn ndjson_is_one_json_object_per_line() {
        assert_eq!(
            text(Format::Ndjson.encode(&START)),
            "{\"type\":\"start\",\"model\":\"m\",\"modelAlias\":\"fast\",\"requestId\":\"r-1\",\"bedrockRequestId\":\"b-1\"}\n"
        );
        assert_eq!(
            text(Format::Ndjson.encode(&Event::Text { message: "Once\nupon" })),
            "{\"type\":\"text\",\"message\":\"Once\\nupon\"}\n"
        );
        assert_eq!(
            text(Format::Ndjson.encode(&Event::Stop { reason: "end_turn" })),
            "{\"type\":\"stop\",\"reason\":\"end_turn\"}\n"
        );
        assert_eq!(
            text(Format::Ndjson.encode(&Event::Usage(Usage {
                input_tokens: Some(12),
                output_tokens: Some(40),
                total_tokens: Some(52),
                latency_ms: Some(830),
                ..Usage::default()
            }))),
            "{\"type\":\"usage\",\"inputTokens\":12,\"outputTokens\":40,\"totalTokens\":52,\"latencyMs\":830}\n"
        );
        assert_eq!(
            text(Format::Ndjson.encode(&Event::Usage(Usage::default()))),
            "{\"type\":\"usage\"}\n",
            "counts Bedrock did not send are left out, never written as 0"
        );
        assert_eq!(
            text(Format::Ndjson.encode(&Event::Reasoning { message: "Hmm" })),
            "{\"type\":\"reasoning\",\"message\":\"Hmm\"}\n"
        );
        assert_eq!(
            text(Format::Ndjson.encode(&Event::Error { code: "timeout", message: "late" })),
            "{\"type\":\"error\",\"code\":\"timeout\",\"message\":\"late\"}\n"
        );
    }

    #[test]
    fn a_keep_alive_is_a_ping_event_in_ndjson_a_comment_in_sse_and_nothing_in_plain_text() {
        assert_eq!(text(Format::Ndjson.encode(&Event::Ping)), "{\"type\":\"ping\"}\n");
        assert_eq!(text(Format::Sse.encode(&Event::Ping)), ": keep-alive\n\n");
        assert_eq!(Format::Plain.encode(&Event::Ping), None);
        assert!(Format::Ndjson.carries_keep_alive() && Format::Sse.carries_keep_alive());
        assert!(!Format::Plain.carries_keep_alive());
    }

    #[test]
    fn unicode_line_breaks_are_escaped_so_every_event_stays_one_line() {
        let event = Event::Text { message: "a\u{85}b\u{2028}c\u{2029}d\u{1c}e\u{b}f" };
        assert_eq!(
            text(Format::Ndjson.encode(&event)),
            "{\"type\":\"text\",\"message\":\"a\\u0085b\\u2028c\\u2029d\\u001ce\\u000bf\"}\n"
        );
        assert_eq!(
            text(Format::Sse.encode(&event)),
            "event: text\ndata: {\"type\":\"text\",\"message\":\"a\\u0085b\\u2028c\\u2029d\\u001ce\\u000bf\"}\n\n"
        );
        assert_eq!(
            text(Format::Plain.encode(&Event::Error { code: "timeout", message: "a\u{2028}b\u{85}c" })),
            "\n[error timeout: a b c]\n"
        );
    }

    #[test]
    fn sse_names_each_event_and_carries_the_same_json_with_retry_first_and_an_id_last() {
        assert_eq!(
            text(Format::Sse.encode(&START)),
            "event: start\nretry: 5000\ndata: {\"type\":\"start\",\"model\":\"m\",\"modelAlias\":\"fast\",\"requestId\":\"r-1\",\"bedrockRequestId\":\"b-1\"}\n\n"
        );
        assert_eq!(
            text(Format::Sse.encode(&Event::Usage(Usage {
                input_tokens: Some(1),
                output_tokens: Some(2),
                latency_ms: Some(3),
                ..Usage::default()
            }))),
            "event: usage\nid: end\ndata: {\"type\":\"usage\",\"inputTokens\":1,\"outputTokens\":2,\"latencyMs\":3}\n\n"
        );
        assert_eq!(
            text(Format::Sse.encode(&Event::Text { message: "Hi\n\nthere" })),
            "event: text\ndata: {\"type\":\"text\",\"message\":\"Hi\\n\\nthere\"}\n\n"
        );
        assert_eq!(
            text(Format::Sse.encode(&Event::Error { code: "model_stream_error", message: "boom" })),
            "event: failure\nid: end\ndata: {\"type\":\"error\",\"code\":\"model_stream_error\",\"message\":\"boom\"}\n\n",
            "not `error`: EventSource fires that for its own connection problems"
        );
    }

    #[test]
    fn plain_text_is_the_story_and_never_ends_silently_on_failure() {
        assert_eq!(Format::Plain.encode(&START), None);
        assert_eq!(text(Format::Plain.encode(&Event::Text { message: "Once" })), "Once");
        assert_eq!(text(Format::Plain.encode(&Event::Stop { reason: "end_turn" })), "\n");
        assert_eq!(Format::Plain.encode(&Event::Usage(Usage::default())), None);
        assert_eq!(Format::Plain.encode(&Event::Reasoning { message: "Hmm" }), None, "never the model's thinking");
        assert_eq!(
            text(Format::Plain.encode(&Event::Error { code: "throttled", message: "slow down" })),
            "\n[error throttled: slow down]\n"
        );
        assert_eq!(
            text(Format::Plain.encode(&Event::Error { code: "model_stream_error", message: "bad\noutput\r\n(500)" })),
            "\n[error model_stream_error: bad output  (500)]\n",
            "a message with line breaks of its own still makes one line"
        );
    }

    #[test]
    fn accept_picks_the_format() {
        let cases = [
            (None, Format::Ndjson),
            (Some(""), Format::Ndjson),
            (Some("*/*"), Format::Ndjson),
            (Some("application/json"), Format::Ndjson),
            (Some("application/x-ndjson"), Format::Ndjson),
            (Some("text/event-stream"), Format::Sse),
            (Some("Text/Plain; charset=utf-8"), Format::Plain),
            (Some("text/html, text/plain;q=0.5, text/event-stream;q=0.9"), Format::Sse),
            (Some("image/png, */*;q=0.1"), Format::Ndjson),
            (Some("text/event-stream;q=0, text/plain"), Format::Plain),
            (Some("text/event-stream;Q=0, text/plain"), Format::Plain),
            (Some("text/event-stream;q=2, text/plain;q=1"), Format::Sse),
            (Some("text/event-stream;q=NaN, text/plain;q=0.1"), Format::Plain),
        ];
        for (accept, want) in cases {
            assert_eq!(Format::negotiate(accept).unwrap(), want, "{accept:?}");
        }
    }

    #[test]
    fn an_accept_header_we_cannot_serve_is_406() {
        let err = Format::negotiate(Some("image/png, text/html")).unwrap_err();
        assert_eq!((err.status().as_u16(), err.code()), (406, "not_acceptable"));
    }

    #[test]
    fn error_bodies_are_json_with_type_code_and_message() {
        let error = ApiError::InvalidStoryType("storyType is required".into());
        for format in [None, Some(Format::Ndjson), Some(Format::Plain)] {
            let (content_type, body) = error_body(format, &error);
            assert_eq!(content_type, "application/json");
            assert_eq!(&body[..], br#"{"type":"error","code":"invalid_story_type","message":"storyType is required"}"#);
        }
    }

    #[test]
    fn an_error_body_for_an_sse_caller_is_one_failure_event_it_will_not_ask_again_for() {
        let (content_type, body) = error_body(Some(Format::Sse), &ApiError::InvalidStoryType("no".into()));
        assert_eq!(content_type, "text/event-stream");
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "retry: 5000\nevent: failure\nid: end\ndata: {\"type\":\"error\",\"code\":\"invalid_story_type\",\"message\":\"no\"}\n\n"
        );
    }
}
