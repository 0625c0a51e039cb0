//! Properties of what goes over the wire and of what a request may contain, checked on generated
//! inputs (the cargo-fuzz targets in `fuzz/` check the same invariants on far more inputs):
//!
//! - NDJSON: every event is exactly one line holding its JSON, whatever the model wrote, also for
//!   a client that splits lines as Python's `str.splitlines` does (U+0085, U+2028, U+2029 and the
//!   ASCII separators are line breaks there);
//! - SSE: every event is `event: <name>` (the type, `failure` for an error), `retry:` on `start`,
//!   `id:` on `usage` and `failure`, and one `data:` line of the same JSON, then a blank line, for
//!   the same clients;
//! - Plain: the story text byte for byte, and an error on a line of its own;
//! - `Accept`: every header gets a format or a 406, and a format we serve is found wherever it is
//!   listed;
//! - requests: any storyType of words of any script (letters, digits, their combining marks,
//!   joiners between letters) separated by space, `-` or `_` gets in as its NFC, decomposed or not;
//!   a forbidden character, a mark on nothing, a joiner not between letters, over 64 characters
//!   after NFC or no letter or digit is refused with `invalid_story_type`, naming the character;
//!   `maxTokens` gets in exactly when it is a whole number from 1 to the cap; the allow-list ignores
//!   case and composition.

mod support;

use bedrock_streamer::error::ApiError;
use std::sync::LazyLock;

use bedrock_streamer::request::models::{Model, Models};
use bedrock_streamer::request::story_type::{self, MAX_CHARS};
use bedrock_streamer::request::{self, Limits, StoryRequest};
use bedrock_streamer::stream::wire::{self, Event, Format, Usage};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

// ---------------------------------------------------------------------------------------------
// What the model writes, and the events made from it
// ---------------------------------------------------------------------------------------------

/// Characters JSON, SSE or a terminal treat specially, to make them common in generated text.
const AWKWARD: &[char] = &[
    '\n', '\r', '\t', '"', '\\', '\0', '\u{7}', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{7f}', '\u{85}',
    '\u{2028}', '\u{2029}', '\u{feff}', ':', ' ', 'é', '🦦',
];

/// Any text a model might stream: arbitrary Unicode, or text dense in awkward characters.
fn story_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), vec(prop_oneof![select(AWKWARD), any::<char>()], 0..48).prop_map(String::from_iter)]
}

/// An event with owned data (`wire::Event` borrows), and the JSON docs/api.md documents for it.
#[derive(Debug, Clone)]
enum Owned {
    Start { model: String, model_alias: String, request_id: String, bedrock_request_id: Option<String> },
    Text(String),
    Reasoning(String),
    Stop(String),
    Usage(Usage),
    Error(&'static str, String),
}

impl Owned {
    fn event(&self) -> Event<'_> {
        match self {
            Owned::Start { model, model_alias, request_id, bedrock_request_id } => {
                Event::Start { model, model_alias, request_id, bedrock_request_id: bedrock_request_id.as_deref() }
            }
            Owned::Text(message) => Event::Text { message },
            Owned::Reasoning(message) => Event::Reasoning { message },
            Owned::Stop(reason) => Event::Stop { reason },
            Owned::Usage(usage) => Event::Usage(*usage),
            Owned::Error(code, message) => Event::Error { code, message },
        }
    }

    fn json(&self) -> Value {
        match self {
            Owned::Start { model, model_alias, request_id, bedrock_request_id } => json!({
                "type": "start",
                "model": model,
                "modelAlias": model_alias,
                "requestId": request_id,
                "bedrockRequestId": bedrock_request_id,
            }),
            Owned::Text(message) => json!({"type": "text", "message": message}),
            Owned::Reasoning(message) => json!({"type": "reasoning", "message": message}),
            Owned::Stop(reason) => json!({"type": "stop", "reason": reason}),
            Owned::Usage(usage) => {
                // Only the counts Bedrock sent.
                let counts = [
                    ("inputTokens", usage.input_tokens.map(i64::from)),
                    ("outputTokens", usage.output_tokens.map(i64::from)),
                    ("totalTokens", usage.total_tokens.map(i64::from)),
                    ("cacheReadInputTokens", usage.cache_read_input_tokens.map(i64::from)),
                    ("cacheWriteInputTokens", usage.cache_write_input_tokens.map(i64::from)),
                    ("latencyMs", usage.latency_ms),
                ];
                let mut object = json!({"type": "usage"});
                for (name, count) in counts {
                    if let Some(count) = count {
                        object[name] = json!(count);
                    }
                }
                object
            }
            Owned::Error(code, message) => {
                json!({"type": "error", "code": code, "message": message})
            }
        }
    }
}

