//! The bytes on the wire, read without the SDK: HTTP status and headers as Bedrock sends them,
//! and event-stream messages whose headers and JSON payloads match Bedrock's.

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::Message;
use bedrock_emulator::{Emulator, EmulatorConfig, ExchangeOutcome};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

const PATH: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream";

async fn post(emulator: &Emulator, path: &str, body: &str) -> Response<Bytes> {
    let stream = TcpStream::connect(emulator.addr()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let request = Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
}

fn messages(mut body: Bytes) -> Vec<Message> {
    let mut decoder = MessageFrameDecoder::new();
    let mut messages = Vec::new();
    while !body.is_empty() {
        match decoder.decode_frame(&mut body).unwrap() {
            DecodedFrame::Complete(message) => messages.push(message),
            DecodedFrame::Incomplete => panic!("the body ends inside a message"),
        }
    }
    messages
}

fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    let header = message.headers().iter().find(|h| h.name().as_str() == name)?;
    Some(header.value().as_string().unwrap().as_str())
}

fn payload(message: &Message) -> Value {
    serde_json::from_slice(message.payload()).unwrap()
}

fn text_request(text: &str) -> String {
    serde_json::json!({ "messages": [{ "role": "user", "content": [{ "text": text }] }] }).to_string()
}

#[tokio::test]
async fn a_stream_is_event_stream_messages_with_padded_json_payloads() {
    let emulator = Emulator::start(EmulatorConfig { story_words: 3, ..Default::default() }).await.unwrap();

    let response = post(&emulator, PATH, &text_request("about: moths")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.amazon.eventstream");
    assert_eq!(response.headers()["x-amzn-requestid"].to_str().unwrap(), emulator.requests()[0].request_id);
    let messages = messages(response.into_body());
    let types: Vec<_> = messages.iter().map(|m| header(m, ":event-type").unwrap()).collect();
    assert_eq!(
        types,
        [
            "messageStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );
    for message in &messages {
        assert_eq!(header(message, ":message-type"), Some("event"));
        assert_eq!(header(message, ":content-type"), Some("application/json"));
        let padding = payload(message)["p"].as_str().unwrap().to_owned();
        assert!(!padding.is_empty() && padding.chars().all(|c| c.is_ascii_alphanumeric()), "{padding:?}");
    }
    assert_eq!(payload(&messages[0])["role"], "assistant");
    assert_eq!(payload(&messages[2])["delta"], serde_json::json!({ "text": " upon" }));
    assert_eq!(payload(&messages[2])["contentBlockIndex"], 0);
    assert_eq!(payload(&messages[4])["contentBlockIndex"], 0);
    assert_eq!(payload(&messages[5])["stopReason"], "end_turn");
    let metadata = payload(&messages[6]);
    assert_eq!(metadata["usage"], serde_json::json!({ "inputTokens": 2, "outputTokens": 3, "totalTokens": 5 }));
    assert!(metadata["metrics"]["latencyMs"].is_u64());
}

#[tokio::test]
async fn an_in_stream_exception_uses_exception_headers() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();

    let response = post(&emulator, PATH, &text_request("fault_midstream_error")).await;

    let messages = messages(response.into_body());
    assert_eq!(messages.len(), 1 + 3 + 1, "messageStart, three deltas, the exception");
    let exception = messages.last().unwrap();
    assert_eq!(header(exception, ":message-type"), Some("exception"));
    assert_eq!(header(exception, ":exception-type"), Some("modelStreamErrorException"));
    assert_eq!(header(exception, ":event-type"), None);
    assert_eq!(header(exception, ":content-type"), Some("application/json"));
    let body = payload(exception);
    assert!(body["message"].is_string() && body["originalMessage"].is_string());
    assert_eq!(body["originalStatusCode"], 529);
}

#[tokio::test]
async fn metadata_without_metrics_has_no_metrics_member_on_the_wire() {
    let emulator = Emulator::start(EmulatorConfig { story_words: 2, ..Default::default() }).await.unwrap();

    let response = post(&emulator, PATH, &text_request("fault_no_metrics")).await;

    let messages = messages(response.into_body());
    let metadata = payload(messages.last().unwrap());
    assert!(metadata.get("metrics").is_none(), "{metadata}");
    assert_eq!(metadata["usage"]["outputTokens"], 2);
}

#[tokio::test]
async fn a_pre_stream_error_is_a_status_an_error_type_header_and_a_message() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();

    let response = post(&emulator, PATH, &text_request("fault_throttling")).await;

    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    );
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body, serde_json::json!({ "message": "Too many tokens per day, please wait before trying again." }));
}

#[tokio::test]
async fn malformed_bodies_are_validation_exceptions_and_are_recorded() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();

    let not_json = post(&emulator, PATH, "{not json").await;
    let no_messages = post(&emulator, PATH, r#"{"inferenceConfig": {"maxTokens": 10}}"#).await;
    let empty = post(&emulator, PATH, r#"{"messages": []}"#).await;

    for response in [&not_json, &no_messages, &empty] {
        assert_eq!(response.status(), 400);
        let error_type = response.headers()["x-amzn-errortype"].to_str().unwrap();
        assert!(error_type.starts_with("ValidationException:"), "{error_type}");
    }
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.outcome == ExchangeOutcome::Failed && r.status == 400 && !r.signed));
    assert_eq!(requests[1].max_tokens, Some(10), "what could be read is recorded");
    assert_eq!(requests[0].model_id, "anthropic.claude-3-haiku-20240307-v1:0");
}

#[tokio::test]
async fn unknown_paths_are_404_and_not_recorded() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();

    let converse = post(&emulator, "/model/m/converse", &text_request("hi")).await;
    let other = post(&emulator, "/", "").await;

    assert_eq!((converse.status().as_u16(), other.status().as_u16()), (404, 404));
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn http2_with_prior_knowledge_gets_the_same_stream_on_the_same_port() {
    let emulator = Emulator::start(EmulatorConfig { story_words: 3, ..Default::default() }).await.unwrap();
    let stream = TcpStream::connect(emulator.addr()).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = Request::post(format!("http://{}{PATH}", emulator.addr()))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text_request("about: moths"))))
        .unwrap();

    let response = sender.send_request(request).await.unwrap();

    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.amazon.eventstream");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let types: Vec<_> = messages(body).iter().map(|m| header(m, ":event-type").unwrap().to_owned()).collect();
    assert_eq!(types.len(), 7, "{types:?}");
    assert_eq!(types.last().map(String::as_str), Some("metadata"));
    let recorded = &emulator.requests()[0];
    assert_eq!(recorded.version, http::Version::HTTP_2);
    assert!(matches!(recorded.outcome, ExchangeOutcome::Completed { .. }));
}
