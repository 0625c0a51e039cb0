//! Properties of what goes over the wire and of what a request may contain, checked on generated
//! inputs (the cargo-fuzz targets in `fuzz/` check the same invariants on far more inputs):
//!
//! - NDJSON: every event is exactly one line holding its JSON, whatever the model wrote;
//! - SSE: every event is `event: <type>` plus one `data:` line of the same JSON, then a blank line;
//! - Plain: the story text byte for byte, and an error on a line of its own;
//! - `Accept`: every header gets a format or a 406, and a format we serve is found wherever it is
//!   listed;
//! - requests: any storyType of letters, digits, space, `-` and `_` (1 to 64, with a letter or
//!   digit) gets in unchanged, anything else is refused with `invalid_story_type`; `maxTokens` gets
//!   in exactly when it is a whole number from 1 to the cap; the allow-list is case-insensitive.

use bedrock_streamer::error::ApiError;
use bedrock_streamer::request::{self, Limits, MAX_STORY_TYPE_CHARS, StoryRequest};
use bedrock_streamer::wire::{self, Event, Format};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// What the model writes, and the events made from it
// ---------------------------------------------------------------------------------------------

/// Characters JSON, SSE or a terminal treat specially, to make them common in generated text.
const AWKWARD: &[char] = &[
    '\n', '\r', '\t', '"', '\\', '\0', '\u{7}', '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', ':', ' ', 'é',
    '🦦',
];

/// Any text a model might stream: arbitrary Unicode, or text dense in awkward characters.
fn story_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), vec(prop_oneof![select(AWKWARD), any::<char>()], 0..48).prop_map(String::from_iter)]
}

/// Every `code` an error event can carry.
const CODES: &[&str] = &[
    "throttled",
    "model_access_denied",
    "model_not_found",
    "bedrock_rejected",
    "upstream_timeout",
    "upstream_error",
    "model_stream_error",
    "timeout",
    "upstream_incomplete",
];

/// An event with owned data (`wire::Event` borrows), and the JSON the README documents for it.
#[derive(Debug, Clone)]
enum Owned {
    Start { model: String, request_id: String, bedrock_request_id: Option<String> },
    Text(String),
    Stop(String),
    Usage(i32, i32, i64),
    Error(&'static str, String),
}

impl Owned {
    fn event(&self) -> Event<'_> {
        match self {
            Owned::Start { model, request_id, bedrock_request_id } => {
                Event::Start { model, request_id, bedrock_request_id: bedrock_request_id.as_deref() }
            }
            Owned::Text(message) => Event::Text { message },
            Owned::Stop(reason) => Event::Stop { reason },
            Owned::Usage(input_tokens, output_tokens, latency_ms) => {
                Event::Usage { input_tokens: *input_tokens, output_tokens: *output_tokens, latency_ms: *latency_ms }
            }
            Owned::Error(code, message) => Event::Error { code, message },
        }
    }

    fn json(&self) -> Value {
        match self {
            Owned::Start { model, request_id, bedrock_request_id } => json!({
                "type": "start",
                "model": model,
                "requestId": request_id,
                "bedrockRequestId": bedrock_request_id,
            }),
            Owned::Text(message) => json!({"type": "text", "message": message}),
            Owned::Stop(reason) => json!({"type": "stop", "reason": reason}),
            Owned::Usage(input, output, latency) => json!({
                "type": "usage",
                "inputTokens": input,
                "outputTokens": output,
                "latencyMs": latency,
            }),
            Owned::Error(code, message) => {
                json!({"type": "error", "code": code, "message": message})
            }
        }
    }
}

fn any_event() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (story_text(), story_text(), proptest::option::of(story_text()))
            .prop_map(|(model, request_id, bedrock_request_id)| Owned::Start { model, request_id, bedrock_request_id }),
        story_text().prop_map(Owned::Text),
        story_text().prop_map(Owned::Stop),
        any::<(i32, i32, i64)>().prop_map(|(i, o, l)| Owned::Usage(i, o, l)),
        (select(CODES), story_text()).prop_map(|(code, message)| Owned::Error(code, message)),
    ]
}

fn utf8(bytes: &[u8]) -> Result<&str, TestCaseError> {
    std::str::from_utf8(bytes).map_err(|e| TestCaseError::fail(format!("not UTF-8: {e}")))
}

