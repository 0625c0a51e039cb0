//! The ConverseStream request: its path and its JSON body, the shapes the SDK sent
//! (aws-sdk-bedrockruntime 1.153.0's serializers, which the tests below keep as the oracle).
//!
//! `POST /model/{modelId}/converse-stream` with `Content-Type: application/json` and the body
//! `{"additionalModelRequestFields", "guardrailConfig", "inferenceConfig", "messages",
//! "serviceTier", "system"}` (ConverseStream API reference,
//! docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html, read
//! 2026-12-07); members in the SDK's order, absent ones left out.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;

use super::Call;
use crate::request::conversation::Role;
use crate::settings::cache::CacheTtl;
use crate::settings::{Guardrail, StreamProcessingMode};

/// What the SDK percent-encodes in a path label (aws-smithy-http 0.64 `urlencode::BASE_SET`): a
/// model ARN's `:` and `/`, an inference profile id's `:`, and the rest of RFC 3986's delimiters.
const LABEL: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b':')
    .add(b',')
    .add(b'?')
    .add(b'#')
    .add(b'[')
    .add(b']')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'@')
    .add(b'!')
    .add(b'$')
    .add(b'&')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b'+')
    .add(b';')
    .add(b'=')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'"')
    .add(b'^')
    .add(b'`')
    .add(b'\\');

/// `/model/{modelId}/converse-stream`, the model id percent-encoded as one path segment.
pub(super) fn path(model_id: &str) -> String {
    format!("/model/{}/converse-stream", utf8_percent_encode(model_id, LABEL))
}

/// The JSON body of `call`, with `guardrail` as its `guardrailConfig`.
pub(super) fn body(call: &Call<'_>, guardrail: Option<&Guardrail>) -> Vec<u8> {
    let point = call.cache_points.map(|points| CachePoint {
        r#type: "default",
        // A 5-minute point carries no `ttl`: 5 minutes is what a point without one gets ("When
        // omitted, uses type value for caching behavior": API reference, `CachePointBlock`, read
        // 2026-12-07), and so a model that takes only 5 minutes is never sent the field it may
        // not know.
        ttl: match points.ttl {
            CacheTtl::FiveMinutes => None,
            CacheTtl::OneHour => Some("1h"),
        },
    });
    let point_after_turn = call.cache_points.and_then(|points| points.after_turn);
    let messages = call
        .turns
        .iter()
        .enumerate()
        .map(|(i, turn)| {
            let mut content = vec![Block::Text(&turn.text)];
            if let Some(point) = point.filter(|_| point_after_turn == Some(i)) {
                content.push(Block::CachePoint(point));
            }
            let role = match turn.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            Message { role, content }
        })
        .collect();
    let mut system: Vec<Block<'_>> = call.system.iter().map(|text| Block::Text(text)).collect();
    if let Some(point) = point.filter(|_| call.cache_points.is_some_and(|p| p.after_stack_system)) {
        // The stack's own prompt is the first block; the caller's system text follows the point.
        system.insert(1.min(system.len()), Block::CachePoint(point));
    }
    let body = Body {
        additional_model_request_fields: call.additional_model_request_fields,
        guardrail_config: guardrail.map(|g| GuardrailConfig {
            guardrail_identifier: &g.id,
            guardrail_version: &g.version,
            // The trace says which side intervened (guardrail.rs).
            trace: "enabled",
            stream_processing_mode: match g.mode {
                StreamProcessingMode::Sync => "sync",
                StreamProcessingMode::Async => "async",
            },
        }),
        inference_config: InferenceConfig {
            max_tokens: i32::try_from(call.max_tokens).unwrap_or(i32::MAX),
            // The SDK wrote a float as the f64 it widens to (0.7 as 0.699999988079071).
            temperature: call.temperature.map(f64::from),
            top_p: call.top_p.map(f64::from),
            stop_sequences: call.stop_sequences,
        },
        messages,
        service_tier: call.service_tier.map(|tier| Tier { r#type: tier.as_str() }),
        system,
    };
    serde_json::to_vec(&body).expect("the body is strings, numbers and JSON values")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_model_request_fields: Option<&'a serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guardrail_config: Option<GuardrailConfig<'a>>,
    inference_config: InferenceConfig<'a>,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<Tier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<Block<'a>>,
}

/// `GuardrailStreamConfiguration`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GuardrailConfig<'a> {
    guardrail_identifier: &'a str,
    guardrail_version: &'a str,
    trace: &'static str,
    stream_processing_mode: &'static str,
}

/// `InferenceConfiguration`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InferenceConfig<'a> {
    max_tokens: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
}

/// `Message`: a role and its content blocks.
#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Vec<Block<'a>>,
}

/// A `ContentBlock` or `SystemContentBlock` union member: `{"text": …}` or `{"cachePoint": …}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Block<'a> {
    Text(&'a str),
    CachePoint(CachePoint),
}

/// `CachePointBlock`.
#[derive(Clone, Copy, Serialize)]
struct CachePoint {
    r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<&'static str>,
}

