//! Splits a streamed Lambda response body, as the Runtime API received it frame by frame, into
//! its parts: the JSON prelude (status and headers), the 8-NUL separator, and the payload, which
//! in the handler's NDJSON format is one event per line, and on `/v1/chat/completions` one SSE
//! `data:` line per chunk (blank lines and comment lines skipped, `[DONE]` kept as a JSON string). Each part carries the arrival time of
//! the frame holding its last byte: the moment a caller could first have used it.
//!
//! Generic over the timestamp so the tests can use plain numbers.

use bytes::Bytes;
use serde_json::Value;

const SEPARATOR: [u8; 8] = [0; 8];

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

pub fn split<T: Copy>(frames: &[(T, Bytes)]) -> Result<Streamed<T>, SplitError> {
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

    let mut events = Vec::new();
    let mut line_start = payload_start;
    for (i, _) in body[payload_start..].iter().enumerate().filter(|(_, b)| **b == b'\n') {
        let newline = payload_start + i;
        let line = &body[line_start..newline];
        line_start = newline + 1;
        if line.is_empty() || line.starts_with(b":") {
            continue;
        }
        let line = line.strip_prefix(b"data: ").unwrap_or(line);
        if line == b"[DONE]" {
            events.push(Received { at: arrival(newline), event: Value::from("[DONE]") });
            continue;
        }
        let event = serde_json::from_slice(line).map_err(|error| SplitError::Event {
            line: String::from_utf8_lossy(line).into_owned(),
            error: error.to_string(),
        })?;
        events.push(Received { at: arrival(newline), event });
    }
    if line_start < body.len() {
        let rest = String::from_utf8_lossy(&body[line_start..]).into_owned();
        return Err(SplitError::Unterminated(rest));
    }

    Ok(Streamed { prelude, prelude_at: arrival(start - 1), separator_at: arrival(payload_start - 1), events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frames(parts: &[(u32, &str)]) -> Vec<(u32, Bytes)> {
        parts.iter().map(|&(at, s)| (at, Bytes::copy_from_slice(s.as_bytes()))).collect()
    }

    const NULS: &str = "\0\0\0\0\0\0\0\0";

    #[test]
    fn one_frame_per_part_as_lambda_runtime_sends_it() {
        let streamed = split(&frames(&[
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
        let streamed = split(&frames(&[
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
            split(&frames(&[(1, ""), (2, "{\"a\":1}\0\0\0\0\0\0\0\0{\"type\":\"text\"}\n"), (3, "")])).unwrap();
        assert_eq!(streamed.prelude, json!({"a":1}));
        assert_eq!((streamed.prelude_at, streamed.separator_at), (2, 2));
        assert_eq!(streamed.text_times(), [2]);
    }

    #[test]
    fn chat_completion_chunks_are_read_from_their_data_lines() {
        let chunk = |delta: &str| format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{delta}}}]}}\n\n");
        let streamed = split(&frames(&[
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
        assert_eq!(split(&frames(&[(1, "{\"type\":\"text\"}\n")])), Err(SplitError::NoSeparator));
        assert!(matches!(split(&frames(&[(1, "{oops"), (2, NULS)])), Err(SplitError::Prelude(_))));
        assert!(matches!(split(&frames(&[(1, "{}"), (2, NULS), (3, "not json\n")])), Err(SplitError::Event { .. })));
        assert_eq!(
            split(&frames(&[(1, "{}"), (2, NULS), (3, "{\"type\":")])),
            Err(SplitError::Unterminated("{\"type\":".into()))
        );
    }
}
