//! The event an API Gateway REST API hands its Lambda proxy integration (payload format 1.0) for
//! an HTTP request, for tests and local stand-ins of a gateway that drive the function through
//! [`RuntimeApi`](crate::RuntimeApi) (the gateway's checks, keys and sign-in are the stand-in's
//! business; this builds only the event).
//!
//! The shape follows API Gateway developer guide, "Lambda proxy integrations in API Gateway",
//! "Input format of a Lambda function for proxy integration" (read 2026-12-07), for a REST API
//! whose stage `stage` has a root resource `/` and a greedy `/{proxy+}` resource: `path` is the
//! request's path without the stage (AWS's example: `POST /testStage/hello/world?name=me` arrives
//! as `"path": "/hello/world"`), `requestContext.path` keeps it; `headers` holds the last value of
//! each header, `multiValueHeaders` every value; the query string likewise, decoded; `null` for
//! each of those when the request has none. The caller API Gateway authenticated goes where that
//! page puts the `$context` variables: `requestContext.identity.apiKey`/`apiKeyId` for a method
//! that requires an API key, `requestContext.authorizer.claims` for a Cognito user-pool
//! authorizer.
//!
//! Not modelled: binary media types (a body that is not UTF-8 is sent base64-encoded with
//! `isBase64Encoded: true`, as API Gateway does for a binary media type; a UTF-8 body as text),
//! stage variables, custom domains and their base paths.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use serde_json::{Map, Value, json};

/// What API Gateway tells the function about an authenticated caller.
#[derive(Debug, Clone, Default)]
pub struct Authorized {
    /// The API key the request carried, as `(id, value)`: API Gateway puts both in
    /// `requestContext.identity` (`apiKeyId`, `apiKey`).
    pub api_key: Option<(String, String)>,
    /// The claims of the Cognito ID token the user-pool authorizer accepted (`sub`,
    /// `cognito:username`, …), each a string as API Gateway passes them.
    pub claims: Option<Map<String, Value>>,
}

/// Numbers `requestContext.requestId` across the process.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// The REST proxy event for `method` on `path_and_query` (as the caller sent it, stage first:
/// `/live/chat?x=1`) with `headers` and `body`, on stage `stage`, for `authorized`. A path outside
/// the stage is passed on as it is.
pub fn rest_proxy_event(
    method: &http::Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    stage: &str,
    authorized: &Authorized,
) -> Value {
    let (full_path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let path = match full_path.strip_prefix(&format!("/{stage}")) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => full_path,
    };
    let (resource, path_parameters) = match path.strip_prefix('/').filter(|proxy| !proxy.is_empty()) {
        Some(proxy) => ("/{proxy+}", json!({ "proxy": proxy })),
        None => ("/", Value::Null),
    };

    let mut single = Map::new();
    let mut multi = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        single.insert(name.as_str().to_owned(), json!(value));
        let values = multi.entry(name.as_str()).or_insert_with(|| json!([]));
        values.as_array_mut().expect("a list").push(json!(value));
    }
    let mut query_single = Map::new();
    let mut query_multi = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        query_single.insert(name.to_string(), json!(value));
        let values = query_multi.entry(name.to_string()).or_insert_with(|| json!([]));
        values.as_array_mut().expect("a list").push(json!(value));
    }
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (json!(text), false),
        Err(_) => (json!(BASE64.encode(body)), true),
    };

    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (api_key, api_key_id) = authorized.api_key.clone().map_or((None, None), |(id, value)| (Some(value), Some(id)));
    let mut context = json!({
        "accountId": "123456789012",
        "apiId": "standin",
        "domainName": header("host"),
        "httpMethod": method.as_str(),
        "identity": {
            "apiKey": api_key,
            "apiKeyId": api_key_id,
            "sourceIp": "127.0.0.1",
            "userAgent": header("user-agent"),
        },
        "path": full_path,
        "protocol": "HTTP/1.1",
        "requestId": format!("5a1e2c3d-0000-4000-8000-{n:012x}"),
        "requestTimeEpoch": now_ms,
        "resourcePath": resource,
        "stage": stage,
    });
    if let Some(claims) = &authorized.claims {
        context["authorizer"] = json!({ "claims": claims });
    }
    let or_null = |map: Map<String, Value>| if map.is_empty() { Value::Null } else { Value::Object(map) };
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method.as_str(),
        "headers": or_null(single),
        "multiValueHeaders": or_null(multi),
        "queryStringParameters": or_null(query_single),
        "multiValueQueryStringParameters": or_null(query_multi),
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": base64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_loses_its_stage_as_in_aws_s_example_and_every_value_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.append("accept", "text/plain".parse().unwrap());
        headers.append("accept", "*/*".parse().unwrap());
        let event = rest_proxy_event(
            &http::Method::POST,
            "/testStage/hello/world?name=me&multivalueName=you&multivalueName=me",
            &headers,
            b"{\"a\": 1}",
            "testStage",
            &Authorized::default(),
        );
        assert_eq!((event["path"].as_str(), event["resource"].as_str()), (Some("/hello/world"), Some("/{proxy+}")));
        assert_eq!(event["pathParameters"], json!({"proxy": "hello/world"}));
        assert_eq!(event["requestContext"]["path"], "/testStage/hello/world");
        assert_eq!(event["queryStringParameters"], json!({"name": "me", "multivalueName": "me"}));
        assert_eq!(event["multiValueQueryStringParameters"]["multivalueName"], json!(["you", "me"]));
        assert_eq!(
            (event["headers"]["accept"].as_str(), &event["multiValueHeaders"]["accept"]),
            (Some("*/*"), &json!(["text/plain", "*/*"]))
        );
        assert_eq!((event["body"].as_str(), event["isBase64Encoded"].as_bool()), (Some("{\"a\": 1}"), Some(false)));
        assert!(event["requestContext"].get("authorizer").is_none());
    }

    #[test]
    fn the_root_has_no_proxy_and_the_caller_goes_into_the_context() {
        let claims: Map<String, Value> = [("sub".to_owned(), json!("u-1"))].into_iter().collect();
        let authorized = Authorized { api_key: Some(("k1".into(), "secret".into())), claims: Some(claims) };
        let event = rest_proxy_event(&http::Method::GET, "/live", &HeaderMap::new(), &[0xff], "live", &authorized);
        assert_eq!((event["path"].as_str(), event["resource"].as_str()), (Some("/"), Some("/")));
        assert_eq!((event["headers"].is_null(), event["queryStringParameters"].is_null()), (true, true));
        assert_eq!((event["body"].as_str(), event["isBase64Encoded"].as_bool()), (Some("/w=="), Some(true)));
        let context = &event["requestContext"];
        assert_eq!(
            (context["identity"]["apiKeyId"].as_str(), context["identity"]["apiKey"].as_str()),
            (Some("k1"), Some("secret"))
        );
        assert_eq!(context["authorizer"]["claims"]["sub"], "u-1");
    }
}
