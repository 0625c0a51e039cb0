//! What a request costs: a model's [`Price`] (US dollars per million tokens, dated) and the
//! [`Cost`] of one request's token counts. Prices come from the dated table `config/prices.json`,
//! embedded in the binary (as `config/default.toml` is), looked up by model id; an alias's
//! `price` in `STREAMER_MODELS` replaces the table's (see [`crate::settings`]). A model with no
//! price gets no cost, never a cost of 0.
//!
//! Money is counted exactly: each price is held in millionths of a dollar per million tokens
//! (that is, millionths of a millionth of a dollar per token), so a request's cost is a whole
//! number of 10⁻¹² USD, turned into a decimal once, at the end.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

const TABLE: &str = include_str!("../../config/prices.json");

/// The fields a price object may have (in the table and in an alias's `price`).
pub const PRICE_FIELDS: [&str; 7] = ["input", "output", "cacheRead", "cacheWrite", "maxPromptTokens", "read", "source"];

/// The most tokens `maxPromptTokens` may give.
const MAX_PROMPT_TOKENS: u64 = 1_000_000_000;

/// One model's on-demand prices, each in millionths of a US dollar per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    input: u64,
    output: u64,
    /// Absent: the model's cache reads have no price here, so a request that reads the cache has
    /// no cost.
    cache_read: Option<u64>,
    /// The write price for the TTL the alias caches with (Bedrock prices 1-hour writes above
    /// 5-minute ones); absent as for `cache_read`.
    cache_write: Option<u64>,
    /// The longest prompt (input, cache read and cache write tokens together) the price holds
    /// for: a model priced higher above a prompt length (Claude Haiku 5.5 above 100,000 tokens,
    /// Anthropic's model overview, read 2026-12-07) gets no cost for a longer request rather than
    /// a cost at the lower price. Absent: the price holds for any length.
    max_prompt_tokens: Option<u64>,
    /// When the price was read from its page.
    read: PriceDate,
}

/// A calendar date, `YYYY-MM-DD`: when a price was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceDate {
    year: u16,
    month: u8,
    day: u8,
}

/// One request's cost: US dollars, and the date of the price it was computed from. Serialized as
/// `"costUsd"` and `"priceDate"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub cost_usd: f64,
    pub price_date: PriceDate,
}

/// A request's token counts as Bedrock reported them: `input` excludes the cache reads and writes,
/// which Bedrock reports apart (ConverseStream `TokenUsage`, API reference, read 2026-12-07).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: i32,
    pub output: i32,
    pub cache_read: Option<i32>,
    pub cache_write: Option<i32>,
}