fn any_event() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (story_text(), story_text(), story_text(), proptest::option::of(story_text())).prop_map(
            |(model, model_alias, request_id, bedrock_request_id)| Owned::Start {
                model,
                model_alias,
                request_id,
                bedrock_request_id
            }
        ),
        story_text().prop_map(Owned::Text),
        story_text().prop_map(Owned::Reasoning),
        story_text().prop_map(Owned::Stop),
        any::<([Option<i32>; 5], Option<i64>)>().prop_map(|([i, o, t, r, w], l)| Owned::Usage(Usage {
            input_tokens: i,
            output_tokens: o,
            total_tokens: t,
            cache_read_input_tokens: r,
            cache_write_input_tokens: w,
            latency_ms: l,
            cost: None,
            service_tier: None,
        })),
        (select(ApiError::CODES), story_text()).prop_map(|(code, message)| Owned::Error(code, message)),
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

/// The SSE event name for an event of JSON `type` (`error` is EventSource's own event).
fn sse_name(kind: &str) -> &str {
    if kind == "error" { "failure" } else { kind }
}

/// The SSE fields an event of JSON `type` carries besides `event` and `data`.
fn sse_extra(kind: &str) -> Option<&'static str> {
    match kind {
        "start" => Some("retry: 5000"),
        "usage" | "error" => Some("id: end"),
        _ => None,
    }
}

/// An SSE chunk's event name and parsed data, checking it is `event:`, the extra field its type
/// carries, and `data:`, each on one line, then a blank line.
fn sse_frame(event: &Event<'_>) -> Result<(String, Value), TestCaseError> {
    let bytes = Format::Sse.encode(event).ok_or_else(|| TestCaseError::fail("SSE shows every event"))?;
    let frame = utf8(&bytes)?;
    let body = frame.strip_suffix("\n\n");
    prop_assert!(body.is_some(), "an SSE event ends with a blank line: {frame:?}");
    let lines: Vec<&str> = body.unwrap().split('\n').collect();
    prop_assert!(!lines.iter().any(|l| l.contains('\r')), "no CR inside a field: {frame:?}");
    let name = lines[0].strip_prefix("event: ");
    let data = lines.last().and_then(|l| l.strip_prefix("data: "));
    prop_assert!(name.is_some() && data.is_some(), "not `event: <name>\\n…data: <json>\\n\\n`: {frame:?}");
    let data: Value = serde_json::from_str(data.unwrap()).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let extra = sse_extra(data["type"].as_str().unwrap_or_default());
    prop_assert_eq!(&lines[1..lines.len() - 1], extra.as_slice(), "{:?}", frame);
    Ok((name.unwrap().to_owned(), data))
}

