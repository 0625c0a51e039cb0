//! Splits a streamed Lambda response body, as the Runtime API received it frame by frame, into
//! its parts: the JSON prelude (status and headers), the 8-NUL separator, and the payload's
//! events, framed as [`Framing`] says. Each part carries the arrival time of the frame holding its
//! last byte: the moment a caller could first have used it.
//!
//! Generic over the timestamp so the tests can use plain numbers.

use bytes::Bytes;
use serde_json::Value;

const SEPARATOR: [u8; 8] = [0; 8];

/// How a handler frames the events of its payload (`--compare-framing`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Framing {
    /// One JSON event per line: this handler's NDJSON, and on `/v1/chat/completions` one SSE
    /// `data:` line per chunk (blank lines and comment lines skipped, `[DONE]` kept as a JSON
    /// string). A complete answer ends with a story's `usage` or a chat completion's `[DONE]`.
    #[default]
    Lines,
    /// JSON values back to back with nothing between them, as the original CDK sample's handler
    /// writes them (one `serde_json::to_vec` per event, no newline). Its last event says nothing
    /// about the end, so an answer counts as complete when its body ended cleanly (the Runtime API
    /// saw the end of the chunked body) after at least one whole event; the CPU and relay phases
    /// also check every story's text events against the deltas the emulator sent.
    Concatenated,
}

impl Framing {
    /// Whether `streamed` is a whole answer, given that its body ended cleanly.
    pub fn is_complete<T>(self, streamed: &Streamed<T>) -> bool {
        match self {
            Framing::Lines => streamed.events.last().is_some_and(Received::is_end),
            Framing::Concatenated => !streamed.events.is_empty(),
        }
    }
}

#[derive(Debug, PartialEq)]
pub struct Streamed<T> {
    pub prelude: Value,
    pub prelude_at: T,
    pub separator_at: T,
    pub events: Vec<Received<T>>,
}

#[derive(Debug, PartialEq)]
pub struct Received<T> {
    pub at: T,
    pub event: Value,
}

impl<T> Received<T> {
    /// A story's `text` event, or a chat completion chunk carrying content.
    pub fn is_text(&self) -> bool {
        self.event["type"] == "text"
            || self.event["choices"][0]["delta"]["content"].as_str().is_some_and(|content| !content.is_empty())
    }

    /// The last event of a complete answer: a story's `usage`, a chat completion's `[DONE]`.
    pub fn is_end(&self) -> bool {
        self.event["type"] == "usage" || self.event == "[DONE]"
    }
}

impl<T: Copy> Streamed<T> {
    /// Arrival times of the `text` events, in order.
    pub fn text_times(&self) -> Vec<T> {
        self.events.iter().filter(|e| e.is_text()).map(|e| e.at).collect()
    }
}

#[derive(Debug, PartialEq)]
pub enum SplitError {
    NoSeparator,
    Prelude(String),
    Event {
        line: String,
        error: String,
    },
    /// The body ended in the middle of an event line.
    Unterminated(String),
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::NoSeparator => write!(f, "the body has no 8-NUL separator after a prelude"),
            SplitError::Prelude(error) => write!(f, "the prelude is not JSON: {error}"),
            SplitError::Event { line, error } => write!(f, "event {line:?} is not JSON: {error}"),
            SplitError::Unterminated(rest) => write!(f, "the body ends mid-line: {rest:?}"),
        }
    }
}

impl std::error::Error for SplitError {}

pub fn split<T: Copy>(frames: &[(T, Bytes)], framing: Framing) -> Result<Streamed<T>, SplitError> {
    // The whole body plus, per frame, the offset just past its last byte: a byte's arrival time
    // is that of the first frame ending after it.
    let mut body = Vec::new();
    let mut ends = Vec::with_capacity(frames.len());
    for (at, data) in frames {
        body.extend_from_slice(data);
        ends.push((body.len(), *at));
    }
    let arrival = |offset: usize| ends[ends.partition_point(|&(end, _)| end <= offset)].1;

    // JSON escapes control characters, so the first run of 8 NULs is the separator.
    let start = body
        .windows(SEPARATOR.len())
        .position(|w| w == SEPARATOR)
        .filter(|&at| at > 0)
        .ok_or(SplitError::NoSeparator)?;
    let prelude = serde_json::from_slice(&body[..start]).map_err(|error| SplitError::Prelude(error.to_string()))?;
    let payload_start = start + SEPARATOR.len();
    let payload = &body[payload_start..];
    // Each event with the payload offset of its last byte.
    let events = match framing {
        Framing::Lines => lines(payload)?,
        Framing::Concatenated => concatenated(payload)?,
    };
    Ok(Streamed {
        prelude,
        prelude_at: arrival(start - 1),
        separator_at: arrival(payload_start - 1),
        events: events.into_iter().map(|(last, event)| Received { at: arrival(payload_start + last), event }).collect(),
    })
}