/// An NDJSON chunk's single line, parsed.
fn ndjson_line(event: &Event<'_>) -> Result<Value, TestCaseError> {
    let bytes = Format::Ndjson.encode(event).ok_or_else(|| TestCaseError::fail("NDJSON shows every event"))?;
    let line = utf8(&bytes)?;
    let json = line.strip_suffix('\n');
    prop_assert!(json.is_some(), "an NDJSON line ends with a newline: {line:?}");
    let json = json.unwrap();
    prop_assert!(!json.contains(['\n', '\r']), "one event is exactly one line: {line:?}");
    serde_json::from_str(json).map_err(|e| TestCaseError::fail(format!("{e}: {json:?}")))
}

/// An SSE chunk's event name and parsed data.
fn sse_frame(event: &Event<'_>) -> Result<(String, Value), TestCaseError> {
    let bytes = Format::Sse.encode(event).ok_or_else(|| TestCaseError::fail("SSE shows every event"))?;
    let frame = utf8(&bytes)?;
    let fields =
        frame.strip_prefix("event: ").and_then(|f| f.strip_suffix("\n\n")).and_then(|f| f.split_once("\ndata: "));
    prop_assert!(fields.is_some(), "not `event: <type>\\ndata: <json>\\n\\n`: {frame:?}");
    let (name, data) = fields.unwrap();
    prop_assert!(
        !name.contains(['\n', '\r']) && !data.contains(['\n', '\r']),
        "an SSE event has exactly two fields: {frame:?}"
    );
    let data = serde_json::from_str(data).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    Ok((name.to_owned(), data))
}

/// Cuts `text` into deltas at the given char counts (as a model streams it), the rest last.
fn deltas(text: &str, sizes: &[usize]) -> Vec<String> {
    let mut chars = text.chars();
    let mut deltas: Vec<String> = sizes.iter().map(|&n| chars.by_ref().take(n).collect()).collect();
    deltas.push(chars.collect());
    deltas
}

proptest! {
    #[test]
    fn ndjson_writes_every_event_as_one_line_of_its_json(event in any_event()) {
        prop_assert_eq!(ndjson_line(&event.event())?, event.json());
    }

    #[test]
    fn sse_writes_every_event_as_its_type_and_one_data_line_of_the_same_json(
        event in any_event()
    ) {
        let (name, data) = sse_frame(&event.event())?;
        let want = event.json();
        prop_assert_eq!(name.as_str(), want["type"].as_str().unwrap());
        prop_assert_eq!(data, want);
    }

    #[test]
    fn plain_text_is_exactly_what_the_model_wrote(text in story_text()) {
        let bytes = Format::Plain.encode(&Event::Text { message: &text });
        prop_assert_eq!(bytes.as_deref(), Some(text.as_bytes()));
    }

    #[test]
    fn plain_shows_only_the_story_its_end_and_errors(event in any_event()) {
        let shown = Format::Plain.encode(&event.event());
        match &event {
            Owned::Start { .. } | Owned::Usage(..) => prop_assert_eq!(shown, None),
            Owned::Text(text) => prop_assert_eq!(shown.as_deref(), Some(text.as_bytes())),
            Owned::Stop(_) => prop_assert_eq!(shown.as_deref(), Some(&b"\n"[..])),
            Owned::Error(code, message) => {
                let want = format!("\n[error {code}: {}]\n", as_one_line(message));
                prop_assert_eq!(shown.as_deref(), Some(want.as_bytes()));
            }
        }
    }

    /// Whatever text came before, and whatever line breaks the message holds, an error is a line of its own.
    #[test]
    fn a_plain_error_is_a_line_of_its_own(
        before in story_text(),
        code in select(CODES),
        message in ".{0,60}",
    ) {
        let mut body = before.into_bytes();
        body.extend_from_slice(&Format::Plain.encode(&Event::Error { code, message: &message }).unwrap());
        let body = String::from_utf8(body).unwrap();
        let last = body.strip_suffix('\n').and_then(|b| b.rsplit_once('\n')).map(|(_, l)| l);
        let want = format!("[error {code}: {}]", as_one_line(&message));
        prop_assert_eq!(last, Some(want.as_str()));
    }

    /// A story streamed as many deltas reads back as the same text in every format.
    #[test]
    fn a_stream_of_deltas_reads_back_as_the_text(
        text in story_text(),
        sizes in vec(0usize..8, 0..12),
    ) {
        let deltas = deltas(&text, &sizes);
        let mut events: Vec<Event<'_>> =
            deltas.iter().map(|d| Event::Text { message: d }).collect();
        events.push(Event::Stop { reason: "end_turn" });
        let body = |format: Format| -> Vec<u8> {
            events.iter().filter_map(|e| format.encode(e)).flat_map(|b| b.to_vec()).collect()
        };

        let ndjson = String::from_utf8(body(Format::Ndjson)).unwrap();
        let lines: Vec<Value> = ndjson
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        prop_assert_eq!(lines.len(), events.len(), "one line per event");
        let read: String = lines.iter().filter_map(|l| l["message"].as_str()).collect();
        prop_assert_eq!(&read, &text);

        let sse = String::from_utf8(body(Format::Sse)).unwrap();
        let data: Vec<Value> = sse
            .split_terminator("\n\n")
            .map(|frame| serde_json::from_str(frame.split_once("\ndata: ").unwrap().1).unwrap())
            .collect();
        prop_assert_eq!(&data, &lines, "SSE carries the same events as NDJSON");

        prop_assert_eq!(String::from_utf8(body(Format::Plain)).unwrap(), format!("{text}\n"));
    }
}

