//! What an OpenAI client receives: the shapes of OpenAI's Chat Completions API (API reference,
//! "The chat completion object", "The chat completion chunk object", read 2026-12-07), as the
//! official clients read them (openai-python `_streaming.py`, read 2026-12-07: SSE `data:` lines,
//! comment lines ignored, a `data:` whose JSON has an `error` member raised as an `APIError`, the
//! stream ends at `data: [DONE]`; `_base_client.py`: `x-should-retry: true|false` decides a retry,
//! otherwise 408, 409, 429 and 5xx are retried).
//!
//! One answer has one `id` and one `created` for all its chunks; the first chunk's delta carries
//! the role; Bedrock's stop reasons become OpenAI's finish reasons ([`finish_reason`]).

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::price::PriceDate;
use crate::stream::wire::Usage;

/// `data: [DONE]`: the end of a complete streamed answer.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// An SSE comment: sent while Bedrock is silent, so intermediaries keep the connection; SSE
/// clients skip comment lines (openai-python's decoder drops lines starting with `:`).
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Who answers: one `id` and `created` for every chunk of one answer, and the model alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// `chatcmpl-` and the invocation's request id.
    pub id: String,
    /// Unix seconds when the request arrived.
    pub created: u64,
    /// The alias the request chose: what the client sent as `model`.
    pub model: String,
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":`,
    /// written once: every chunk starts with it (a chunk per token is the hot path).
    chunk_prefix: Vec<u8>,
}

/// What follows a chunk's delta when the choice goes on.
const CHUNK_SUFFIX: &[u8] = b",\"logprobs\":null,\"finish_reason\":null}]}\n\n";

impl Answer {
    pub fn new(request_id: &str, created: u64, model: &str) -> Answer {
        let id = format!("chatcmpl-{request_id}");
        let head = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model}).to_string();
        let chunk_prefix =
            format!("data: {},\"choices\":[{{\"index\":0,\"delta\":", &head[..head.len() - 1]).into_bytes();
        Answer { id, created, model: model.to_owned(), chunk_prefix }
    }

    /// The first chunk: the role, and empty content (as OpenAI sends it).
    pub fn role_chunk(&self) -> Bytes {
        self.chunk(br#"{"role":"assistant","content":""}"#, CHUNK_SUFFIX)
    }

    /// A chunk of the answer's text.
    pub fn text_chunk(&self, text: &str) -> Bytes {
        self.delta_chunk("content", text)
    }

    /// A chunk of the model's reasoning, for aliases that show it: `delta.reasoning_content`, the
    /// name reasoning models' OpenAI-compatible servers use (DeepSeek, vLLM, LiteLLM).
    pub fn reasoning_chunk(&self, text: &str) -> Bytes {
        self.delta_chunk("reasoning_content", text)
    }

    /// The chunk that ends the choice: an empty delta and the finish reason.
    pub fn finish_chunk(&self, stop_reason: &str) -> Bytes {
        let suffix = format!(",\"logprobs\":null,\"finish_reason\":\"{}\"}}]}}\n\n", finish_reason(stop_reason));
        self.chunk(b"{}", suffix.as_bytes())
    }

    /// `stream_options.include_usage`'s chunk: empty `choices` and the counts.
    pub fn usage_chunk(&self, usage: &CompletionUsage) -> Bytes {
        sse(&json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage,
        }))
    }

    /// `{"<field>":"<text>"}` as the delta.
    fn delta_chunk(&self, field: &str, text: &str) -> Bytes {
        let mut delta = Vec::with_capacity(text.len() + 24);
        delta.extend_from_slice(b"{\"");
        delta.extend_from_slice(field.as_bytes());
        delta.extend_from_slice(b"\":");
        serde_json::to_writer(&mut delta, text).expect("a string always serializes");
        delta.push(b'}');
        self.chunk(&delta, CHUNK_SUFFIX)
    }

    fn chunk(&self, delta: &[u8], suffix: &[u8]) -> Bytes {
        let mut frame = Vec::with_capacity(self.chunk_prefix.len() + delta.len() + suffix.len());
        frame.extend_from_slice(&self.chunk_prefix);
        frame.extend_from_slice(delta);
        frame.extend_from_slice(suffix);
        Bytes::from(frame)
    }

    /// The whole answer as one `chat.completion` (a request without `stream`).
    pub fn completion(
        &self,
        text: &str,
        reasoning: Option<&str>,
        stop_reason: &str,
        usage: Option<&CompletionUsage>,
    ) -> Bytes {
        let mut message = json!({"role": "assistant", "content": text, "refusal": null});
        if let Some(reasoning) = reasoning {
            message["reasoning_content"] = json!(reasoning);
        }
        let mut completion = json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason(stop_reason)}],
        });
        if let Some(usage) = usage {
            completion["usage"] = json!(usage);
        }
        Bytes::from(completion.to_string())
    }
}

