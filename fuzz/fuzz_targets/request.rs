//! `request::parse` over arbitrary bodies and arbitrary limits.
//!
//! Input layout (so seeds stay readable): byte 0 holds flags, bytes 1..5 the `maxTokens` cap of
//! the default model (little-endian u32, 0 read as 1), the rest is the request body. Shorter inputs
//! are a body alone with no allow-list and a cap of 2048. Two models are configured: `default`
//! with that cap and `wide` with the largest cap, so a `"model"` changes which cap applies.
//!
//! Flags: bits 0-1 choose the allow-list (none; a fixed list; an empty list; a list holding exactly
//! the body's own `storyType` as a key (lower case, NFC), so the "allowed" path is reached for any story type);
//! bit 2 pads the body with trailing spaces to exactly the size limit (trailing whitespace is still
//! the same JSON, so the outcome must not change); bit 3 pads it one byte past the limit (always
//! 413).
//!
//! Invariants: never panics; on Ok the storyType is the body's own `storyType` in NFC, satisfies
//! docs/api.md's rule (spelled out again below: letters, digits, marks on them, space, `-`, `_`, joiners
//! between letters, 1-64 characters, a letter or digit), and is in the allow-list when there is one; the
//! model is the body's own `"model"` (or `default` without one) and a configured alias; `maxTokens` is
//! the body's own and within 1..=that model's cap; a well-formed request is never rejected; on Err the status is
//! 400 or 413 with the matching code, and the error body is JSON {type:"error", code, message}.

#![no_main]

use bedrock_streamer::error::ApiError;
use bedrock_streamer::request::models::{Model, Models};
use bedrock_streamer::request::story_type::{self, MAX_CHARS};
use bedrock_streamer::request::{self, Limits, MAX_BODY_BYTES, StoryRequest};
use bedrock_streamer::stream::wire;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

const FIXED_ALLOW_LIST: &[&str] = &["cats", "sea otters", "hündchen_2-katzen", "x"];

fuzz_target!(|data: &[u8]| {
    let (flags, cap, body) = match data {
        [flags, a, b, c, d, body @ ..] => (*flags, u32::from_le_bytes([*a, *b, *c, *d]).max(1), body),
        _ => (0, 2048, data),
    };
    let allowed: Option<Vec<String>> = match flags & 0b11 {
        0 => None,
        1 => Some(FIXED_ALLOW_LIST.iter().map(|s| s.to_string()).collect()),
        2 => Some(Vec::new()),
        _ => Some(story_type_in(body).map(|s| vec![story_type::key(&s)]).unwrap_or_default()),
    };
    let models = Models::new(vec![Model::new("default", "m", 1, cap), Model::new("wide", "w", 1, u32::MAX)], "default")
        .expect("default is one of them");
    let limits = Limits { models: &models, allowed_story_types: allowed.as_deref() };

    let result = request::parse(body, limits);
    check(body, limits, &result);

    if flags & 0b100 != 0 && body.len() < MAX_BODY_BYTES {
        let padded = padded(body, MAX_BODY_BYTES);
        let at_limit = request::parse(&padded, limits);
        check(&padded, limits, &at_limit);
        assert_eq!(outcome(&at_limit), outcome(&result), "trailing spaces up to the limit changed the outcome");
    }
    if flags & 0b1000 != 0 && body.len() <= MAX_BODY_BYTES {
        let padded = padded(body, MAX_BODY_BYTES + 1);
        let err = request::parse(&padded, limits).expect_err("a body over the limit is refused");
        assert_eq!((err.status().as_u16(), err.code()), (413, "payload_too_large"));
    }
});

fn check(body: &[u8], limits: Limits<'_>, result: &Result<StoryRequest<'_>, ApiError>) {
    match result {
        Ok(req) => accepted(body, limits, req),
        Err(err) => rejected(err),
    }
    if well_formed(body, limits) {
        assert!(result.is_ok(), "a well-formed request was rejected: {result:?}");
    }
}

fn accepted(body: &[u8], limits: Limits<'_>, req: &StoryRequest<'_>) {
    assert!(body.len() <= MAX_BODY_BYTES);
    assert!(valid_story_type(&req.story_type), "accepted storyType {:?}", req.story_type);
    if let Some(allowed) = limits.allowed_story_types {
        assert!(allowed.contains(&story_type::key(&req.story_type)));
    }
    let model = limits.models.get(&req.model.alias).expect("the accepted model is a configured alias");
    assert_eq!(model, req.model, "the model parsing hands back is the configured one");
    if let Some(n) = req.max_tokens {
        assert!((1..=model.max_tokens_cap).contains(&n));
    }
    // What was accepted is what the caller sent, in NFC.
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        panic!("accepted a body that is not a JSON object");
    };
    let sent = fields.get("storyType").and_then(Value::as_str).expect("a storyType was sent");
    assert_eq!(sent.nfc().collect::<String>(), req.story_type);
    match fields.get("model") {
        None | Some(Value::Null) => assert_eq!(req.model.alias, "default"),
        Some(alias) => assert_eq!(alias.as_str(), Some(req.model.alias.as_str())),
    }
    match fields.get("maxTokens") {
        None | Some(Value::Null) => assert_eq!(req.max_tokens, None),
        Some(n) => assert_eq!(n.as_u64(), req.max_tokens.map(u64::from)),
    }
}