// ---------------------------------------------------------------------------------------------
// Accept
// ---------------------------------------------------------------------------------------------

const SERVED: &[(&str, Format)] = &[
    ("application/x-ndjson", Format::Ndjson),
    ("application/json", Format::Ndjson),
    ("application/*", Format::Ndjson),
    ("*/*", Format::Ndjson),
    ("text/event-stream", Format::Sse),
    ("text/plain", Format::Plain),
    ("text/*", Format::Plain),
];

/// Media ranges we do not serve.
fn unserved_range() -> impl Strategy<Value = String> {
    prop_oneof![
        "(image|audio|video|font|model)/[a-z0-9.+-]{1,12}",
        Just("text/html".to_owned()),
        Just("application/xml".to_owned()),
    ]
}

/// Header-shaped text: media ranges (served or not, odd case, parameters, q values) and commas.
fn accept_header() -> impl Strategy<Value = String> {
    let media = prop_oneof![select(SERVED).prop_map(|(m, _)| m.to_owned()), unserved_range(), "[A-Za-z*/ ]{0,12}"];
    let param = prop_oneof!["q=[0-9](\\.[0-9]{0,3})?", Just("charset=utf-8".to_owned()), "[ qQ=.0-9a-z-]{0,8}"];
    let range =
        (media, vec(param, 0..3)).prop_map(|(m, ps)| std::iter::once(m).chain(ps).collect::<Vec<_>>().join("; "));
    prop_oneof![any::<String>(), vec(range, 0..5).prop_map(|ranges| ranges.join(", "))]
}

fn served(header: &str) -> Result<Format, (u16, &'static str)> {
    Format::negotiate(Some(header)).map_err(|e| (e.status().as_u16(), e.code()))
}

