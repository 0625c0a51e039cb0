//! One summary per request, filled in as the request goes, and its two renderings: the summary log
//! line (`tracing`, INFO) and the CloudWatch Embedded Metric Format record (one JSON object on
//! stdout, which CloudWatch Logs turns into metrics in namespace `BedrockStreamer`, dimensions
//! function and model, with no log parsing). The caller API Gateway authenticated is a property of
//! both, never a dimension.

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::bedrock::Side;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::price::Cost;
use crate::request::models::Model;
use crate::stream::wire::Usage;

/// How a request ended, as the summary line and dashboards name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    Completed,
    Rejected,
    UpstreamError,
    ClientDisconnected,
}

impl RequestOutcome {
    const ALL: [RequestOutcome; 4] = [
        RequestOutcome::Completed,
        RequestOutcome::Rejected,
        RequestOutcome::UpstreamError,
        RequestOutcome::ClientDisconnected,
    ];

    /// The name of this outcome's count in the metrics.
    fn metric_name(self) -> &'static str {
        match self {
            RequestOutcome::Completed => "Completed",
            RequestOutcome::Rejected => "Rejected",
            RequestOutcome::UpstreamError => "UpstreamErrors",
            RequestOutcome::ClientDisconnected => "ClientDisconnects",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestOutcome::Completed => "completed",
            RequestOutcome::Rejected => "rejected",
            RequestOutcome::UpstreamError => "upstream_error",
            RequestOutcome::ClientDisconnected => "client_disconnected",
        }
    }
}

/// What the summary line reports: filled in as the request goes, only through the methods below,
/// and written once, when it is dropped (at the end of a refusal, at the end of the stream, or
/// when the caller leaves mid-stream and the body is dropped).
#[derive(Debug)]
pub struct Summary {
    request_id: String,
    /// Who made the request, when API Gateway said.
    caller: Caller,
    /// The Bedrock model id called.
    model: String,
    /// The alias the request chose (or the default); the metrics' `model` dimension, so that
    /// its cardinality is the number of configured models.
    model_alias: String,
    story_type: Option<String>,
    status: u16,
    /// The caller hears nothing until the answer is whole (OpenAI without `stream`), so a failure
    /// part way is the response's status, not a last event after a 200.
    answered_whole: bool,
    started: Instant,
    first_token: Option<Duration>,
    /// Bedrock's counts for a completed request (the `usage` event's); all `None` otherwise.
    usage: Usage,
    /// What the request cost, when its model has a price.
    cost: Option<Cost>,
    error_code: Option<&'static str>,
    /// The side the stack's guardrail intervened on (`input`, `output`, or `unknown` when Bedrock
    /// sent no trace); `None` when it did not intervene.
    guardrail: Option<&'static str>,
    /// How the request ended; none yet when it is dropped means the caller went away.
    outcome: Option<RequestOutcome>,
}

impl Summary {
    /// A request that started at `started`, naming `model` until it chooses one.
    pub fn new(request_id: String, model: &Model, started: Instant) -> Self {
        Summary {
            request_id,
            caller: Caller::default(),
            model: model.model_id.clone(),
            model_alias: model.alias.clone(),
            story_type: None,
            status: 200,
            answered_whole: false,
            started,
            first_token: None,
            usage: Usage::default(),
            cost: None,
            error_code: None,
            guardrail: None,
            outcome: None,
        }
    }

    /// The caller API Gateway authenticated.
    pub fn caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    /// The model the request chose.
    pub fn chose(&mut self, model: &Model) {
        self.model.clone_from(&model.model_id);
        self.model_alias.clone_from(&model.alias);
    }

    /// The story type of a story request, in NFC.
    pub fn story_type(&mut self, story_type: String) {
        self.story_type = Some(story_type);
    }