/// [`Framing::Lines`]: each event ends at its newline.
fn lines(payload: &[u8]) -> Result<Vec<(usize, Value)>, SplitError> {
    let mut events = Vec::new();
    let mut line_start = 0;
    for (newline, _) in payload.iter().enumerate().filter(|(_, b)| **b == b'\n') {
        let line = &payload[line_start..newline];
        line_start = newline + 1;
        if line.is_empty() || line.starts_with(b":") {
            continue;
        }
        let line = line.strip_prefix(b"data: ").unwrap_or(line);
        if line == b"[DONE]" {
            events.push((newline, Value::from("[DONE]")));
            continue;
        }
        let event = serde_json::from_slice(line).map_err(|error| SplitError::Event {
            line: String::from_utf8_lossy(line).into_owned(),
            error: error.to_string(),
        })?;
        events.push((newline, event));
    }
    if line_start < payload.len() {
        return Err(SplitError::Unterminated(String::from_utf8_lossy(&payload[line_start..]).into_owned()));
    }
    Ok(events)
}

/// [`Framing::Concatenated`]: each event ends at its own last byte (whitespace between events is
/// allowed, as a JSON text stream allows it).
fn concatenated(payload: &[u8]) -> Result<Vec<(usize, Value)>, SplitError> {
    let mut events = Vec::new();
    let mut values = serde_json::Deserializer::from_slice(payload).into_iter::<Value>();
    while let Some(value) = values.next() {
        // After an error, the offset is the end of the last whole event.
        let end = values.byte_offset();
        match value {
            Ok(event) => events.push((end - 1, event)),
            Err(error) => {
                let rest = String::from_utf8_lossy(&payload[end..]).trim_start().to_owned();
                return Err(if error.is_eof() {
                    SplitError::Unterminated(rest)
                } else {
                    SplitError::Event { line: rest, error: error.to_string() }
                });
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frames(parts: &[(u32, &str)]) -> Vec<(u32, Bytes)> {
        parts.iter().map(|&(at, s)| (at, Bytes::copy_from_slice(s.as_bytes()))).collect()
    }

    const NULS: &str = "\0\0\0\0\0\0\0\0";

    fn split_lines(frames: &[(u32, Bytes)]) -> Result<Streamed<u32>, SplitError> {
        split(frames, Framing::Lines)
    }

    #[test]
    fn one_frame_per_part_as_lambda_runtime_sends_it() {
        let streamed = split_lines(&frames(&[
            (1, r#"{"statusCode":200,"headers":{},"cookies":[]}"#),
            (2, NULS),
            (3, "{\"type\":\"start\"}\n"),
            (4, "{\"type\":\"text\",\"message\":\"Once\"}\n"),
            (5, "{\"type\":\"text\",\"message\":\" upon\"}\n"),
            (6, "{\"type\":\"stop\",\"reason\":\"end_turn\"}\n"),
        ]))
        .unwrap();
        assert_eq!(streamed.prelude["statusCode"], 200);
        assert_eq!((streamed.prelude_at, streamed.separator_at), (1, 2));
        assert_eq!(streamed.events.len(), 4);
        assert_eq!(streamed.events[1].event, json!({"type":"text","message":"Once"}));
        assert_eq!(streamed.text_times(), [4, 5]);
    }

    #[test]
    fn each_part_is_timed_by_the_frame_that_completes_it() {
        let streamed = split_lines(&frames(&[
            (1, r#"{"statusCode":"#),
            (2, "200}\0\0\0"),
            (3, "\0\0\0\0\0{\"type\":\"te"),
            (4, "xt\",\"message\":\"a\"}\n{\"type\":\"text\",\"message\":\"b\"}\n"),
        ]))
        .unwrap();
        assert_eq!((streamed.prelude_at, streamed.separator_at), (2, 3));
        assert_eq!(streamed.text_times(), [4, 4]);
    }

    #[test]
    fn parts_may_share_a_frame_and_empty_frames_are_harmless() {
        let streamed =
            split_lines(&frames(&[(1, ""), (2, "{\"a\":1}\0\0\0\0\0\0\0\0{\"type\":\"text\"}\n"), (3, "")])).unwrap();
        assert_eq!(streamed.prelude, json!({"a":1}));
        assert_eq!((streamed.prelude_at, streamed.separator_at), (2, 2));
        assert_eq!(streamed.text_times(), [2]);
    }

    #[test]
    fn chat_completion_chunks_are_read_from_their_data_lines() {
        let chunk = |delta: &str| format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{delta}}}]}}\n\n");
        let streamed = split_lines(&frames(&[
            (1, "{}"),
            (2, NULS),
            (3, &chunk(r#"{"role":"assistant","content":""}"#)),
            (4, ": keep-alive\n\n"),
            (5, &chunk(r#"{"content":"Once"}"#)),
            (6, "data: [DONE]\n\n"),
        ]))
        .unwrap();
        assert_eq!(streamed.events.len(), 3);
        assert_eq!(streamed.text_times(), [5], "the role chunk carries no text");
        assert!(streamed.events[2].is_end());
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert_eq!(split_lines(&frames(&[(1, "{\"type\":\"text\"}\n")])), Err(SplitError::NoSeparator));
        assert!(matches!(split_lines(&frames(&[(1, "{oops"), (2, NULS)])), Err(SplitError::Prelude(_))));
        assert!(matches!(
            split_lines(&frames(&[(1, "{}"), (2, NULS), (3, "not json\n")])),
            Err(SplitError::Event { .. })
        ));
        assert_eq!(
            split_lines(&frames(&[(1, "{}"), (2, NULS), (3, "{\"type\":")])),
            Err(SplitError::Unterminated("{\"type\":".into()))
        );
    }

    #[test]
    fn concatenated_events_are_timed_by_the_frame_with_their_closing_brace() {
        // The original CDK sample's framing: one serde_json object per frame, no newline.
        let parts = [
            (1, r#"{"statusCode":200,"headers":{},"cookies":[]}"#),
            (2, NULS),
            (3, r#"{"type":"other","message":null}"#),
            (4, r#"{"type":"text","message":"Once"}"#),
            (5, r#"{"type":"text","#),
            (6, r#""message":" upon"}{"type":"other","message":null}"#),
        ];
        let streamed = split(&frames(&parts), Framing::Concatenated).unwrap();
        assert_eq!((streamed.prelude_at, streamed.separator_at), (1, 2));
        assert_eq!(streamed.events.len(), 4);
        assert_eq!(streamed.events[1].event, json!({"type":"text","message":"Once"}));
        assert_eq!(streamed.text_times(), [4, 6]);
        assert_eq!(streamed.events[3].at, 6);
        assert!(Framing::Concatenated.is_complete(&streamed), "the sample's stream has no end marker");
        assert!(!Framing::Lines.is_complete(&streamed), "an NDJSON story ends with usage");
        // Read as lines, the same body is one unterminated line.
        assert!(matches!(split_lines(&frames(&parts)), Err(SplitError::Unterminated(_))));
    }

    #[test]
    fn concatenated_events_may_be_spaced_and_must_be_whole() {
        let streamed =
            split(&frames(&[(1, "{}"), (2, NULS), (3, "{\"a\":1}\n {\"b\":2}")]), Framing::Concatenated).unwrap();
        assert_eq!(
            streamed.events.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
            [json!({"a":1}), json!({"b":2})]
        );
        assert!(
            !Framing::Concatenated
                .is_complete(&split(&frames(&[(1, "{}"), (2, NULS)]), Framing::Concatenated).unwrap())
        );
        assert_eq!(
            split(&frames(&[(1, "{}"), (2, NULS), (3, "{\"a\":1}{\"type\":")]), Framing::Concatenated),
            Err(SplitError::Unterminated("{\"type\":".into()))
        );
        assert!(matches!(
            split(&frames(&[(1, "{}"), (2, NULS), (3, "{\"a\":1}oops")]), Framing::Concatenated),
            Err(SplitError::Event { .. })
        ));
    }
}