/// Lines as Python's `str.splitlines` cuts them: at \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, \x85,
/// U+2028 and U+2029, with no empty last line for a text that ends with a break.
fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if matches!(
            c,
            '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        ) {
            lines.push(&text[start..at]);
            start = at + c.len_utf8();
            if c == '\r' && chars.next_if(|&(_, n)| n == '\n').is_some() {
                start += 1;
            }
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
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
        prop_assert_eq!(name.as_str(), sse_name(want["type"].as_str().unwrap()));
        prop_assert_eq!(data, want);
    }

    /// What requests' `iter_lines(decode_unicode=True)` does to a body: every event is still one
    /// NDJSON line, and one `event:` line, its extra field, one `data:` line and a blank line in SSE.
    #[test]
    fn every_event_survives_python_s_splitlines(events in vec(any_event(), 1..8)) {
        let body = |format: Format| -> String {
            let bytes: Vec<u8> = events.iter().flat_map(|e| format.encode(&e.event()).unwrap().to_vec()).collect();
            String::from_utf8(bytes).unwrap()
        };
        let ndjson = body(Format::Ndjson);
        let lines = splitlines(&ndjson);
        prop_assert_eq!(lines.len(), events.len(), "{:?}", ndjson);
        for (line, event) in lines.iter().zip(&events) {
            prop_assert_eq!(serde_json::from_str::<Value>(line).ok(), Some(event.json()));
        }

        let sse = body(Format::Sse);
        let mut lines = splitlines(&sse).into_iter();
        for event in &events {
            let want = event.json();
            let kind = want["type"].as_str().unwrap();
            let name = lines.next();
            prop_assert_eq!(name.and_then(|l| l.strip_prefix("event: ")), Some(sse_name(kind)));
            if let Some(extra) = sse_extra(kind) {
                let field = lines.next();
                prop_assert_eq!(field, Some(extra));
            }
            let data = lines.next().and_then(|l| serde_json::from_str::<Value>(l.strip_prefix("data: ")?).ok());
            prop_assert_eq!(data, Some(want));
            let blank = lines.next();
            prop_assert_eq!(blank, Some(""));
        }
        prop_assert_eq!(lines.next(), None, "{:?}", sse);
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
            Owned::Start { .. } | Owned::Reasoning(_) | Owned::Usage(_) => prop_assert_eq!(shown, None),
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
        code in select(ApiError::CODES),
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
                let body: Value = serde_json::from_slice(&wire::error_body(None, &e).1).unwrap();
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

static ONE_MODEL: LazyLock<Models> = LazyLock::new(|| models_capped_at(2048));
fn any_story() -> Limits<'static> {
    Limits { models: &ONE_MODEL, allowed_story_types: None }
}

/// The one-model form with the given maxTokens cap.
fn models_capped_at(cap: u32) -> Models {
    Models::single(Model::new("default", "m", 1, cap))
}

/// A script's letters, the marks that sit on them, and whether words of it may use the
/// zero-width non-joiner and joiner. Every range here is safe to case-map both ways (no Greek
/// final sigma, no ß, no U+0345, whose upper case is a letter), so the allow-list property holds
/// for it; every letter is its own NFC (Hangul as precomposed syllables).
struct Script {
    letters: &'static [(char, char)],
    marks: &'static [(char, char)],
    joiners: bool,
}

const SCRIPTS: &[Script] = &[
    // Latin with combining diacritics (composed by NFC where a precomposed letter exists).
    Script {
        letters: &[('a', 'z'), ('A', 'Z'), ('à', 'ö'), ('ø', 'ÿ')],
        marks: &[('\u{300}', '\u{333}')],
        joiners: false,
    },
    Script { letters: &[('α', 'ρ'), ('τ', 'ω'), ('А', 'я')], marks: &[], joiners: false },
    // Devanagari: consonants, vowel signs and the virama (a joiner after it shapes a half form).
    Script { letters: &[('\u{915}', '\u{939}')], marks: &[('\u{93e}', '\u{94d}')], joiners: true },
    // Thai: consonants, vowel and tone marks.
    Script {
        letters: &[('\u{e01}', '\u{e2e}')],
        marks: &[('\u{e31}', '\u{e31}'), ('\u{e34}', '\u{e3a}'), ('\u{e48}', '\u{e4b}')],
        joiners: false,
    },
    // Arabic script (Persian writes the non-joiner inside words) with harakat.
    Script {
        letters: &[('\u{628}', '\u{63a}'), ('\u{641}', '\u{64a}'), ('\u{6cc}', '\u{6cc}')],
        marks: &[('\u{64b}', '\u{652}')],
        joiners: true,
    },
    Script { letters: &[('\u{5d0}', '\u{5ea}')], marks: &[('\u{5b0}', '\u{5b9}')], joiners: false },
    Script { letters: &[('一', '龥'), ('가', '힣')], marks: &[], joiners: false },
];

/// Digits of several scripts (ASCII, Arabic-Indic, Devanagari, Thai).
const DIGITS: &[(char, char)] = &[('0', '9'), ('\u{660}', '\u{669}'), ('\u{966}', '\u{96f}'), ('\u{e50}', '\u{e59}')];

