//! The invocation event: what a Function URL hands Lambda for a `POST` with a JSON body (the API
//! Gateway HTTP API v2.0 payload format).

use bytes::Bytes;
use serde_json::json;

/// A caller POSTing `body` to `/`, asking for NDJSON so every event can be timed on its own line.
pub fn function_url_post(body: &str) -> Bytes {
    function_url_post_to("/", body, "application/x-ndjson")
}

/// A caller POSTing `body` to `path` with `Accept: accept` (an OpenAI client sends
/// `application/json` and gets server-sent events because its body says `"stream": true`).
pub fn function_url_post_to(path: &str, body: &str, accept: &str) -> Bytes {
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": accept,
            "content-type": "application/json",
            "host": "bench.lambda-url.us-east-1.on.aws",
            "user-agent": "bedrock-bench"
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "bench",
            "domainName": "bench.lambda-url.us-east-1.on.aws",
            "domainPrefix": "bench",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bedrock-bench"
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1_767_225_600_000_u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    Bytes::from(event.to_string())
}