impl Price {
    /// A price object: `{"input", "output", "cacheRead"?, "cacheWrite"?, "maxPromptTokens"?,
    /// "read", "source"?}`, amounts in US dollars per million tokens (0 or more),
    /// `maxPromptTokens` the longest prompt in tokens the price holds for (a whole number from 1),
    /// `read` the date the price was read (`YYYY-MM-DD`), `source` the page it was read from. The error names the field, as
    /// `price.<field>: <problem>` (or `price: <problem>`).
    pub fn from_json(value: &Value) -> Result<Price, String> {
        let Value::Object(fields) = value else {
            return Err(format!(
                "price: expected an object {{\"input\", \"output\", \"cacheRead\"?, \"cacheWrite\"?, \"read\"}} in US dollars \
                 per million tokens; got {value}"
            ));
        };
        if let Some(unknown) = fields.keys().find(|k| !PRICE_FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "price: {} is not a price field; known: {}",
                Value::from(unknown.as_str()),
                PRICE_FIELDS.join(", ")
            ));
        }
        let read = match fields.get("read") {
            Some(Value::String(text)) => PriceDate::parse(text),
            _ => None,
        }
        .ok_or_else(|| {
            let got = fields.get("read").map_or_else(|| "nothing".to_owned(), Value::to_string);
            format!("price.read: expected the date the price was read, as YYYY-MM-DD; got {got}")
        })?;
        if let Some(source) = fields.get("source").filter(|s| !s.is_string()) {
            return Err(format!(
                "price.source: expected the address of the page the price was read from; got {source}"
            ));
        }
        Ok(Price {
            input: amount(fields, "input")?.ok_or_else(|| missing("input"))?,
            output: amount(fields, "output")?.ok_or_else(|| missing("output"))?,
            cache_read: amount(fields, "cacheRead")?,
            cache_write: amount(fields, "cacheWrite")?,
            max_prompt_tokens: prompt_tokens(fields)?,
            read,
        })
    }

    /// The cost of `tokens` at this price; `None` when a count has no price here (cache tokens of
    /// a model whose cache prices are not known) or the prompt is longer than the price holds for.
    pub fn cost(&self, tokens: Tokens) -> Option<Cost> {
        let prompt = [Some(tokens.input), tokens.cache_read, tokens.cache_write]
            .into_iter()
            .map(|count| u64::try_from(count.unwrap_or(0)).unwrap_or(0))
            .sum::<u64>();
        if self.max_prompt_tokens.is_some_and(|max| prompt > max) {
            return None;
        }
        let term = |count: Option<i32>, price: Option<u64>| match count.map(|c| u128::try_from(c).unwrap_or(0)) {
            None | Some(0) => Some(0),
            Some(count) => price.map(|p| count * u128::from(p)),
        };
        let picodollars = term(Some(tokens.input), Some(self.input))?
            + term(Some(tokens.output), Some(self.output))?
            + term(tokens.cache_read, self.cache_read)?
            + term(tokens.cache_write, self.cache_write)?;
        // One division of exact integers: the nearest f64 to the exact decimal, which serde_json
        // writes in its shortest form (12 tokens at $1.10 are 0.0000132, not 0.000013200000000000001).
        Some(Cost { cost_usd: picodollars as f64 / 1e12, price_date: self.read })
    }

    /// This price without its cache-write price: the table's `cacheWrite` is the 5-minute write,
    /// so an alias whose cache points live an hour (priced higher) gets no cost for a request
    /// that writes the cache rather than one at the 5-minute price.
    pub fn without_cache_write(self) -> Price {
        Price { cache_write: None, ..self }
    }

    /// The table's price for `model_id`: by the id itself, or by the last part of a
    /// foundation-model or inference-profile ARN. An application inference profile's ARN names no
    /// model, so it has no table price (give its alias a `price`).
    pub fn listed(model_id: &str) -> Option<Price> {
        let id = match model_id.strip_prefix("arn:") {
            Some(_) => {
                model_id.rsplit_once(":foundation-model/").or_else(|| model_id.rsplit_once(":inference-profile/"))?.1
            }
            None => model_id,
        };
        TABLE_PRICES.get(id).copied()
    }
}

/// `config/prices.json`'s `prices`, parsed once; its tests check every entry.
static TABLE_PRICES: LazyLock<HashMap<String, Price>> =
    LazyLock::new(|| table(TABLE).expect("config/prices.json is valid (see the tests)"));

/// The `prices` of a price table, by model id.
fn table(text: &str) -> Result<HashMap<String, Price>, String> {
    let table: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let prices = table.get("prices").and_then(Value::as_object).ok_or("no \"prices\" object")?;
    prices
        .iter()
        .map(|(id, value)| Price::from_json(value).map(|price| (id.clone(), price)).map_err(|e| format!("{id}: {e}")))
        .collect()
}

/// An amount in US dollars per million tokens as millionths of a dollar; `None` when absent.
fn amount(fields: &Map<String, Value>, field: &str) -> Result<Option<u64>, String> {
    match fields.get(field) {
        None => Ok(None),
        Some(value) => {
            value.as_f64().filter(|x| *x >= 0.0 && *x <= 1e9).map(|x| Some((x * 1e6).round() as u64)).ok_or_else(|| {
                format!(
                    "price.{field}: expected US dollars per million tokens, a number from 0 to 1000000000; got {value}"
                )
            })
        }
    }
}