/// OpenAI's `usage`, from Bedrock's counts: prompt tokens include the cached ones (OpenAI counts
/// them in `prompt_tokens` and again in `prompt_tokens_details.cached_tokens`; Bedrock reports
/// `cacheReadInputTokens` and `cacheWriteInputTokens` apart from `inputTokens`). The request's
/// cost, when its model has a price, rides along as `cost_usd` and `price_date`: fields OpenAI's
/// `usage` does not have, which its clients keep or ignore (the Python client's models allow
/// extra fields; the npm client and the AI SDK read the JSON as it comes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CompletionUsage {
    /// Summed in 64 bits: Bedrock's counts are each 32-bit (`TokenUsage`), and the sum of
    /// three of them may not be.
    pub prompt_tokens: i64,
    pub completion_tokens: i32,
    pub total_tokens: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_date: Option<PriceDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PromptTokensDetails {
    pub cached_tokens: i32,
}

impl CompletionUsage {
    /// `None` when Bedrock sent no counts (a stream that ended without `metadata`): never zeros.
    pub fn from_bedrock(usage: &Usage) -> Option<CompletionUsage> {
        let (input, output) = (usage.input_tokens?, usage.output_tokens?);
        let cached = usage.cache_read_input_tokens;
        let prompt = [Some(input), cached, usage.cache_write_input_tokens].into_iter().flatten().map(i64::from).sum();
        Some(CompletionUsage {
            prompt_tokens: prompt,
            completion_tokens: output,
            total_tokens: prompt + i64::from(output),
            prompt_tokens_details: cached.map(|cached_tokens| PromptTokensDetails { cached_tokens }),
            cost_usd: usage.cost.map(|c| c.cost_usd),
            price_date: usage.cost.map(|c| c.price_date),
        })
    }
}

/// OpenAI's `finish_reason` for Bedrock's `stopReason` (ConverseStream API reference,
/// `MessageStopEvent`, read 2026-12-07): `end_turn` and `stop_sequence` → `stop`, `max_tokens` and
/// `model_context_window_exceeded` → `length`, `guardrail_intervened` and `content_filtered` →
/// `content_filter`, `tool_use` → `tool_calls`; anything else (`malformed_model_output`, a reason
/// added later) → `stop`, the one every client accepts.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "guardrail_intervened" | "content_filtered" => "content_filter",
        "tool_use" => "tool_calls",
        _ => "stop",
    }
}

/// How an error reaches an OpenAI client: the status, the error object and whether a retry can
/// help (`x-should-retry`; `None` leaves the client's own rule: retry 408, 409, 429, 5xx). The
/// one place this route's statuses are decided: [`ApiError::status`], except an unknown model,
/// which OpenAI answers 404.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiError {
    pub status: StatusCode,
    pub should_retry: Option<bool>,
    body: Value,
}

/// Codes whose 5xx or 429 a retry within seconds cannot mend: the stack's configuration or the
/// account's model access or quota must change first.
const RETRY_CANNOT_HELP: [&str; 8] = [
    "model_access_denied",
    "model_not_found",
    "model_end_of_life",
    "model_legacy",
    "model_use_case_required",
    "bedrock_rejected",
    "quota_exceeded",
    "budget_exceeded",
];

impl OpenAiError {
    pub fn new(error: &ApiError) -> OpenAiError {
        let status = match error {
            ApiError::ModelNotAllowed { .. } => StatusCode::NOT_FOUND,
            other => other.status(),
        };
        let code = error.code();
        let kind = match (status.as_u16(), code) {
            (_, "quota_exceeded" | "budget_exceeded") => "insufficient_quota",
            (429, _) => "rate_limit_error",
            (400..=499, _) => "invalid_request_error",
            _ => "server_error",
        };
        let param = match error {
            ApiError::ModelNotAllowed { .. } => Some("model".to_owned()),
            ApiError::InvalidMessages { param, .. }
            | ApiError::ConversationTooLarge { param, .. }
            | ApiError::UnsupportedParameter { param, .. }
            | ApiError::InvalidParameter { param, .. } => Some(param.clone()),
            _ => None,
        };
        let should_retry =
            if RETRY_CANNOT_HELP.contains(&code) || error.is_client_error() { Some(false) } else { None };
        let body = json!({"error": {"message": error.to_string(), "type": kind, "param": param, "code": code}});
        OpenAiError { status, should_retry, body }
    }