    /// Refused before the stream, answered with `status`.
    pub fn refused(&mut self, error: &ApiError, status: StatusCode) {
        self.status = status.as_u16();
        self.error_code = Some(error.code());
        self.outcome =
            Some(if error.is_client_error() { RequestOutcome::Rejected } else { RequestOutcome::UpstreamError });
    }

    /// The first word of the answer reached the caller (later words change nothing).
    pub fn first_word(&mut self) {
        self.first_token.get_or_insert_with(|| self.started.elapsed());
    }

    /// The answer is whole; `usage` is what Bedrock counted (each count `None` when it did not say).
    pub fn completed(&mut self, usage: &Usage) {
        self.usage = *usage;
        self.outcome = Some(RequestOutcome::Completed);
    }

    /// What the whole answer cost (see [`crate::price`]); `None` for a model without a price.
    pub fn priced(&mut self, cost: Option<Cost>) {
        self.cost = cost;
    }

    /// The stack's guardrail intervened (Bedrock's stop reason `guardrail_intervened`) on `side`,
    /// when its trace said which.
    pub fn guardrail_intervened(&mut self, side: Option<Side>) {
        self.guardrail = Some(side.map_or("unknown", Side::as_str));
    }

    /// The caller is answered once, when the answer is whole: see [`Summary::failed`].
    pub fn answered_whole(&mut self) {
        self.answered_whole = true;
    }

    /// The stream ended with `error` as its last event; answered whole, the response is that
    /// error, with its status.
    pub fn failed(&mut self, error: &ApiError) {
        if self.answered_whole {
            self.status = error.status().as_u16();
        }
        self.error_code = Some(error.code());
        self.outcome = Some(RequestOutcome::UpstreamError);
    }

    #[cfg(test)]
    pub(crate) fn first_token(&self) -> Option<Duration> {
        self.first_token
    }

    /// Writes the summary log line and, once [`enable_metrics`] has run, the request's EMF record.
    fn write(&self, outcome: RequestOutcome) {
        let duration = self.started.elapsed();
        tracing::info!(
            request_id = %self.request_id,
            api_key_id = self.caller.api_key_id.as_deref(),
            user_sub = self.caller.user_sub.as_deref(),
            model = %self.model,
            model_alias = %self.model_alias,
            story_type = self.story_type.as_deref().unwrap_or(""),
            status = self.status,
            ttft_ms = self.first_token.map(millis),
            input_tokens = self.usage.input_tokens,
            output_tokens = self.usage.output_tokens,
            cache_read_input_tokens = self.usage.cache_read_input_tokens,
            cache_write_input_tokens = self.usage.cache_write_input_tokens,
            service_tier = self.usage.service_tier.map(|tier| tier.as_str()),
            cost_usd = self.cost.map(|c| c.cost_usd),
            price_date = self.cost.map(|c| tracing::field::display(c.price_date)),
            duration_ms = millis(duration),
            outcome = outcome.as_str(),
            error_code = self.error_code,
            guardrail = self.guardrail,
            "request summary"
        );
        emit_record(self, outcome, duration);
    }
}

impl Drop for Summary {
    fn drop(&mut self) {
        self.write(self.outcome.unwrap_or(RequestOutcome::ClientDisconnected));
    }
}

const NAMESPACE: &str = "BedrockStreamer";

/// The request's cost in US dollars: a metric by function and model, and by function alone (the
/// daily budget's alarm, pulumi/budget.ts, sums it over a day).
pub const COST_METRIC: &str = "CostUsd";

/// The function's name, set once at cold start; records are written only after that (so tests
/// that drive the handler in-process print none).
static FUNCTION: OnceLock<String> = OnceLock::new();

pub fn enable_metrics(function: String) {
    let _ = FUNCTION.set(function);
}