fn from_ranges(ranges: &'static [(char, char)]) -> BoxedStrategy<char> {
    select(ranges).prop_flat_map(|(lo, hi)| proptest::char::range(lo, hi)).boxed()
}

/// A letter of `script` with up to two of its marks, or a digit (marks may sit on digits too).
fn cluster(script: &'static Script) -> impl Strategy<Value = String> {
    let base = prop_oneof![4 => from_ranges(script.letters), 1 => from_ranges(DIGITS)];
    let marks =
        if script.marks.is_empty() { Just(Vec::new()).boxed() } else { vec(from_ranges(script.marks), 0..=2).boxed() };
    (base, marks).prop_map(|(base, marks)| std::iter::once(base).chain(marks).collect())
}

/// A word: 1 to `clusters` clusters of one script; where the script uses them, a joiner may stand
/// between two clusters that both begin with a letter.
fn word(clusters: usize) -> impl Strategy<Value = String> {
    (0..SCRIPTS.len()).prop_flat_map(move |i| {
        let script = &SCRIPTS[i];
        (vec(cluster(script), 1..=clusters), vec(select(vec![None, Some('\u{200c}'), Some('\u{200d}')]), clusters))
            .prop_map(move |(clusters, joiners)| {
                let mut word = String::new();
                for (i, cluster) in clusters.iter().enumerate() {
                    let starts_with_letter = |c: &String| c.chars().next().is_some_and(char::is_alphabetic);
                    if let Some(joiner) = joiners[i]
                        && script.joiners
                        && i > 0
                        && starts_with_letter(cluster)
                        && starts_with_letter(&clusters[i - 1])
                    {
                        word.push(joiner);
                    }
                    word.push_str(cluster);
                }
                word
            })
    })
}

/// A valid storyType of up to `words` words of up to `clusters` clusters, joined (and perhaps
/// led or ended) by space, `-` or `_`. Four words of four clusters stay within 64 characters.
fn story_type_of(words: usize, clusters: usize) -> impl Strategy<Value = String> {
    let separator = || proptest::string::string_regex("[ _-]{0,1}").unwrap();
    (separator(), vec((word(clusters), separator()), 1..=words), separator()).prop_map(|(lead, words, _)| {
        let mut s = lead;
        for (i, (word, sep)) in words.iter().enumerate() {
            s.push_str(word);
            if i + 1 < words.len() {
                s.push_str(if sep.is_empty() { " " } else { sep });
            } else {
                s.push_str(sep);
            }
        }
        s
    })
}

fn valid_story_type() -> impl Strategy<Value = String> {
    story_type_of(4, 3)
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Marks of several scripts, each its own NFC and a starter of nothing (so no neighbour absorbs it).
fn mark() -> impl Strategy<Value = char> {
    from_ranges(&[('\u{300}', '\u{333}'), ('\u{93e}', '\u{94d}'), ('\u{e48}', '\u{e4b}'), ('\u{64b}', '\u{652}')])
        .prop_filter("NFC-stable", |&c| nfc(&c.to_string()) == c.to_string())
}

/// A character a storyType may not contain: not a letter, number or mark, nor space, `-`, `_` or a
/// joiner; one that NFC leaves alone and that composes with nothing, so the message can name it.
fn forbidden_char() -> impl Strategy<Value = char> {
    prop_oneof![
        select(vec![
            '\n', '\r', '\t', '\0', '.', ',', ':', '{', '}', '"', '\'', '\\', '/', '<', '$', '\u{200b}', '\u{2028}',
            '\u{85}', '\u{feff}', '\u{2060}', '😀'
        ]),
        any::<char>(),
    ]
    .prop_filter("not a storyType character, NFC-stable, a starter", |&c| {
        let allowed = matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number | GeneralCategoryGroup::Mark
        ) || matches!(c, ' ' | '-' | '_' | '\u{200c}' | '\u{200d}');
        !allowed && nfc(&c.to_string()) == c.to_string() && canonical_combining_class(c) == 0
    })
}

