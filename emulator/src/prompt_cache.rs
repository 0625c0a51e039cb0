//! The emulator's own model of Bedrock's prompt cache: enough for a test to see cache points
//! work, not Bedrock's rules. Every prefix of a request with a `cachePoint` (everything before
//! each point, in prompt order: `system`, then `messages`) is remembered per model id for the
//! emulator's life: entries never expire, whatever their `ttl`, and there is no minimum length. A
//! request reads the longest remembered prefix its prompt (up to its last point) starts with, and
//! writes the rest up to its last point; the first request with a prefix writes all of it. Tokens
//! are words, as everywhere in the emulator; as on Bedrock, `inputTokens` then counts only the
//! words neither read nor written.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::converse::ConverseRequest;

/// The prefixes seen so far, by model id: each prefix's text and its words.
#[derive(Default)]
pub(crate) struct PromptCache(Mutex<HashMap<String, Vec<(String, usize)>>>);

impl PromptCache {
    /// `(cacheReadInputTokens, cacheWriteInputTokens)` for a request, remembering its prefixes;
    /// `None` for a request without a cache point.
    pub fn answer(&self, model_id: &str, request: &ConverseRequest) -> Option<(usize, usize)> {
        let last = request.cache_prefixes.last()?;
        let mut cache = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let seen = cache.entry(model_id.to_owned()).or_default();
        // Each block's text ends its line, so a remembered prefix matches only at a block boundary.
        let read = seen.iter().filter(|(text, _)| last.text.starts_with(text.as_str())).map(|(_, words)| *words).max();
        let read = read.unwrap_or(0);
        for prefix in &request.cache_prefixes {
            if !seen.iter().any(|(text, _)| *text == prefix.text) {
                seen.push((prefix.text.clone(), prefix.words));
            }
        }
        Some((read, last.words.saturating_sub(read)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::parse;

    /// A request with a 1-hour point after `system` and a point after the last of `earlier`.
    fn request(system: &str, earlier: &[&str]) -> ConverseRequest {
        let mut messages = Vec::new();
        for (i, text) in earlier.iter().enumerate() {
            let role = if i.is_multiple_of(2) { "user" } else { "assistant" };
            let point = if i == earlier.len() - 1 { r#", {"cachePoint": {"type": "default"}}"# } else { "" };
            messages.push(format!(r#"{{"role": "{role}", "content": [{{"text": "{text}"}}{point}]}}"#));
        }
        let newest = if earlier.len().is_multiple_of(2) { "user" } else { "assistant" };
        messages.push(format!(r#"{{"role": "{newest}", "content": [{{"text": "and now?"}}]}}"#));
        let body = format!(
            r#"{{"system": [{{"text": "{system}"}}, {{"cachePoint": {{"type": "default", "ttl": "1h"}}}}], "messages": [{}]}}"#,
            messages.join(", ")
        );
        parse(body.as_bytes()).0
    }

    #[test]
    fn the_first_request_writes_a_prefix_and_later_ones_read_the_longest_they_start_with() {
        let cache = PromptCache::default();
        let first = request("be kind always", &["one two", "three"]);
        assert_eq!(first.input_tokens, 3 + 3 + 2, "system, two earlier turns, the newest");
        assert_eq!(cache.answer("m", &first), Some((0, 6)), "3 system words + 3 in the earlier turns");
        assert_eq!(cache.answer("m", &first), Some((6, 0)));
        assert_eq!(cache.answer("other-model", &first), Some((0, 6)), "each model has its own cache");
        let longer = request("be kind always", &["one two", "three", "four", "five six"]);
        assert_eq!(cache.answer("m", &longer), Some((6, 3)), "the earlier conversation is read, one turn on");
        let other_system = request("be brief", &["one two", "three"]);
        assert_eq!(cache.answer("m", &other_system), Some((0, 5)), "a changed system prompt misses");
        let plain = parse(br#"{"messages": [{"role": "user", "content": [{"text": "hi"}]}]}"#).0;
        assert_eq!(cache.answer("m", &plain), None);
    }
}
