//! Prompt caching of what the stack owns (`models.<alias>.promptCache`: `off`, `5m`, `1h`): the
//! setting checked against what the alias's model supports (`config/bedrock-models.json`, which
//! the stack's preview reads too), and where one request's Converse `cachePoint`s go.
//!
//! A cache point goes after the stack's own system prompt, and after a conversation's earlier
//! turns (the last turn before the newest user turn), each only when the prompt up to it reaches
//! the model's minimum: Bedrock caches a prefix only from `minTokensPerCheckpoint` tokens, and a
//! second checkpoint only from twice that ("the first cache checkpoint can be defined after 1,024
//! tokens and the second after 2,048"; a checkpoint before the minimum is accepted and caches
//! nothing: Bedrock user guide, "Prompt caching for faster model inference", read 2026-12-07).
//!
//! The handler cannot count tokens (only the model's tokenizer can), so it estimates from
//! characters with a bound chosen to err toward *not* caching: [`CHARS_PER_TOKEN`].

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::request::conversation::Turn;

/// The most characters one token is taken to hold when estimating a prompt's tokens (Unicode
/// characters, not bytes). Anthropic gives about 2.5 characters per token on the tokenizer of
/// Claude Opus 4.7 and later, Claude Haiku 5.5 included ("1M tokens is roughly … 2.5M Unicode
/// characters"), and about 4 on the one before (750k words in 1M tokens) (Claude Haiku 5.5
/// overview, platform.claude.com, read 2026-12-07). Counting 6 puts the estimate below the real
/// count for ordinary text in either, so a prompt is called long enough only when it surely is;
/// text that packs more into a token (long runs of spaces, one word repeated) is under-counted
/// further, which only means no cache point. Erring this way costs at most the cache discount on
/// prompts just over the minimum; erring the other way would place points that cache nothing
/// while the stack reports caching as on.
pub const CHARS_PER_TOKEN: usize = 6;

/// A cache point's time to live: Converse `CachePointBlock.ttl` (`5m`, `1h`; API reference,
/// `CachePointBlock`, read 2026-12-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheTtl {
    FiveMinutes,
    OneHour,
}

impl CacheTtl {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheTtl::FiveMinutes => "5m",
            CacheTtl::OneHour => "1h",
        }
    }
}

/// The values `promptCache` takes.
pub const SETTINGS: [&str; 3] = ["off", "5m", "1h"];

/// An alias's prompt caching, resolved at cold start: the TTL its cache points carry and its
/// model's minimum tokens per checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptCache {
    pub ttl: CacheTtl,
    pub min_tokens: usize,
}

/// Where one request's cache points go, as Converse `cachePoint` blocks of the request's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePoints {
    pub ttl: CacheTtl,
    /// After the stack's own system prompt, the first `system` block.
    pub after_stack_system: bool,
    /// After this turn (its index in `messages`): the last before the newest user turn.
    pub after_turn: Option<usize>,
}

/// What a `promptCache` setting comes to for one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Off,
    On(PromptCache),
    /// The model is not in `config/bedrock-models.json`: its support and minimum are unknown, so
    /// no cache point is placed (the cold start logs a warning, the preview prints one).
    UnknownModel,
}

/// Reads `promptCache` for `model_id`: `Err` is the problem, worded after the alias's key.
pub fn resolve(setting: Option<&str>, model_id: &str) -> Result<Resolved, String> {
    let ttl = match setting {
        None | Some("off") => return Ok(Resolved::Off),
        Some("5m") => CacheTtl::FiveMinutes,
        Some("1h") => CacheTtl::OneHour,
        Some(other) => {
            return Err(format!(
                "promptCache: expected one of {}, got {}",
                SETTINGS.map(|s| format!("\"{s}\"")).join(", "),
                serde_json::Value::from(other)
            ));
        }
    };
    let Some(model) = known_model(model_id) else {
        return Ok(Resolved::UnknownModel);
    };
    let Some(caching) = &model.prompt_caching else {
        return Err(format!(
            "promptCache: {} does not cache prompts on Bedrock (config/bedrock-models.json); set \"off\"",
            serde_json::Value::from(model_id)
        ));
    };
    if !caching.ttls.iter().any(|t| t == ttl.as_str()) {
        return Err(format!(
            "promptCache: {} takes a cache TTL of {} only; got \"{}\"",
            serde_json::Value::from(model_id),
            caching.ttls.join(" or "),
            ttl.as_str()
        ));
    }
    Ok(Resolved::On(PromptCache { ttl, min_tokens: caching.min_tokens_per_checkpoint }))
}