/// `maxPromptTokens`: a whole number of tokens from 1, however written (`100000.0` is 100000);
/// `None` when absent.
fn prompt_tokens(fields: &Map<String, Value>) -> Result<Option<u64>, String> {
    match fields.get("maxPromptTokens") {
        None => Ok(None),
        Some(value) => value
            .as_f64()
            .filter(|x| x.fract() == 0.0 && *x >= 1.0 && *x <= MAX_PROMPT_TOKENS as f64)
            .map(|x| Some(x as u64))
            .ok_or_else(|| {
                format!(
                    "price.maxPromptTokens: expected the longest prompt in tokens the price holds for, a whole number \
                     from 1 to {MAX_PROMPT_TOKENS}; got {value}"
                )
            }),
    }
}

fn missing(field: &str) -> String {
    format!("price.{field}: expected US dollars per million tokens, a number from 0 to 1000000000; got nothing")
}

impl PriceDate {
    /// `YYYY-MM-DD` with a month from 01 to 12 and a day from 01 to 31.
    fn parse(text: &str) -> Option<PriceDate> {
        let b = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            b[range].iter().try_fold(0u16, |n, c| c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0')))
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(PriceDate {
            year,
            month: month as u8,
            day: day as u8,
        })
    }
}

impl fmt::Display for PriceDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for PriceDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn price(value: Value) -> Price {
        Price::from_json(&value).unwrap()
    }

    #[test]
    fn the_embedded_table_is_valid() {
        table(TABLE).unwrap();
        let read: Value = serde_json::from_str(TABLE).unwrap();
        assert!(PriceDate::parse(read["read"].as_str().unwrap()).is_some(), "the table is dated");
    }