    /// The whole body of an error response sent before the answer.
    pub fn body(&self) -> Bytes {
        Bytes::from(self.body.to_string())
    }

    /// The last event of a stream that failed after it started: `data: {"error": …}`, and no
    /// `[DONE]` after it.
    pub fn event(&self) -> Bytes {
        sse(&self.body)
    }
}

/// One SSE event: a `data:` line of compact JSON (serde_json escapes every control character, so
/// the JSON is one line) and the blank line that ends the event.
fn sse(value: &Value) -> Bytes {
    let mut frame = b"data: ".to_vec();
    serde_json::to_writer(&mut frame, value).expect("JSON values always serialize");
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

/// The `GET /v1/models` body: OpenAI's model list, one entry per alias (`created` 0: an alias has
/// no creation date; `owned_by` names the function).
pub fn model_list<'a>(aliases: impl Iterator<Item = &'a str>) -> Bytes {
    let data: Vec<Value> = aliases
        .map(|alias| json!({"id": alias, "object": "model", "created": 0, "owned_by": "bedrock-streamer"}))
        .collect();
    Bytes::from(json!({"object": "list", "data": data}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{NoAnswer, UpstreamFailure};

    fn answer() -> Answer {
        Answer::new("r-1", 1_765_000_000, "fast")
    }

    fn data(bytes: &Bytes) -> Value {
        let text = std::str::from_utf8(bytes).unwrap();
        let json = text.strip_prefix("data: ").and_then(|t| t.strip_suffix("\n\n")).expect("one SSE data event");
        assert!(!json.contains('\n'), "one line: {json:?}");
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn chunks_share_one_id_and_created_and_the_first_carries_the_role() {
        let a = answer();
        let role = data(&a.role_chunk());
        assert_eq!(
            role,
            json!({"id": "chatcmpl-r-1", "object": "chat.completion.chunk", "created": 1_765_000_000u64, "model": "fast",
                   "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]})
        );
        let text = data(&a.text_chunk("Once\nupon"));
        assert_eq!((&text["id"], &text["created"]), (&role["id"], &role["created"]));
        assert_eq!(text["choices"][0]["delta"], json!({"content": "Once\nupon"}));
        assert_eq!(data(&a.reasoning_chunk("Hmm"))["choices"][0]["delta"], json!({"reasoning_content": "Hmm"}));
        let finish = data(&a.finish_chunk("max_tokens"));
        assert_eq!(finish["choices"][0]["delta"], json!({}));
        assert_eq!(finish["choices"][0]["finish_reason"], "length");
    }

    #[test]
    fn finish_reasons_are_mapped_from_bedrocks_stop_reasons() {
        for (bedrock, openai) in [
            ("end_turn", "stop"),
            ("stop_sequence", "stop"),
            ("max_tokens", "length"),
            ("model_context_window_exceeded", "length"),
            ("guardrail_intervened", "content_filter"),
            ("content_filtered", "content_filter"),
            ("tool_use", "tool_calls"),
            ("malformed_model_output", "stop"),
        ] {
            assert_eq!(finish_reason(bedrock), openai, "{bedrock}");
        }
    }

    #[test]
    fn usage_counts_cached_prompt_tokens_and_is_absent_when_bedrock_sent_none() {
        let usage = Usage {
            input_tokens: Some(10),
            output_tokens: Some(5),
            total_tokens: Some(4111),
            cache_read_input_tokens: Some(4096),
            ..Usage::default()
        };
        let got = CompletionUsage::from_bedrock(&usage).unwrap();
        assert_eq!(
            json!(got),
            json!({"prompt_tokens": 4106, "completion_tokens": 5, "total_tokens": 4111, "prompt_tokens_details": {"cached_tokens": 4096}})
        );
        assert_eq!(CompletionUsage::from_bedrock(&Usage::default()), None);
        let most = Usage {
            input_tokens: Some(i32::MAX),
            output_tokens: Some(i32::MAX),
            cache_read_input_tokens: Some(i32::MAX),
            cache_write_input_tokens: Some(i32::MAX),
            ..Usage::default()
        };
        let summed = CompletionUsage::from_bedrock(&most).unwrap();
        assert_eq!((summed.prompt_tokens, summed.total_tokens), (3 * 2_147_483_647, 4 * 2_147_483_647), "never wraps");
        let chunk = data(&answer().usage_chunk(&got));
        assert_eq!(chunk["choices"], json!([]));
        assert_eq!(chunk["usage"]["completion_tokens"], 5);
    }

    #[test]
    fn a_completion_is_one_object_with_the_message_and_usage() {
        let usage = CompletionUsage {
            prompt_tokens: 3,
            completion_tokens: 2,
            total_tokens: 5,
            prompt_tokens_details: None,
            cost_usd: None,
            price_date: None,
        };
        let body: Value =
            serde_json::from_slice(&answer().completion("Hi there", Some("Hmm"), "end_turn", Some(&usage))).unwrap();
        assert_eq!(
            body,
            json!({"id": "chatcmpl-r-1", "object": "chat.completion", "created": 1_765_000_000u64, "model": "fast",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there", "refusal": null, "reasoning_content": "Hmm"},
                                "logprobs": null, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})
        );
    }

    #[test]
    fn errors_are_openai_error_objects_with_the_real_status() {
        let unknown =
            OpenAiError::new(&ApiError::ModelNotAllowed { model: "\"gpt-4o\"".into(), allowed: "fast".into() });
        assert_eq!((unknown.status.as_u16(), unknown.should_retry), (404, Some(false)));
        assert_eq!(
            serde_json::from_slice::<Value>(&unknown.body()).unwrap(),
            json!({"error": {"message": "model \"gpt-4o\" is not offered here; choose one of: fast",
                             "type": "invalid_request_error", "param": "model", "code": "model_not_allowed"}})
        );
        let n = OpenAiError::new(&ApiError::UnsupportedParameter { param: "n".into(), message: "n 2: …".into() });
        assert_eq!((n.status.as_u16(), n.body["error"]["param"].as_str()), (400, Some("n")));
        let large =
            OpenAiError::new(&ApiError::ConversationTooLarge { param: "messages".into(), message: "…".into() });
        assert_eq!((large.status.as_u16(), large.body["error"]["type"].as_str()), (413, Some("invalid_request_error")));
        let throttled =
            OpenAiError::new(&ApiError::Throttled { model: "m".into(), message: "Too many.".into(), retried: true });
        assert_eq!(
            (throttled.status.as_u16(), throttled.should_retry),
            (429, None),
            "the client's own backoff applies"
        );
        assert_eq!(throttled.body["error"]["type"], "rate_limit_error");
        let quota = OpenAiError::new(&ApiError::QuotaExceeded { model: "m".into(), message: "used up".into() });
        assert_eq!((quota.status.as_u16(), quota.should_retry), (429, Some(false)));
        assert_eq!(quota.body["error"]["type"], "insufficient_quota");
        let denied = OpenAiError::new(&ApiError::ModelAccessDenied { model: "m".into(), detail: "no".into() });
        assert_eq!((denied.status.as_u16(), denied.should_retry), (502, Some(false)));
        let down = OpenAiError::new(&ApiError::UpstreamError(UpstreamFailure::Unreachable { cause: "refused".into() }));
        assert_eq!((down.status.as_u16(), down.should_retry), (502, None));
        assert_eq!(down.body["error"]["type"], "server_error");
        let late = OpenAiError::new(&ApiError::UpstreamTimeout(NoAnswer::Deadline { secs: 30 }));
        assert_eq!((late.status.as_u16(), late.body["error"]["code"].as_str()), (504, Some("upstream_timeout")));
    }

    #[test]
    fn every_code_in_the_no_retry_list_is_a_real_code() {
        for code in RETRY_CANNOT_HELP {
            assert!(ApiError::CODES.contains(&code), "{code}");
        }
    }

    #[test]
    fn an_error_after_the_stream_started_is_one_data_event() {
        let error = OpenAiError::new(&ApiError::Timeout { secs: 60 });
        let event = data(&error.event());
        assert_eq!(event["error"]["code"], "timeout");
        assert_eq!(event["error"]["message"], "the answer did not finish within 60 s");
    }

    #[test]
    fn the_model_list_names_each_alias() {
        let list: Value = serde_json::from_slice(&model_list(["fast", "smart"].into_iter())).unwrap();
        assert_eq!(list["object"], "list");
        assert_eq!(
            list["data"][1],
            json!({"id": "smart", "object": "model", "created": 0, "owned_by": "bedrock-streamer"})
        );
    }
}
