// The gateway's own refusals (API Gateway "gateway responses"), in the function's error shape: the
// JSON object `{"type":"error","code":"…","message":"…"}` of docs/api.md (handler/src/error.rs), a
// stable `code` each, so a caller reads the gateway's 401, 403 and 429 exactly as the function's
// refusals. Response types and their default statuses: "Gateway response types for API Gateway",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
// (read 2026-12-07). Their templates are not VTL: API Gateway only substitutes `$context` variables
// (`$context.error.messageString` is the gateway's message as a quoted JSON string).

import type { GatewayAuthType, GatewaySettings } from "./settings";

export interface GatewayRefusal {
    /** API Gateway's response type. */
    responseType: string;
    /** Undefined keeps API Gateway's own status (the DEFAULT_ types cover many). */
    statusCode?: number;
    /** The body's `code`. */
    code: string;
    /** The body's `message` as JSON text (a quoted string, or a `$context` variable that is one). */
    messageJson: string;
}

/** The body API Gateway answers with, in the function's error shape. */
export function refusalBody(refusal: GatewayRefusal): string {
    return `{"type":"error","code":"${refusal.code}","message":${refusal.messageJson}}`;
}

/** The refusals of a stack of `authType`: what its callers can meet before the function runs. */
export function gatewayRefusals(authType: GatewayAuthType, g: GatewaySettings): GatewayRefusal[] {
    const text = (message: string) => JSON.stringify(message);
    const perKey =
        authType === "API_KEY" ? ` and each API key ${g.usagePlanRateLimit} per second (bursts of ${g.usagePlanBurstLimit})` : "";
    const refusals: GatewayRefusal[] = [
        {
            responseType: "THROTTLED",
            statusCode: 429,
            code: "throttled",
            messageJson: text(
                `API Gateway is throttling requests: this API takes ${g.gatewayRateLimit} requests per second from all callers ` +
                    `(bursts of ${g.gatewayBurstLimit})${perKey}. Slow down and retry`,
            ),
        },
        {
            responseType: "REQUEST_TOO_LARGE",
            statusCode: 413,
            code: "payload_too_large",
            messageJson: text("the request is larger than API Gateway takes (10 MB)"),
        },
        {
            // Every path is served by the greedy {proxy+} resource and the root, so only a method
            // or path API Gateway itself cannot route ends here.
            responseType: "MISSING_AUTHENTICATION_TOKEN",
            statusCode: 404,
            code: "not_found",
            messageJson: text("API Gateway has no route for this request"),
        },
        {
            responseType: "INTEGRATION_TIMEOUT",
            statusCode: 504,
            code: "gateway_timeout",
            messageJson: text("the function did not begin its answer within API Gateway's integration timeout"),
        },
        { responseType: "DEFAULT_4XX", code: "gateway_rejected", messageJson: "$context.error.messageString" },
        { responseType: "DEFAULT_5XX", code: "gateway_error", messageJson: "$context.error.messageString" },
    ];
    if (authType === "API_KEY") {
        refusals.push(
            {
                // A missing key and an unknown or disabled one alike.
                responseType: "INVALID_API_KEY",
                statusCode: 403,
                code: "api_key_required",
                messageJson: text("this API needs a valid API key in the x-api-key header; the request had none, or one this API does not accept"),
            },
            {
                responseType: "QUOTA_EXCEEDED",
                statusCode: 429,
                code: "quota_exceeded",
                messageJson: text(`this API key has used its ${g.usagePlanQuotaPerDay} requests for today (UTC); it may send more after midnight UTC`),
            },
        );
    }
    if (authType === "COGNITO") {
        refusals.push(
            {
                // A missing, malformed or expired ID token ("The incoming token has expired").
                responseType: "UNAUTHORIZED",
                statusCode: 401,
                code: "unauthorized",
                messageJson: text(
                    "this API needs a valid Cognito ID token of its user pool in the Authorization header " +
                        "(API Gateway said: $context.error.message); sign in again for a fresh one",
                ),
            },
            {
                responseType: "ACCESS_DENIED",
                statusCode: 403,
                code: "access_denied",
                messageJson: text("the Cognito authorizer denied this request (API Gateway said: $context.error.message)"),
            },
        );
    }
    return refusals;
}
