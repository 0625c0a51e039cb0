//! CloudWatch Embedded Metric Format: one record per request on stdout, which CloudWatch Logs turns
//! into metrics (namespace `BedrockStreamer`, dimensions function and model) with no log parsing.

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::telemetry::Outcome;

pub const NAMESPACE: &str = "BedrockStreamer";

/// The function's name, set once at cold start; records are written only after that (so tests
/// that drive the handler in-process print none).
static FUNCTION: OnceLock<String> = OnceLock::new();

pub fn init(function: String) {
    let _ = FUNCTION.set(function);
}

/// What one request contributes to the metrics.
#[derive(Debug)]
pub struct RequestMetrics<'a> {
    pub request_id: &'a str,
    pub model: &'a str,
    pub story_type: Option<&'a str>,
    pub status: u16,
    pub outcome: Outcome,
    pub error_code: Option<&'static str>,
    pub first_token: Option<Duration>,
    pub output_tokens: Option<i32>,
    pub duration: Duration,
}

pub fn emit(metrics: &RequestMetrics<'_>) {
    let Some(function) = FUNCTION.get() else {
        return;
    };
    let timestamp_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut line = record(function, metrics, timestamp_ms);
    line.push('\n');
    // A log line that cannot be written is not worth failing a request over.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// The EMF record: one JSON object whose `_aws` member declares which of its members are metrics.
/// Each outcome is a 0/1 count, so a dashboard sums them per outcome and per model.
pub fn record(function: &str, m: &RequestMetrics<'_>, timestamp_ms: u64) -> String {
    let mut values = Map::new();
    let mut declared = Vec::new();
    let mut metric = |name: &str, unit: &str, value: Value| {
        declared.push(json!({ "Name": name, "Unit": unit }));
        values.insert(name.to_owned(), value);
    };
    metric("Requests", "Count", json!(1));
    for outcome in Outcome::ALL {
        metric(outcome.metric_name(), "Count", json!(u8::from(outcome == m.outcome)));
    }
    metric("Duration", "Milliseconds", json!(millis(m.duration)));
    if let Some(first_token) = m.first_token {
        metric("TimeToFirstToken", "Milliseconds", json!(millis(first_token)));
    }
    if let Some(tokens) = m.output_tokens {
        metric("OutputTokens", "Count", json!(tokens));
    }

    let mut record = Map::new();
    record.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["function", "model"]],
                "Metrics": declared,
            }],
        }),
    );
    record.insert("function".into(), json!(function));
    record.insert("model".into(), json!(m.model));
    record.insert("requestId".into(), json!(m.request_id));
    record.insert("storyType".into(), json!(m.story_type));
    record.insert("status".into(), json!(m.status));
    record.insert("outcome".into(), json!(m.outcome.as_str()));
    record.insert("errorCode".into(), json!(m.error_code));
    record.extend(values);
    Value::Object(record).to_string()
}

/// Milliseconds to two decimals: finer than that is noise.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completed() -> RequestMetrics<'static> {
        RequestMetrics {
            request_id: "r-1",
            model: "anthropic.claude-3-haiku-20240307-v1:0",
            story_type: Some("CATS"),
            status: 200,
            outcome: Outcome::Completed,
            error_code: None,
            first_token: Some(Duration::from_micros(412_345)),
            output_tokens: Some(212),
            duration: Duration::from_millis(2400),
        }
    }

    #[test]
    fn a_request_is_one_emf_record_with_its_metrics_declared() {
        let record: Value = serde_json::from_str(&record("story-fn", &completed(), 1_700_000_000_123)).unwrap();

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
                "OutputTokens"
            ]
        );
        for name in declared {
            assert!(record[name].is_number(), "every declared metric has a value: {name}");
        }
        assert_eq!(
            (record["function"].as_str(), record["model"].as_str()),
            (Some("story-fn"), Some("anthropic.claude-3-haiku-20240307-v1:0"))
        );
        assert_eq!((record["Completed"].as_u64(), record["Rejected"].as_u64()), (Some(1), Some(0)));
        assert_eq!(record["TimeToFirstToken"], 412.35);
        assert_eq!(record["OutputTokens"], 212);
        assert_eq!(record["outcome"], "completed");
    }

    #[test]
    fn a_rejected_request_declares_no_token_metrics() {
        let rejected = RequestMetrics {
            status: 400,
            outcome: Outcome::Rejected,
            error_code: Some("invalid_story_type"),
            first_token: None,
            output_tokens: None,
            story_type: None,
            ..completed()
        };
        let record: Value = serde_json::from_str(&record("f", &rejected, 0)).unwrap();
        let declared = record["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap();
        assert!(!declared.iter().any(|m| m["Name"] == "TimeToFirstToken" || m["Name"] == "OutputTokens"));
        assert_eq!((record["Rejected"].as_u64(), record["errorCode"].as_str()), (Some(1), Some("invalid_story_type")));
    }
}