/// The request's EMF record on stdout, from its summary: how it ended and how long it took.
fn emit_record(summary: &Summary, outcome: RequestOutcome, duration: Duration) {
    let Some(function) = FUNCTION.get() else {
        return;
    };
    let timestamp_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut line = record(function, summary, outcome, duration, timestamp_ms);
    line.push('\n');
    // A log line that cannot be written is not worth failing a request over.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// The EMF record: one JSON object whose `_aws` member declares which of its members are metrics.
/// Each outcome is a 0/1 count, so a dashboard sums them per outcome and per model.
fn record(function: &str, summary: &Summary, outcome: RequestOutcome, duration: Duration, timestamp_ms: u64) -> String {
    let mut values = Map::new();
    let mut declared = Vec::new();
    let mut metric = |name: &str, unit: &str, value: Value| {
        declared.push(json!({ "Name": name, "Unit": unit }));
        values.insert(name.to_owned(), value);
    };
    metric("Requests", "Count", json!(1));
    for each in RequestOutcome::ALL {
        metric(each.metric_name(), "Count", json!(u8::from(each == outcome)));
    }
    metric("Duration", "Milliseconds", json!(millis(duration)));
    if let Some(first_token) = summary.first_token {
        metric("TimeToFirstToken", "Milliseconds", json!(millis(first_token)));
    }
    // Each count only when Bedrock reported it, so a dashboard's average is over real counts.
    let usage = &summary.usage;
    for (name, tokens) in [
        ("InputTokens", usage.input_tokens),
        ("OutputTokens", usage.output_tokens),
        ("CacheReadInputTokens", usage.cache_read_input_tokens),
        ("CacheWriteInputTokens", usage.cache_write_input_tokens),
    ] {
        if let Some(tokens) = tokens {
            metric(name, "Count", json!(tokens));
        }
    }
    if let Some(cost) = summary.cost {
        metric(COST_METRIC, "None", json!(cost.cost_usd));
    }
    metric("GuardrailInterventions", "Count", json!(u8::from(summary.guardrail.is_some())));

    let mut record = Map::new();
    let mut directives = vec![json!({
        "Namespace": NAMESPACE,
        "Dimensions": [["function", "model"]],
        "Metrics": declared,
    })];
    if summary.cost.is_some() {
        // The cost once more by function alone: the stack's daily budget alarm sums this one.
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["function"]],
            "Metrics": [{ "Name": COST_METRIC, "Unit": "None" }],
        }));
    }
    record.insert("_aws".into(), json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }));
    record.insert("function".into(), json!(function));
    // The dimension is the alias (a handful of values); the model id is a property beside it.
    record.insert("model".into(), json!(summary.model_alias));
    record.insert("modelId".into(), json!(summary.model));
    record.insert("requestId".into(), json!(summary.request_id));
    record.insert("storyType".into(), json!(summary.story_type.as_deref()));
    record.insert("status".into(), json!(summary.status));
    record.insert("outcome".into(), json!(outcome.as_str()));
    record.insert("errorCode".into(), json!(summary.error_code));
    // A property, not a dimension: the tier that served the request, when Bedrock said.
    if let Some(tier) = summary.usage.service_tier {
        record.insert("serviceTier".into(), json!(tier.as_str()));
    }
    if let Some(cost) = summary.cost {
        record.insert("priceDate".into(), json!(cost.price_date));
    }
    // Properties, not dimensions: a metric per API key or user would cost a metric each.
    if let Some(api_key_id) = &summary.caller.api_key_id {
        record.insert("apiKeyId".into(), json!(api_key_id));
    }
    if let Some(user_sub) = &summary.caller.user_sub {
        record.insert("userSub".into(), json!(user_sub));
    }
    record.insert("guardrail".into(), json!(summary.guardrail));
    record.extend(values);
    Value::Object(record).to_string()
}