proptest! {
    #[test]
    fn every_accept_header_gets_a_format_or_a_406(header in accept_header()) {
        match Format::negotiate(Some(&header)) {
            Ok(_) => {}
            Err(e) => {
                prop_assert_eq!((e.status().as_u16(), e.code()), (406, "not_acceptable"));
                let body: Value = serde_json::from_slice(&wire::error_body(&e)).unwrap();
                prop_assert_eq!(&body["code"], "not_acceptable");
            }
        }
    }

    #[test]
    fn a_served_format_is_found_wherever_the_header_lists_it(
        before in vec(unserved_range(), 0..4),
        after in vec(unserved_range(), 0..4),
        (media, format) in select(SERVED),
        upper in any::<bool>(),
        q in prop_oneof![Just(None), (1u32..=1000).prop_map(Some)],
    ) {
        let media = if upper { media.to_ascii_uppercase() } else { media.to_owned() };
        let range = match q {
            None => media,
            Some(q) => format!("{media};q={}", f64::from(q) / 1000.0),
        };
        let header = before.into_iter().chain([range]).chain(after).collect::<Vec<_>>().join(", ");
        prop_assert_eq!(served(&header), Ok(format), "{}", header);
    }

    #[test]
    fn q_0_means_never(
        others in vec(unserved_range(), 0..4),
        (media, _) in select(SERVED),
    ) {
        let header = others.into_iter().chain([format!("{media};q=0")]).collect::<Vec<_>>().join(", ");
        prop_assert_eq!(served(&header), Err((406, "not_acceptable")));
    }

    #[test]
    fn a_blank_accept_means_ndjson(header in "[ \t]{0,4}") {
        prop_assert_eq!(served(&header), Ok(Format::Ndjson));
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const ANY_STORY: Limits<'static> = Limits { max_tokens_cap: 2048, allowed_story_types: None };

/// Letters of several scripts (Latin, accented Latin, Greek, Cyrillic, CJK) and digits (ASCII,
/// Arabic-Indic). Greek sigma is left out: its lower case depends on its position (σ, ς), so
/// upper-casing and lower-casing again need not give back the same letters.
const LETTER_OR_DIGIT: &str = "[a-zA-Zà-öø-ÿα-ρτ-ωА-я一-龥0-9٠-٩]";

/// A valid storyType: 1 to 64 letters, digits, spaces, `-` and `_`, at least one a letter or digit.
fn valid_story_type() -> impl Strategy<Value = String> {
    let allowed = proptest::string::string_regex(&format!("({LETTER_OR_DIGIT}|[ _-])")).unwrap();
    (vec(allowed, 1..=MAX_STORY_TYPE_CHARS), any::<prop::sample::Index>(), LETTER_OR_DIGIT).prop_map(
        |(mut chars, at, letter)| {
            *at.get_mut(&mut chars) = letter;
            chars.concat()
        },
    )
}

/// A character a storyType may not contain.
fn forbidden_char() -> impl Strategy<Value = char> {
    prop_oneof![
        select(vec![
            '\n', '\r', '\t', '\0', '.', ',', ':', '{', '}', '"', '\'', '\\', '/', '<', '$', '\u{200b}', '\u{2028}',
            '😀'
        ]),
        any::<char>().prop_filter("a letter, digit, space, - or _", |c| {
            !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        }),
    ]
}

fn body(fields: Value) -> Vec<u8> {
    serde_json::to_vec(&fields).unwrap()
}

fn parsed(fields: Value, limits: Limits<'_>) -> Result<StoryRequest, (u16, &'static str, String)> {
    request::parse(&body(fields), limits).map_err(|e: ApiError| (e.status().as_u16(), e.code(), e.to_string()))
}

proptest! {
    #[test]
    fn any_valid_story_type_is_accepted_unchanged(story_type in valid_story_type()) {
        let req = parsed(json!({"storyType": story_type}), ANY_STORY);
        prop_assert_eq!(req, Ok(StoryRequest { story_type, max_tokens: None }));
    }

    #[test]
    fn a_forbidden_character_anywhere_is_refused_and_named(
        before in valid_story_type().prop_map(|s| s.chars().take(31).collect::<String>()),
        bad in forbidden_char(),
        after in valid_story_type().prop_map(|s| s.chars().take(32).collect::<String>()),
    ) {
        let story_type = format!("{before}{bad}{after}");
        let (status, code, message) =
            parsed(json!({"storyType": story_type}), ANY_STORY).unwrap_err();
        prop_assert_eq!((status, code), (400, "invalid_story_type"));
        let named = format!("found {bad:?}");
        prop_assert!(message.contains(&named), "{:?} does not name {:?}", message, bad);
    }

    #[test]
    fn a_story_type_over_64_characters_is_refused(
        parts in vec(valid_story_type(), 2..6).prop_filter("over 64", |p| {
            p.iter().map(|s| s.chars().count()).sum::<usize>() > MAX_STORY_TYPE_CHARS
        })
    ) {
        let story_type = parts.concat();
        let (status, code, _) = parsed(json!({"storyType": story_type}), ANY_STORY).unwrap_err();
        prop_assert_eq!((status, code), (400, "invalid_story_type"));
    }

    #[test]
    fn only_spaces_dashes_and_underscores_is_refused(story_type in "[ _-]{1,64}") {
        let (status, code, message) =
            parsed(json!({"storyType": story_type}), ANY_STORY).unwrap_err();
        prop_assert_eq!((status, code), (400, "invalid_story_type"));
        prop_assert!(message.contains("a letter or digit"), "{}", message);
    }

    #[test]
    fn the_allow_list_is_case_insensitive(
        story_type in valid_story_type(),
        others in vec(valid_story_type().prop_map(|s| s.to_lowercase()), 0..4),
        listed in any::<bool>(),
    ) {
        let mut allowed = others;
        if listed {
            allowed.push(story_type.to_lowercase());
        }
        let limits = Limits { max_tokens_cap: 2048, allowed_story_types: Some(&allowed) };
        let sent = story_type.to_uppercase();
        let got = parsed(json!({"storyType": sent}), limits);
        if allowed.contains(&story_type.to_lowercase()) {
            prop_assert_eq!(got.map(|r| r.story_type), Ok(sent));
        } else {
            let (status, code, _) = got.unwrap_err();
            prop_assert_eq!((status, code), (400, "story_type_not_allowed"));
        }
    }

    #[test]
    fn max_tokens_from_1_to_the_cap_is_accepted(
        (cap, n) in (1..=u32::MAX).prop_flat_map(|cap| (Just(cap), 1..=cap)),
    ) {
        let limits = Limits { max_tokens_cap: cap, allowed_story_types: None };
        let req = parsed(json!({"storyType": "CATS", "maxTokens": n}), limits);
        prop_assert_eq!(req.map(|r| r.max_tokens), Ok(Some(n)));
    }

    #[test]
    fn max_tokens_of_0_or_over_the_cap_is_refused(
        (cap, n) in (1..=u32::MAX).prop_flat_map(|cap| {
            (Just(cap), prop_oneof![Just(0), u64::from(cap) + 1..=u64::MAX])
        }),
    ) {
        let limits = Limits { max_tokens_cap: cap, allowed_story_types: None };
        let (status, code, message) =
            parsed(json!({"storyType": "CATS", "maxTokens": n}), limits).unwrap_err();
        prop_assert_eq!((status, code), (400, "invalid_max_tokens"));
        let range = format!("from 1 to {cap}; got {n}");
        prop_assert!(message.contains(&range), "{}", message);
    }

    /// Negative, fractional and exponent forms are refused, even `5.0` and `1e3`.
    #[test]
    fn max_tokens_must_be_written_as_a_whole_number(
        number in prop_oneof!["-[1-9][0-9]{0,9}", "(0|[1-9][0-9]{0,3})\\.[0-9]{1,3}", "[1-9]e[0-9]"],
    ) {
        let body = format!("{{\"storyType\":\"CATS\",\"maxTokens\":{number}}}");
        let err = request::parse(body.as_bytes(), ANY_STORY).unwrap_err();
        prop_assert_eq!((err.status().as_u16(), err.code()), (400, "invalid_max_tokens"));
    }

    /// Whatever arrives, the answer is a request or a 4xx with a JSON error body.
    #[test]
    fn any_body_gets_a_request_or_a_json_4xx(
        bytes in prop_oneof![
            vec(any::<u8>(), 0..200),
            "\\{(\"(storyType|maxTokens|x)\":(\"[^\"]{0,10}\"|-?[0-9]{1,12}|null|true|\\[\\]),?){0,3}\\}"
                .prop_map(String::into_bytes),
        ],
    ) {
        match request::parse(&bytes, ANY_STORY) {
            Ok(req) => {
                let sent: Value = serde_json::from_slice(&bytes).unwrap();
                prop_assert_eq!(&sent["storyType"], req.story_type.as_str());
            }
            Err(e) => {
                prop_assert!(e.is_client_error(), "{e:?}");
                let body: Value = serde_json::from_slice(&wire::error_body(&e)).unwrap();
                prop_assert_eq!(&body["type"], "error");
                prop_assert_eq!(&body["code"], e.code());
                let message = e.to_string();
                prop_assert_eq!(&body["message"], message.as_str());
            }
        }
    }
}

/// An error message as Plain shows it: control characters (line breaks among them) as spaces.
fn as_one_line(message: &str) -> String {
    message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
