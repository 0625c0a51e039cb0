//! The models a request may choose, by alias: `STREAMER_MODELS` (alias → model settings, checked in
//! [`crate::settings`]), or the one-model form `STREAMER_MODEL_ID` under the alias [`DEFAULT_ALIAS`].
//! A request names an alias with `"model"`; one without it gets the default alias.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::price::Price;
use crate::settings::cache::Resolved;
use crate::settings::tier::ServiceTier;

/// The alias of the one-model form (`STREAMER_MODEL_ID`).
pub const DEFAULT_ALIAS: &str = "default";

/// What happens to a model's reasoning deltas (`reasoningContent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reasoning {
    /// Dropped: the caller hears only the answer.
    #[default]
    Hide,
    /// Relayed as `reasoning` events (NDJSON and SSE only).
    Show,
}

/// One alias: the Bedrock model behind it and how it is called. Serialized as `GET /models`
/// lists it (`alias`, `modelId`, `maxTokens`, `maxTokensCap`, `reasoning`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub alias: String,
    /// Foundation-model id, inference-profile id or ARN, as Bedrock's `modelId`.
    pub model_id: String,
    /// maxTokens for a request that does not ask for a number.
    pub max_tokens: u32,
    /// Highest maxTokens a request may ask for.
    pub max_tokens_cap: u32,
    #[serde(skip)]
    pub temperature: Option<f32>,
    #[serde(skip)]
    pub top_p: Option<f32>,
    pub reasoning: Reasoning,
    /// Passed to ConverseStream's `additionalModelRequestFields` as given (a model's thinking or
    /// effort settings, say).
    #[serde(skip)]
    pub additional_model_request_fields: Option<Map<String, Value>>,
    /// What its requests cost: the alias's own `price`, else the price table's for `model_id`;
    /// `None` leaves its requests without a cost.
    #[serde(skip)]
    pub price: Option<Price>,
    /// `promptCache`, resolved against the model at cold start (where cache points may go:
    /// [`crate::settings::cache`]).
    #[serde(skip)]
    pub prompt_cache: Resolved,
    /// ConverseStream's `serviceTier`; `None` sends none (Bedrock's standard tier).
    #[serde(skip)]
    pub service_tier: Option<ServiceTier>,
}

impl Model {
    /// A model with no sampling settings, reasoning hidden, no additional request fields, the
    /// price table's price, no prompt caching and no service tier.
    pub fn new(alias: &str, model_id: &str, max_tokens: u32, max_tokens_cap: u32) -> Model {
        Model {
            alias: alias.to_owned(),
            model_id: model_id.to_owned(),
            max_tokens,
            max_tokens_cap,
            temperature: None,
            top_p: None,
            reasoning: Reasoning::Hide,
            additional_model_request_fields: None,
            price: Price::listed(model_id),
            prompt_cache: Resolved::Off,
            service_tier: None,
        }
    }
}

/// The configured models, sorted by alias, and which one a request without `"model"` gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Models {
    #[serde(rename = "defaultModel")]
    default: String,
    models: Vec<Model>,
}

impl Models {
    /// One model, which is also the default.
    pub fn single(model: Model) -> Models {
        Models { default: model.alias.clone(), models: vec![model] }
    }

    /// `models` with `default` among their aliases; `None` when it is not.
    pub fn new(mut models: Vec<Model>, default: &str) -> Option<Models> {
        models.sort_by(|a, b| a.alias.cmp(&b.alias));
        models.iter().any(|m| m.alias == default).then(|| Models { default: default.to_owned(), models })
    }

    pub fn get(&self, alias: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.alias == alias)
    }

    pub fn default_model(&self) -> &Model {
        self.get(&self.default).expect("the default is one of the models")
    }

    /// Every configured model, sorted by alias.
    pub fn all(&self) -> impl Iterator<Item = &Model> {
        self.models.iter()
    }

    /// The aliases, comma-separated, for messages.
    pub fn aliases(&self) -> String {
        self.models.iter().map(|m| m.alias.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The `GET /models` body: `{"defaultModel": "<alias>", "models": [{"alias", "modelId",
    /// "maxTokens", "maxTokensCap", "reasoning"}]}`.
    pub fn listing(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("models always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_names_each_alias_and_the_default() {
        let mut smart = Model::new("smart", "us.anthropic.claude-haiku-5-5", 1024, 4096);
        smart.reasoning = Reasoning::Show;
        smart.temperature = Some(0.5);
        let models =
            Models::new(vec![smart, Model::new("fast", "anthropic.claude-3-haiku-20240307-v1:0", 512, 2048)], "fast")
                .unwrap();
        let listing: Value = serde_json::from_slice(&models.listing()).unwrap();
        assert_eq!(
            listing,
            serde_json::json!({
                "defaultModel": "fast",
                "models": [
                    {"alias": "fast", "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "maxTokens": 512, "maxTokensCap": 2048, "reasoning": "hide"},
                    {"alias": "smart", "modelId": "us.anthropic.claude-haiku-5-5", "maxTokens": 1024, "maxTokensCap": 4096, "reasoning": "show"},
                ],
            })
        );
        assert_eq!(models.aliases(), "fast, smart");
        assert_eq!(models.default_model().alias, "fast");
    }

    #[test]
    fn the_default_must_be_one_of_them() {
        assert_eq!(Models::new(vec![Model::new("fast", "m", 1, 1)], "slow"), None);
    }
}