impl Resolved {
    /// Where a request's cache points go: none unless caching is on ([`PromptCache::points`]).
    pub fn points(
        &self,
        stack_system: Option<&str>,
        caller_system: Option<&str>,
        turns: &[Turn],
    ) -> Option<CachePoints> {
        match self {
            Resolved::On(cache) => cache.points(stack_system, caller_system, turns),
            Resolved::Off | Resolved::UnknownModel => None,
        }
    }
}

impl PromptCache {
    /// Where a request's cache points go: `stack_system` is the stack's own system prompt (sent
    /// first), `caller_system` the caller's system text after it, `turns` the messages. `None`
    /// when the prompt reaches no checkpoint's minimum.
    pub fn points(
        &self,
        stack_system: Option<&str>,
        caller_system: Option<&str>,
        turns: &[Turn],
    ) -> Option<CachePoints> {
        let mut points = CachePoints { ttl: self.ttl, after_stack_system: false, after_turn: None };
        let mut placed = 0;
        let mut chars = 0;
        let reaches = |chars: usize, placed: &mut usize| {
            let enough = chars / CHARS_PER_TOKEN >= self.min_tokens * (*placed + 1);
            *placed += usize::from(enough);
            enough
        };
        if let Some(system) = stack_system {
            chars += system.chars().count();
            points.after_stack_system = reaches(chars, &mut placed);
        }
        if let [earlier @ .., _newest] = turns
            && !earlier.is_empty()
        {
            chars += caller_system.map_or(0, |s| s.chars().count());
            chars += earlier.iter().map(|t| t.text.chars().count()).sum::<usize>();
            points.after_turn = reaches(chars, &mut placed).then(|| earlier.len() - 1);
        }
        (placed > 0).then_some(points)
    }
}