/// `ServiceTier`.
#[derive(Serialize)]
struct Tier {
    r#type: &'static str,
}

/// The SDK as the oracle: the same calls built with aws-sdk-bedrockruntime's builders (the code
/// this module replaced) and sent to an HTTP client that keeps the request instead of sending it.
#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_bedrockruntime::types::{
        CachePointBlock, CachePointType, CacheTtl as SdkCacheTtl, ContentBlock, ConversationRole,
        GuardrailStreamConfiguration, GuardrailStreamProcessingMode, GuardrailTrace, InferenceConfiguration, Message,
        ServiceTier as SdkServiceTier, ServiceTierType, SystemContentBlock,
    };
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::{Document, Number};
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;
    use crate::request::conversation::Turn;
    use crate::settings::cache::CachePoints;
    use crate::settings::tier::ServiceTier;

    const ENDPOINT: &str = "http://capture.invalid";

    /// A request's path and body.
    type Captured = (String, Vec<u8>);

    /// Keeps the request's path and body, and answers with an error the SDK does not retry.
    #[derive(Debug, Clone, Default)]
    struct Capture(Arc<Mutex<Option<Captured>>>);

    impl HttpConnector for Capture {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let path = request.uri().strip_prefix(ENDPOINT).unwrap_or(request.uri()).to_owned();
            let body = request.body().bytes().expect("an in-memory body").to_vec();
            *self.0.lock().unwrap() = Some((path, body));
            HttpConnectorFuture::ready(Err(ConnectorError::other("captured".into(), None)))
        }
    }

    impl HttpClient for Capture {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    /// The path and body the SDK sends for `call`.
    fn sdk_request(call: &Call<'_>, guardrail: Option<&Guardrail>) -> Captured {
        let capture = Capture::default();
        let config = aws_sdk_bedrockruntime::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "static"))
            .endpoint_url(ENDPOINT)
            .http_client(SharedHttpClient::new(capture.clone()))
            .build();
        let client = aws_sdk_bedrockruntime::Client::from_conf(config);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let sent = runtime.block_on(sdk_call(&client, call, guardrail));
        assert!(sent.is_err(), "the capture answers no request");
        capture.0.lock().unwrap().take().expect("the SDK sent a request")
    }

    /// The call as `Client::converse_stream` built it with the SDK before this module.
    async fn sdk_call(
        client: &aws_sdk_bedrockruntime::Client,
        call: &Call<'_>,
        guardrail: Option<&Guardrail>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let cache_point = call
            .cache_points
            .map(|points| {
                let ttl = match points.ttl {
                    CacheTtl::FiveMinutes => None,
                    CacheTtl::OneHour => Some(SdkCacheTtl::OneHour),
                };
                CachePointBlock::builder().r#type(CachePointType::Default).set_ttl(ttl).build()
            })
            .transpose()?;
        let point_after_turn = call.cache_points.and_then(|points| points.after_turn);
        let messages = call
            .turns
            .iter()
            .enumerate()
            .map(|(i, turn)| {
                let role = match turn.role {
                    Role::User => ConversationRole::User,
                    Role::Assistant => ConversationRole::Assistant,
                };
                let message = Message::builder().role(role).content(ContentBlock::Text(turn.text.clone()));
                match &cache_point {
                    Some(point) if point_after_turn == Some(i) => {
                        message.content(ContentBlock::CachePoint(point.clone()))
                    }
                    _ => message,
                }
                .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut system: Vec<SystemContentBlock> =
            call.system.iter().map(|text| SystemContentBlock::Text((*text).to_owned())).collect();
        if let Some(point) = cache_point.filter(|_| call.cache_points.is_some_and(|p| p.after_stack_system)) {
            system.insert(1.min(system.len()), SystemContentBlock::CachePoint(point));
        }
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(call.max_tokens).unwrap_or(i32::MAX))
            .set_temperature(call.temperature)
            .set_top_p(call.top_p)
            .set_stop_sequences((!call.stop_sequences.is_empty()).then(|| call.stop_sequences.to_vec()))
            .build();
        let guardrail_config = guardrail.map(|g| {
            GuardrailStreamConfiguration::builder()
                .guardrail_identifier(&g.id)
                .guardrail_version(&g.version)
                .stream_processing_mode(match g.mode {
                    StreamProcessingMode::Sync => GuardrailStreamProcessingMode::Sync,
                    StreamProcessingMode::Async => GuardrailStreamProcessingMode::Async,
                })
                .trace(GuardrailTrace::Enabled)
                .build()
        });
        let tier = call
            .service_tier
            .map(|tier| SdkServiceTier::builder().r#type(ServiceTierType::from(tier.as_str())).build())
            .transpose()?;
        client
            .converse_stream()
            .model_id(call.model_id)
            .set_messages(Some(messages))
            .set_system((!system.is_empty()).then_some(system))
            .inference_config(inference)
            .set_additional_model_request_fields(call.additional_model_request_fields.map(object))
            .set_guardrail_config(guardrail_config)
            .set_service_tier(tier)
            .send()
            .await?;
        Ok(())
    }

    fn object(fields: &Map<String, Value>) -> Document {
        Document::Object(fields.iter().map(|(k, v)| (k.clone(), document(v))).collect())
    }

    fn document(value: &Value) -> Document {
        match value {
            Value::Null => Document::Null,
            Value::Bool(b) => Document::Bool(*b),
            Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Number::PosInt(u),
                (None, Some(i)) => Number::NegInt(i),
                (None, None) => Number::Float(n.as_f64().unwrap_or_default()),
            }),
            Value::String(s) => Document::String(s.clone()),
            Value::Array(items) => Document::Array(items.iter().map(document).collect()),
            Value::Object(fields) => object(fields),
        }
    }

    /// Everything a `Call` borrows, owned.
    #[derive(Debug, Clone)]
    struct Owned {
        model_id: String,
        system: Vec<String>,
        turns: Vec<Turn>,
        stop_sequences: Vec<String>,
        max_tokens: u32,
        temperature: Option<f32>,
        top_p: Option<f32>,
        additional: Option<Map<String, Value>>,
        cache_points: Option<CachePoints>,
        service_tier: Option<ServiceTier>,
        guardrail: Option<Guardrail>,
    }

    impl Owned {
        fn call(&self) -> Call<'_> {
            Call {
                model_id: &self.model_id,
                system: self.system.iter().map(String::as_str).collect(),
                turns: &self.turns,
                stop_sequences: &self.stop_sequences,
                max_tokens: self.max_tokens,
                temperature: self.temperature,
                top_p: self.top_p,
                additional_model_request_fields: self.additional.as_ref(),
                cache_points: self.cache_points,
                service_tier: self.service_tier,
            }
        }
    }

    /// Any text, control characters, quotes and non-ASCII included.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![".{0,12}", "(?s)[\\x00-\\x1f\"\\\\a-z é𝄞]{0,12}"]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn owned() -> impl Strategy<Value = Owned> {
        let model_id = prop_oneof![
            Just("us.anthropic.claude-haiku-4-5-20251001-v1:0".to_owned()),
            Just("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-5-5".to_owned()),
            "[ -~]{1,30}",
            "\\PC{1,12}",
        ];
        let turns = (prop::collection::vec((text(), text()), 0..3), text()).prop_map(|(pairs, last)| {
            let mut turns: Vec<Turn> = pairs
                .into_iter()
                .flat_map(|(user, assistant)| {
                    [Turn { role: Role::User, text: user }, Turn { role: Role::Assistant, text: assistant }]
                })
                .collect();
            turns.push(Turn { role: Role::User, text: last });
            turns
        });
        let sampling = (
            any::<u32>(),
            prop::option::of(0.0f32..=1.0),
            prop::option::of(0.0f32..=1.0),
            prop::collection::vec(text(), 0..3),
        );
        let extras = (
            prop::option::of(prop::collection::btree_map("[a-zA-Z_]{1,10}", json(), 0..4)),
            prop::option::of((any::<bool>(), any::<bool>(), prop::option::of(0usize..8))),
            prop::option::of(prop::sample::select(vec![
                ServiceTier::Default,
                ServiceTier::Priority,
                ServiceTier::Flex,
            ])),
            prop::option::of(("[a-z0-9:/.-]{1,30}", "DRAFT|[1-9][0-9]{0,7}", any::<bool>())),
        );
        (model_id, prop::collection::vec(text(), 0..3), turns, sampling, extras).prop_map(
            |(model_id, system, turns, (max_tokens, temperature, top_p, stop_sequences), extras)| {
                let (additional, points, service_tier, guardrail) = extras;
                let cache_points = points.map(|(one_hour, after_stack_system, after_turn)| CachePoints {
                    ttl: if one_hour { CacheTtl::OneHour } else { CacheTtl::FiveMinutes },
                    after_stack_system,
                    after_turn: after_turn.filter(|&i| i < turns.len()),
                });
                Owned {
                    model_id,
                    system,
                    turns,
                    stop_sequences,
                    max_tokens,
                    temperature,
                    top_p,
                    additional: additional.map(|m| m.into_iter().collect()),
                    cache_points,
                    service_tier,
                    guardrail: guardrail.map(|(id, version, sync)| Guardrail {
                        id,
                        version,
                        mode: if sync { StreamProcessingMode::Sync } else { StreamProcessingMode::Async },
                    }),
                }
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn the_path_and_body_are_the_sdks(owned in owned()) {
            let call = owned.call();
            let (sdk_path, sdk_body) = sdk_request(&call, owned.guardrail.as_ref());
            prop_assert_eq!(path(call.model_id), sdk_path);
            let ours = body(&call, owned.guardrail.as_ref());
            if owned.additional.is_none() {
                // Byte for byte; with additional fields the SDK's member order is a HashMap's.
                prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&sdk_body));
            }
            let parse = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).expect("JSON");
            prop_assert_eq!(parse(&ours), parse(&sdk_body));
        }
    }

    #[test]
    fn a_profile_arn_is_one_path_segment() {
        assert_eq!(
            path("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-5-5"),
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-haiku-5-5/converse-stream"
        );
    }
}