    #[test]
    fn a_cost_is_every_count_at_its_price_to_the_picodollar() {
        let p =
            price(json!({"input": 1.1, "output": 5.5, "cacheRead": 0.11, "cacheWrite": 1.375, "read": "2026-12-07"}));
        // 12 × $1.10 + 40 × $5.50 + 4096 × $0.11 + 512 × $1.375, per million tokens:
        // 13.2 + 220 + 450.56 + 704 = 1387.76 millionths of a dollar.
        let tokens = Tokens { input: 12, output: 40, cache_read: Some(4096), cache_write: Some(512) };
        let cost = p.cost(tokens).unwrap();
        assert_eq!(cost.cost_usd, 0.00138776);
        assert_eq!(serde_json::to_string(&cost).unwrap(), r#"{"costUsd":0.00138776,"priceDate":"2026-12-07"}"#);
        assert_eq!(p.cost(Tokens { input: 12, ..Tokens::default() }).unwrap().cost_usd, 0.0000132);
    }

    #[test]
    fn cache_tokens_without_a_cache_price_leave_the_request_without_a_cost() {
        let p = price(json!({"input": 1, "output": 5, "read": "2026-12-07"}));
        assert_eq!(p.cost(Tokens { input: 1, output: 1, cache_read: Some(10), cache_write: None }), None);
        assert_eq!(
            p.cost(Tokens { input: 1, output: 1, cache_read: Some(0), cache_write: Some(0) }).unwrap().cost_usd,
            0.000006
        );
    }

    #[test]
    fn a_price_names_what_is_wrong_with_it() {
        let problem = |value: Value| Price::from_json(&value).unwrap_err();
        assert_eq!(
            problem(json!({"input": -1, "output": 5, "read": "2026-12-07"})),
            "price.input: expected US dollars per million tokens, a number from 0 to 1000000000; got -1"
        );
        assert_eq!(
            problem(json!({"output": 5, "read": "2026-12-07"})),
            "price.input: expected US dollars per million tokens, a number from 0 to 1000000000; got nothing"
        );
        assert_eq!(
            problem(json!({"input": 1, "output": 5, "read": "2026-13-07"})),
            "price.read: expected the date the price was read, as YYYY-MM-DD; got \"2026-13-07\""
        );
        assert_eq!(
            problem(json!({"input": 1, "output": 5, "read": "2026-12-07", "cache": 1})),
            "price: \"cache\" is not a price field; known: input, output, cacheRead, cacheWrite, maxPromptTokens, read, \
             source"
        );
        assert_eq!(
            problem(json!({"input": 1, "output": 5, "maxPromptTokens": 0.5, "read": "2026-12-07"})),
            "price.maxPromptTokens: expected the longest prompt in tokens the price holds for, a whole number from 1 to \
             1000000000; got 0.5"
        );
        assert!(problem(json!(3)).starts_with("price: expected an object"));
    }

    #[test]
    fn a_price_with_a_longest_prompt_costs_nothing_above_it() {
        let p = price(json!({"input": 0.1, "output": 0.5, "cacheRead": 0.01, "cacheWrite": 0.125,
                             "maxPromptTokens": 100000.0, "read": "2026-12-07"}));
        // The prompt counts input, cache read and cache write tokens: 100,000 in all is in.
        let at = Tokens { input: 60_000, output: 10, cache_read: Some(30_000), cache_write: Some(10_000) };
        // 60,000 × $0.10 + 10 × $0.50 + 30,000 × $0.01 + 10,000 × $0.125 = 6,000 + 5 + 300 + 1,250 = 7,555 millionths.
        assert_eq!(p.cost(at).unwrap().cost_usd, 0.007555);
        assert_eq!(p.cost(Tokens { input: 60_001, ..at }), None, "a longer prompt has another price: no cost");
    }

    #[test]
    fn the_shipped_table_prices_what_it_says_and_lists_what_it_leaves_out() {
        let text: Value = serde_json::from_str(TABLE).unwrap();
        let prices = text["prices"].as_object().unwrap();
        let unpriced = text["unpriced"]["models"].as_object().unwrap();
        assert!(!prices.is_empty());
        for (id, entry) in prices {
            assert!(!unpriced.contains_key(id), "{id} is both priced and unpriced");
            assert_eq!(entry["read"], "2026-12-07", "{id}");
            assert!(entry["source"].as_str().is_some_and(|s| s.starts_with("https://")), "{id} names its page");
            assert!(Price::listed(id).is_some(), "{id}");
        }
        for (id, why) in unpriced {
            assert_eq!(Price::listed(id), None, "{id}");
            assert!(why.as_str().is_some_and(|why| !why.is_empty()), "{id} says why it has no price");
        }
        // A geographic profile costs 10% more than the global one (the table's $comment says why).
        let (global, us) = (
            Price::listed("global.anthropic.claude-haiku-5-5").unwrap(),
            Price::listed("us.anthropic.claude-haiku-5-5").unwrap(),
        );
        assert_eq!((global.input, us.input), (100_000, 110_000));
        assert_eq!((global.max_prompt_tokens, us.max_prompt_tokens), (Some(100_000), Some(100_000)));
    }

    #[test]
    fn the_table_is_read_by_model_id_or_by_the_model_an_arn_names() {
        let prices = table(
            r#"{"prices": {"anthropic.claude-x-v1:0": {"input": 2, "output": 3, "read": "2026-12-07"},
                           "us.anthropic.claude-x-v1:0": {"input": 2.2, "output": 3.3, "read": "2026-12-07"}}}"#,
        )
        .unwrap();
        assert_eq!(prices["us.anthropic.claude-x-v1:0"].input, 2_200_000);
        assert_eq!(
            Price::listed("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-5-5"),
            Price::listed("us.anthropic.claude-haiku-5-5")
        );
        assert!(Price::listed("us.anthropic.claude-haiku-5-5").is_some());
        assert_eq!(Price::listed("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"), None);
        assert_eq!(Price::listed("no-such-model"), None);
    }
}