/// Milliseconds to two decimals: finer than that is noise.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;
    use crate::settings::tier::ServiceTier;

    fn completed() -> Summary {
        let mut summary = Summary::new(
            "r-1".into(),
            &Model::new("fast", "anthropic.claude-3-haiku-20240307-v1:0", 1, 1),
            Instant::now(),
        );
        summary.first_token = Some(Duration::from_micros(412_345));
        summary.story_type("CATS".into());
        summary.completed(&Usage {
            input_tokens: Some(17),
            output_tokens: Some(212),
            total_tokens: Some(4325),
            cache_read_input_tokens: Some(4096),
            cache_write_input_tokens: Some(0),
            latency_ms: Some(1830),
            cost: None,
            service_tier: Some(ServiceTier::Priority),
        });
        summary
    }

    const TOOK: Duration = Duration::from_millis(2400);

    #[test]
    fn time_to_first_token_is_stamped_at_the_first_word_only() {
        let mut summary = Summary::new("r".into(), &Model::new("default", "m", 1, 1), Instant::now());
        assert_eq!(summary.first_token, None);
        summary.first_word();
        let first = summary.first_token.expect("stamped");
        summary.first_word();
        assert_eq!(summary.first_token, Some(first), "later words change nothing");
    }

    #[test]
    fn the_outcome_follows_what_happened_and_a_summary_dropped_before_an_end_is_a_disconnect() {
        let mut summary = Summary::new("r".into(), &Model::new("default", "m", 1, 1), Instant::now());
        assert_eq!(summary.outcome, None, "dropped now, it is written as client_disconnected");
        summary.failed(&ApiError::Timeout { secs: 1 });
        assert_eq!((summary.outcome, summary.error_code), (Some(RequestOutcome::UpstreamError), Some("timeout")));
        summary.refused(
            &ApiError::Throttled { model: "m".into(), message: "slow".into(), retried: true },
            StatusCode::TOO_MANY_REQUESTS,
        );
        assert_eq!((summary.outcome, summary.status), (Some(RequestOutcome::UpstreamError), 429), "a 429 is Bedrock's");
        summary.refused(&ApiError::BudgetExceeded, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            (summary.outcome, summary.status),
            (Some(RequestOutcome::Rejected), 429),
            "the budget's 429 is the stack's own refusal, not an upstream error"
        );
    }

    #[test]
    fn a_request_is_one_emf_record_with_its_metrics_declared() {
        let record: Value =
            serde_json::from_str(&record("story-fn", &completed(), RequestOutcome::Completed, TOOK, 1_700_000_000_123))
                .unwrap();

        let aws = &record["_aws"];
        assert_eq!(aws["Timestamp"], 1_700_000_000_123u64);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "BedrockStreamer");
        assert_eq!(directive["Dimensions"], json!([["function", "model"]]));
        let declared: Vec<&str> =
            directive["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(
            declared,
            [
                "Requests",
                "Completed",
                "Rejected",
                "UpstreamErrors",
                "ClientDisconnects",
                "Duration",
                "TimeToFirstToken",
                "InputTokens",
                "OutputTokens",
                "CacheReadInputTokens",
                "CacheWriteInputTokens",
                "GuardrailInterventions"
            ]
        );
        for name in declared {
            assert!(record[name].is_number(), "every declared metric has a value: {name}");
        }
        assert_eq!(
            (record["function"].as_str(), record["model"].as_str(), record["modelId"].as_str()),
            (Some("story-fn"), Some("fast"), Some("anthropic.claude-3-haiku-20240307-v1:0")),
            "the model dimension is the alias"
        );
        assert_eq!((record["Completed"].as_u64(), record["Rejected"].as_u64()), (Some(1), Some(0)));
        assert_eq!(record["TimeToFirstToken"], 412.35);
        assert_eq!(record["OutputTokens"], 212);
        assert_eq!((record["InputTokens"].as_u64(), record["CacheReadInputTokens"].as_u64()), (Some(17), Some(4096)));
        assert_eq!(record["CacheWriteInputTokens"], 0, "a 0 Bedrock sent is a count, unlike one it did not send");
        assert_eq!(record["outcome"], "completed");
        assert_eq!(record["serviceTier"], "priority", "the tier that served it, as a property");
        assert_eq!((record["GuardrailInterventions"].as_u64(), record["guardrail"].as_str()), (Some(0), None));
    }

    #[test]
    fn a_guardrail_intervention_is_counted_with_its_side() {
        let mut summary = completed();
        summary.guardrail_intervened(Some(Side::Input));
        let record: Value = serde_json::from_str(&record("f", &summary, RequestOutcome::Completed, TOOK, 0)).unwrap();
        assert_eq!((record["GuardrailInterventions"].as_u64(), record["guardrail"].as_str()), (Some(1), Some("input")));
        summary.guardrail_intervened(None);
        assert_eq!(summary.guardrail, Some("unknown"), "Bedrock sent no trace");
    }

    #[test]
    fn a_priced_request_adds_its_cost_by_model_and_by_function_and_an_unpriced_one_none() {
        let mut priced = completed();
        let price = crate::price::Price::from_json(&json!({"input": 1, "output": 5, "read": "2026-12-07"})).unwrap();
        priced.priced(price.cost(crate::price::Tokens { input: 10, output: 212, ..Default::default() }));
        let line: Value = serde_json::from_str(&record("f", &priced, RequestOutcome::Completed, TOOK, 0)).unwrap();
        // 10 × $1 + 212 × $5 per million tokens = $0.00107.
        assert_eq!(line["CostUsd"], 0.00107);
        assert_eq!(line["priceDate"], "2026-12-07");
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert!(directives[0]["Metrics"].as_array().unwrap().iter().any(|m| m["Name"] == "CostUsd"));
        assert_eq!(directives[1]["Dimensions"], json!([["function"]]), "the budget alarm's metric");
        assert_eq!(directives[1]["Metrics"], json!([{"Name": "CostUsd", "Unit": "None"}]));

        let unpriced: Value =
            serde_json::from_str(&record("f", &completed(), RequestOutcome::Completed, TOOK, 0)).unwrap();
        assert_eq!(unpriced.get("CostUsd"), None, "no price, no cost: never 0");
        assert_eq!(unpriced.get("priceDate"), None);
        assert_eq!(unpriced["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_caller_is_a_property_of_the_record_never_a_dimension() {
        let caller = Caller { api_key_id: Some("a1b2c3d4e5".into()), user_sub: Some("7d3c1f0e-user".into()) };
        let summary = completed().caller(caller);
        let named: Value = serde_json::from_str(&record("f", &summary, RequestOutcome::Completed, TOOK, 0)).unwrap();
        assert_eq!(
            (named["apiKeyId"].as_str(), named["userSub"].as_str()),
            (Some("a1b2c3d4e5"), Some("7d3c1f0e-user"))
        );
        for directive in named["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            let dimensions = directive["Dimensions"].to_string();
            assert!(!dimensions.contains("apiKeyId") && !dimensions.contains("userSub"), "{dimensions}");
        }

        let anonymous: Value =
            serde_json::from_str(&record("f", &completed(), RequestOutcome::Completed, TOOK, 0)).unwrap();
        assert!(anonymous.get("apiKeyId").is_none() && anonymous.get("userSub").is_none(), "{anonymous}");
    }

    #[test]
    fn a_rejected_request_declares_no_token_metrics() {
        let mut rejected = Summary::new("r-2".into(), &Model::new("default", "m", 1, 1), Instant::now());
        rejected.refused(&ApiError::InvalidStoryType("no".into()), StatusCode::BAD_REQUEST);
        let record: Value = serde_json::from_str(&record("f", &rejected, RequestOutcome::Rejected, TOOK, 0)).unwrap();
        let declared = record["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap();
        assert!(
            !declared
                .iter()
                .any(|m| m["Name"] == "TimeToFirstToken" || m["Name"].as_str().unwrap().ends_with("Tokens"))
        );
        assert_eq!((record["Rejected"].as_u64(), record["errorCode"].as_str()), (Some(1), Some("invalid_story_type")));
    }
}