fn rejected(err: &ApiError) {
    let (status, code) = (err.status().as_u16(), err.code());
    assert!(err.is_client_error());
    match code {
        "payload_too_large" => assert_eq!(status, 413),
        "invalid_json"
        | "invalid_story_type"
        | "story_type_not_allowed"
        | "model_not_allowed"
        | "invalid_max_tokens" => {
            assert_eq!(status, 400)
        }
        other => panic!("request parsing produced the non-request error {other}"),
    }
    let body: Value = serde_json::from_slice(&wire::error_body(None, err).1).expect("error bodies are JSON");
    let Value::Object(fields) = body else {
        panic!("the error body is not an object");
    };
    assert_eq!(fields.len(), 3, "{fields:?}");
    assert_eq!(fields["type"], "error");
    assert_eq!(fields["code"], code);
    assert_eq!(fields["message"], err.to_string().as_str());
}

/// The spec of a valid story type (in NFC), written independently of the handler.
fn valid_story_type(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let word =
        |c: char| matches!(c.general_category_group(), GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number);
    let letter = |c: char| c.general_category_group() == GeneralCategoryGroup::Letter;
    let mark = |c: char| c.general_category_group() == GeneralCategoryGroup::Mark;
    // The letter or digit a character at `i` is attached to, skipping marks backwards.
    let base = |i: usize| chars[..i].iter().rev().find(|&&c| !mark(c)).copied();
    (1..=MAX_CHARS).contains(&chars.len())
        && s.nfc().eq(s.chars())
        && chars.iter().any(|&c| word(c))
        && chars.iter().enumerate().all(|(i, &c)| match c {
            ' ' | '-' | '_' => true,
            '\u{200c}' | '\u{200d}' => base(i).is_some_and(letter) && chars.get(i + 1).is_some_and(|&n| letter(n)),
            _ if mark(c) => base(i).is_some_and(word),
            _ => word(c),
        })
}

/// A request every reading of docs/api.md accepts: a small JSON object that names no field twice
/// (at any depth), with a valid, allowed `storyType`, if any a `model` naming a configured alias,
/// and if any a whole `maxTokens` within that model's cap.
fn well_formed(body: &[u8], limits: Limits<'_>) -> bool {
    if body.len() > MAX_BODY_BYTES || serde_json::from_slice::<EveryKeyOnce>(body).is_err() {
        return false;
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let Some(Value::String(story_type)) = fields.get("storyType") else {
        return false;
    };
    let story_type: String = story_type.nfc().collect();
    let allowed = limits.allowed_story_types.is_none_or(|list| list.contains(&story_type::key(&story_type)));
    let model = match fields.get("model") {
        None | Some(Value::Null) => Some(limits.models.default_model()),
        Some(Value::String(alias)) => limits.models.get(alias),
        Some(_) => None,
    };
    let Some(model) = model else {
        return false;
    };
    let max_tokens_ok = match fields.get("maxTokens") {
        None | Some(Value::Null) => true,
        Some(n) => n.as_u64().is_some_and(|n| (1..=u64::from(model.max_tokens_cap)).contains(&n)),
    };
    valid_story_type(&story_type) && allowed && max_tokens_ok
}

fn story_type_in(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(mut fields) => match fields.remove("storyType")? {
            Value::String(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn padded(body: &[u8], len: usize) -> Vec<u8> {
    let mut padded = body.to_vec();
    padded.resize(len, b' ');
    padded
}

/// What a caller can tell apart: the accepted request, or the error's code.
fn outcome<'a, 'm>(result: &'a Result<StoryRequest<'m>, ApiError>) -> Result<&'a StoryRequest<'m>, &'static str> {
    result.as_ref().map_err(ApiError::code)
}

/// Any JSON value whose objects name each key once (keys compared unescaped); written here apart
/// from the handler's own check, as the oracle for it.
struct EveryKeyOnce;

impl<'de> serde::Deserialize<'de> for EveryKeyOnce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EveryKeyOnceVisitor)
    }
}

struct EveryKeyOnceVisitor;

impl<'de> serde::de::Visitor<'de> for EveryKeyOnceVisitor {
    type Value = EveryKeyOnce;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<EveryKeyOnce, E> {
        Ok(EveryKeyOnce)
    }
    fn visit_i64<E>(self, _: i64) -> Result<EveryKeyOnce, E> {
        Ok(EveryKeyOnce)
    }
    fn visit_u64<E>(self, _: u64) -> Result<EveryKeyOnce, E> {
        Ok(EveryKeyOnce)
    }
    fn visit_f64<E>(self, _: f64) -> Result<EveryKeyOnce, E> {
        Ok(EveryKeyOnce)
    }
    fn visit_str<E>(self, _: &str) -> Result<EveryKeyOnce, E> {
        Ok(EveryKeyOnce)
    }
    fn visit_unit<E>(self) -> Result<EveryKeyOnce, E> {
        Ok(EveryKeyOnce)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<EveryKeyOnce, A::Error> {
        while items.next_element::<EveryKeyOnce>()?.is_some() {}
        Ok(EveryKeyOnce)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<EveryKeyOnce, A::Error> {
        let mut keys: Vec<String> = Vec::new();
        while let Some(key) = entries.next_key::<String>()? {
            if keys.contains(&key) {
                return Err(serde::de::Error::custom("a key twice"));
            }
            keys.push(key);
            entries.next_value::<EveryKeyOnce>()?;
        }
        Ok(EveryKeyOnce)
    }
}
