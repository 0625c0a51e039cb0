// StreamingGateway's arguments and the facts of API Gateway it is built from: the stage, the
// streaming integration's URI and timeout. The component (gateway.ts) only turns them into resources.

import type * as pulumi from "@pulumi/pulumi";

import type { GatewayAuthType, GatewaySettings } from "./settings";

export interface StreamingGatewayArgs extends GatewaySettings {
    /** API_KEY: a key in `x-api-key` on every method but preflights. COGNITO: a user pool ID token in `Authorization`. */
    authType: GatewayAuthType;
    /** The function every route streams from. */
    functionName: pulumi.Input<string>;
    functionArn: pulumi.Input<string>;
    /** The function's timeout in seconds, which the integration's must cover. */
    functionTimeoutSecs: number;
    /**
     * The function serves the story page at `GET /`. On an API_KEY stack that one method is then
     * keyless, because a browser opening a URL cannot send `x-api-key` (the page's own requests do).
     */
    page: boolean;
    /** Browser origins whose preflights the gateway answers (empty: no OPTIONS methods, no CORS headers). */
    corsAllowOrigins: string[];
    /** Days CloudWatch keeps the stage's access logs. */
    logRetentionDays: number;
    /** `aws`, `aws-cn`, `aws-us-gov`: the partition of the integration's URI. */
    partition: pulumi.Input<string>;
    region: pulumi.Input<string>;
}

/**
 * The one stage; callers' URLs are `https://<api id>.execute-api.<region>.amazonaws.com/live/…`.
 * Not `v1`, which would read `/v1/v1/chat/completions` for the OpenAI route.
 */
export const STAGE_NAME = "live";

/**
 * Longest integration timeout of a streaming (`responseTransferMode: STREAM`) integration: 15
 * minutes, where a buffered one stops at 29 s ("Stream the integration response for your proxy
 * integrations in API Gateway",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html, and the
 * provider's `timeoutMilliseconds`: "900,000 when responseTransferMode is STREAM"; read 2026-12-07).
 */
export const MAX_STREAM_INTEGRATION_TIMEOUT_MS = 900_000;

/**
 * The integration's timeout: the function's and one second more, so API Gateway never cuts a stream
 * the function is still allowed to write (the handler itself ends it 0.5 s before its deadline);
 * at most 15 minutes, which is also Lambda's longest timeout.
 */
export function integrationTimeoutMs(functionTimeoutSecs: number): number {
    return Math.min(MAX_STREAM_INTEGRATION_TIMEOUT_MS, (functionTimeoutSecs + 1) * 1000);
}

/**
 * The integration URI that makes API Gateway call InvokeWithResponseStream (Lambda's API version
 * 2021-11-15) instead of Invoke ("Set up a Lambda proxy integration with payload response streaming
 * in API Gateway",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html,
 * read 2026-12-07).
 */
export function streamingInvocationUri(partition: string, region: string, functionArn: string): string {
    return `arn:${partition}:apigateway:${region}:lambda:path/2021-11-15/functions/${functionArn}/response-streaming-invocations`;
}

/**
 * What the stage's access log records per request, as JSON (API Gateway's `$context` variables).
 * The caller is the API key's id or the Cognito user's `sub`, never the key or the token.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
    requestId: "$context.requestId",
    requestTime: "$context.requestTime",
    ip: "$context.identity.sourceIp",
    httpMethod: "$context.httpMethod",
    path: "$context.path",
    status: "$context.status",
    responseLength: "$context.responseLength",
    apiKeyId: "$context.identity.apiKeyId",
    sub: "$context.authorizer.claims.sub",
    errorType: "$context.error.responseType",
    error: "$context.error.message",
    integrationLatency: "$context.integration.latency",
});