fn body(fields: Value) -> Vec<u8> {
    serde_json::to_vec(&fields).unwrap()
}

fn parsed(fields: Value, limits: Limits<'_>) -> Result<StoryRequest<'_>, (u16, &'static str, String)> {
    request::parse(&body(fields), limits).map_err(|e: ApiError| (e.status().as_u16(), e.code(), e.to_string()))
}

fn refused(story_type: &str) -> Result<String, TestCaseError> {
    match parsed(json!({"storyType": story_type}), any_story()) {
        Err((400, "invalid_story_type", message)) => Ok(message),
        other => Err(TestCaseError::fail(format!("{story_type:?} was not refused as invalid_story_type: {other:?}"))),
    }
}

proptest! {
    /// Words of Latin, Greek, Cyrillic, Devanagari, Thai, Arabic, Hebrew, CJK and Hangul, with
    /// their marks and joiners, get in as their NFC.
    #[test]
    fn any_valid_story_type_is_accepted_in_nfc(story_type in valid_story_type()) {
        let req = parsed(json!({"storyType": story_type}), any_story());
        prop_assert_eq!(req, Ok(StoryRequest { story_type: nfc(&story_type), model: ONE_MODEL.default_model(), max_tokens: None }));
    }

    /// Decomposed (NFD) and composed forms are one story type, and the length is counted after
    /// composing: Hangul syllables and accented letters sent decomposed may exceed 64 code points.
    #[test]
    fn a_decomposed_story_type_is_the_composed_one(story_type in valid_story_type()) {
        let decomposed: String = story_type.nfd().collect();
        let req = parsed(json!({"storyType": decomposed}), any_story());
        prop_assert_eq!(req.map(|r| r.story_type), Ok(nfc(&story_type)));
    }

    #[test]
    fn a_forbidden_character_anywhere_is_refused_and_named(
        before in story_type_of(2, 3),
        bad in forbidden_char(),
        after in story_type_of(2, 3),
    ) {
        let message = refused(&format!("{before}{bad}{after}"))?;
        prop_assert!(message.contains("may contain only letters, digits, combining marks"), "{}", message);
        prop_assert!(message.contains(&code_point(bad)), "{:?} does not name {:?}", message, bad);
    }

    #[test]
    fn a_mark_with_no_letter_or_digit_before_it_is_refused(
        before in prop_oneof![Just(String::new()), story_type_of(2, 3).prop_map(|s| format!("{s} ")), Just("-".to_string())],
        mark in mark(),
        after in story_type_of(2, 3),
    ) {
        let message = refused(&format!("{before}{mark}{after}"))?;
        prop_assert!(message.contains(&format!("a combining mark ({})", code_point(mark))), "{}", message);
    }

    #[test]
    fn a_joiner_not_between_two_letters_is_refused(
        joiner in select(vec!['\u{200c}', '\u{200d}']),
        (before, after) in prop_oneof![
            (Just(String::new()), story_type_of(2, 3)),
            (story_type_of(2, 3), Just(String::new())),
            (story_type_of(2, 3).prop_map(|s| format!("{s} ")), story_type_of(2, 3)),
            (Just("7".to_string()), Just("8".to_string())),
        ],
    ) {
        let message = refused(&format!("{before}{joiner}{after}"))?;
        prop_assert!(message.contains(&format!("joiner or non-joiner ({})", code_point(joiner))), "{}", message);
    }

    #[test]
    fn a_story_type_over_64_characters_after_nfc_is_refused(
        parts in vec(valid_story_type(), 2..8).prop_filter("over 64", |p| {
            nfc(&p.concat()).chars().count() > MAX_CHARS
        })
    ) {
        let message = refused(&parts.concat())?;
        prop_assert!(message.contains("must be 1 to 64 characters long"), "{}", message);
    }

    #[test]
    fn only_spaces_dashes_and_underscores_is_refused(story_type in "[ _-]{1,64}") {
        let message = refused(&story_type)?;
        prop_assert!(message.contains("a letter or digit"), "{}", message);
    }

    /// The allow-list ignores case and composition: an entry matches the story type upper-cased
    /// and decomposed.
    #[test]
    fn the_allow_list_ignores_case_and_composition(
        story_type in valid_story_type(),
        others in vec(valid_story_type().prop_map(|s| story_type::key(&s)), 0..4),
        listed in any::<bool>(),
    ) {
        let mut allowed = others;
        if listed {
            allowed.push(story_type::key(&story_type));
        }
        let limits = Limits { models: &ONE_MODEL, allowed_story_types: Some(&allowed) };
        let sent: String = story_type.to_uppercase().nfd().collect();
        let got = parsed(json!({"storyType": sent}), limits);
        if allowed.contains(&story_type::key(&story_type)) {
            prop_assert_eq!(got.map(|r| r.story_type), Ok(nfc(&sent)));
        } else {
            let (status, code, _) = got.unwrap_err();
            prop_assert_eq!((status, code), (400, "story_type_not_allowed"));
        }
    }

    #[test]
    fn max_tokens_from_1_to_the_cap_is_accepted(
        (cap, n) in (1..=u32::MAX).prop_flat_map(|cap| (Just(cap), 1..=cap)),
    ) {
        let models = models_capped_at(cap);
        let limits = Limits { models: &models, allowed_story_types: None };
        let req = parsed(json!({"storyType": "CATS", "maxTokens": n}), limits);
        prop_assert_eq!(req.map(|r| r.max_tokens), Ok(Some(n)));
    }

    #[test]
    fn max_tokens_of_0_or_over_the_cap_is_refused(
        (cap, n) in (1..=u32::MAX).prop_flat_map(|cap| {
            (Just(cap), prop_oneof![Just(0), u64::from(cap) + 1..=u64::MAX])
        }),
    ) {
        let models = models_capped_at(cap);
        let limits = Limits { models: &models, allowed_story_types: None };
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
        let err = request::parse(body.as_bytes(), any_story()).unwrap_err();
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
        match request::parse(&bytes, any_story()) {
            Ok(req) => {
                let sent: Value = serde_json::from_slice(&bytes).unwrap();
                prop_assert_eq!(nfc(sent["storyType"].as_str().unwrap()), req.story_type);
            }
            Err(e) => {
                prop_assert!(e.is_client_error(), "{e:?}");
                let body: Value = serde_json::from_slice(&wire::error_body(None, &e).1).unwrap();
                prop_assert_eq!(&body["type"], "error");
                prop_assert_eq!(&body["code"], e.code());
                let message = e.to_string();
                prop_assert_eq!(&body["message"], message.as_str());
            }
        }
    }
}

/// An error message as Plain shows it: control characters (line breaks among them) and the
/// line and paragraph separators as spaces.
fn as_one_line(message: &str) -> String {
    message.chars().map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c }).collect()
}