/// One model's entry in `config/bedrock-models.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelFacts {
    prompt_caching: Option<Caching>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Caching {
    min_tokens_per_checkpoint: usize,
    ttls: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Table {
    models: HashMap<String, ModelFacts>,
}

const TABLE: &str = include_str!("../../../config/bedrock-models.json");

/// The table's entry for a model id, inference profile id or ARN (see the file's `$comment`).
fn known_model(model_id: &str) -> Option<&'static ModelFacts> {
    static MODELS: OnceLock<Table> = OnceLock::new();
    let table = MODELS.get_or_init(|| serde_json::from_str(TABLE).expect("config/bedrock-models.json is valid"));
    let id = model_id.rsplit('/').next().unwrap_or(model_id);
    table.models.iter().find(|(key, _)| id == key.as_str() || id.ends_with(&format!(".{key}"))).map(|(_, facts)| facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::conversation::Role;

    const HAIKU_5_5: &str = "us.anthropic.claude-haiku-5-5";

    fn turn(role: Role, chars: usize) -> Turn {
        Turn { role, text: "a".repeat(chars) }
    }

    fn cache(min_tokens: usize) -> PromptCache {
        PromptCache { ttl: CacheTtl::FiveMinutes, min_tokens }
    }

    #[test]
    fn a_profile_or_arn_finds_its_model_and_an_unknown_model_places_no_point() {
        let on = |ttl, min_tokens| Ok(Resolved::On(PromptCache { ttl, min_tokens }));
        assert_eq!(resolve(Some("1h"), HAIKU_5_5), on(CacheTtl::OneHour, 512));
        assert_eq!(resolve(Some("5m"), "anthropic.claude-haiku-4-5-20251001-v1:0"), on(CacheTtl::FiveMinutes, 4096));
        let arn = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/global.anthropic.claude-haiku-5-5";
        assert_eq!(resolve(Some("5m"), arn), on(CacheTtl::FiveMinutes, 512));
        assert_eq!(
            resolve(Some("5m"), "arn:aws:bedrock:us-west-2:1:application-inference-profile/k3x9"),
            Ok(Resolved::UnknownModel)
        );
        assert_eq!(
            resolve(Some("5m"), "xanthropic.claude-haiku-5-5"),
            Ok(Resolved::UnknownModel),
            "not a profile prefix"
        );
        assert_eq!(resolve(None, "anthropic.claude-3-haiku-20240307-v1:0"), Ok(Resolved::Off));
        assert_eq!(resolve(Some("off"), "anthropic.claude-3-haiku-20240307-v1:0"), Ok(Resolved::Off));
    }

    #[test]
    fn a_ttl_or_a_cache_the_model_does_not_take_is_refused() {
        assert_eq!(
            resolve(Some("1h"), "us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            Err(
                "promptCache: \"us.anthropic.claude-3-5-haiku-20241022-v1:0\" takes a cache TTL of 5m only; got \"1h\""
                    .into()
            )
        );
        assert!(
            resolve(Some("5m"), "anthropic.claude-3-haiku-20240307-v1:0")
                .unwrap_err()
                .contains("does not cache prompts")
        );
        assert_eq!(
            resolve(Some("10m"), HAIKU_5_5),
            Err("promptCache: expected one of \"off\", \"5m\", \"1h\", got \"10m\"".into())
        );
    }

    #[test]
    fn the_system_prompt_gets_a_point_from_the_minimum_estimated_low() {
        let story = [turn(Role::User, 40)];
        let below = "s".repeat(512 * CHARS_PER_TOKEN - 1);
        assert_eq!(cache(512).points(Some(&below), None, &story), None, "511 estimated tokens");
        let at = "s".repeat(512 * CHARS_PER_TOKEN);
        assert_eq!(
            cache(512).points(Some(&at), None, &story),
            Some(CachePoints { ttl: CacheTtl::FiveMinutes, after_stack_system: true, after_turn: None })
        );
        assert_eq!(cache(512).points(None, None, &story), None, "no system prompt, one turn: nothing to cache");
        let characters = "é".repeat(512 * CHARS_PER_TOKEN - 1);
        assert_eq!(cache(512).points(Some(&characters), None, &story), None, "characters are counted, not bytes");
    }

    #[test]
    fn earlier_turns_get_a_point_after_the_last_before_the_newest_and_a_second_point_needs_twice_the_minimum() {
        let min = 100;
        let turns = [turn(Role::User, 300), turn(Role::Assistant, 300), turn(Role::User, 10_000)];
        assert_eq!(
            cache(min).points(None, None, &turns),
            Some(CachePoints { ttl: CacheTtl::FiveMinutes, after_stack_system: false, after_turn: Some(1) }),
            "600 characters before the newest turn: 100 tokens; the newest turn is never counted"
        );
        let system = "s".repeat(600);
        assert_eq!(
            cache(min).points(Some(&system), None, &turns),
            Some(CachePoints { ttl: CacheTtl::FiveMinutes, after_stack_system: true, after_turn: Some(1) }),
            "1,200 characters (200 tokens) reach a second checkpoint"
        );
        let short = [turn(Role::User, 300), turn(Role::Assistant, 299), turn(Role::User, 10)];
        assert_eq!(
            cache(min).points(Some(&system), None, &short).map(|p| (p.after_stack_system, p.after_turn)),
            Some((true, None)),
            "199 tokens in all: one checkpoint only"
        );
        assert_eq!(
            cache(min).points(Some(&system), Some(&"c".repeat(6)), &short).map(|p| p.after_turn),
            Some(Some(1)),
            "the caller's system text is part of the prefix"
        );
    }
}