/// The same as [`every_event_survives_python_s_splitlines`], checked by Python itself on events
/// holding every line break it knows.
#[test]
fn python_reads_one_event_per_line() {
    let breaks = "a\nb\rc\r\nd\u{b}e\u{c}f\u{1c}g\u{1d}h\u{1e}i\u{85}j\u{2028}k\u{2029}l";
    let events = [
        Event::Start { model: breaks, model_alias: breaks, request_id: "r", bedrock_request_id: None },
        Event::Text { message: breaks },
        Event::Error { code: "timeout", message: breaks },
    ];
    for format in [Format::Ndjson, Format::Sse] {
        let body: Vec<u8> = events.iter().flat_map(|e| format.encode(e).unwrap().to_vec()).collect();
        let lines = support::python_splitlines(&body);
        let data: Vec<&str> = match format {
            Format::Ndjson => lines.iter().map(String::as_str).collect(),
            _ => lines.iter().filter_map(|l| l.strip_prefix("data: ")).collect(),
        };
        // SSE: event, data and a blank line each, and `retry:` on start and `id:` on the error.
        assert_eq!(lines.len(), if format == Format::Ndjson { 3 } else { 11 }, "{lines:?}");
        let messages: Vec<Value> = data.iter().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect();
        assert_eq!(messages[0]["model"], breaks);
        assert_eq!(messages[1]["message"], breaks);
        assert_eq!(messages[2]["message"], breaks);
    }
}
