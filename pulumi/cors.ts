// The Function URL's CORS: what a page on another origin (an allowed `corsAllowOrigins` entry) may
// send and read, and nothing beyond. The story page (handler/assets/page.html) declares the
// requests it sends in a JSON block; pulumi/test/cors.test.ts checks these lists against it.

import type * as aws from "@pulumi/aws";

/** GET reads /models; POST asks for a story. */
export const ALLOW_METHODS = ["GET", "POST"];

/**
 * The page's own request headers (`accept`, `content-type`); what a caller signing with SigV4 in
 * the browser adds (`authorization`, `x-amz-content-sha256`, `x-amz-date`, and
 * `x-amz-security-token` with temporary credentials); and `last-event-id`, which SSE clients send
 * when they reconnect (answered 204, so a finished story is never asked for again).
 */
export const ALLOW_HEADERS = ["accept", "authorization", "content-type", "last-event-id", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"];

/** Response headers a page may read besides the CORS-safelisted ones; the page reads only `content-type`, which is safelisted. */
export const EXPOSE_HEADERS: string[] = [];

/** How long a browser may reuse a preflight answer, in seconds. */
export const MAX_AGE_SECS = 300;

/** The Function URL's `cors` block: undefined (no CORS at all) when no origin is allowed. */
export function functionUrlCors(allowOrigins: string[]): aws.types.input.lambda.FunctionUrlCors | undefined {
    if (allowOrigins.length === 0) return undefined;
    return { allowOrigins, allowMethods: ALLOW_METHODS, allowHeaders: ALLOW_HEADERS, exposeHeaders: EXPOSE_HEADERS, maxAge: MAX_AGE_SECS };
}

// ---- The same CORS on API Gateway (authType API_KEY and COGNITO) ----
// A proxy integration's answers carry only the function's headers, so the gateway answers the
// preflights itself (OPTIONS methods with MOCK integrations, which never reach the function) and
// adds the allow-origin header to its own refusals (gatewayResponses.ts).

/** The Function URL's request headers plus `x-api-key`, where API_KEY callers send their key. */
export const GATEWAY_ALLOW_HEADERS = [...ALLOW_HEADERS, "x-api-key"].sort();

/** Header values of a MOCK preflight answer, as API Gateway's static values ('…' quoted). */
export interface GatewayPreflight {
    /** `method.response.header.X` → `'value'`, for the integration response; the method response declares each. */
    headers: Record<string, string>;
    /**
     * The integration response's template: with a list of origins it sets Access-Control-Allow-Origin
     * to the request's Origin only when that origin is listed (`$context.responseOverride`, the
     * documented way for a REST API's mapping template to set a header: "Override your API's request
     * and response parameters and status codes for REST APIs in API Gateway", read 2026-12-07; the
     * same template AWS CDK's RestApi generates for several origins, compared by equality here
     * rather than CDK's regular expressions). Empty with `*`.
     */
    template: string;
}

/** What a preflight answer says for `allowOrigins` (non-empty; the stack adds no OPTIONS methods without one). */
export function gatewayPreflight(allowOrigins: string[]): GatewayPreflight {
    const quoted = (value: string) => `'${value}'`;
    const headers: Record<string, string> = {
        "method.response.header.Access-Control-Allow-Methods": quoted([...ALLOW_METHODS, "OPTIONS"].join(",")),
        "method.response.header.Access-Control-Allow-Headers": quoted(GATEWAY_ALLOW_HEADERS.join(",")),
        "method.response.header.Access-Control-Max-Age": quoted(String(MAX_AGE_SECS)),
    };
    if (allowOrigins.includes("*")) {
        headers["method.response.header.Access-Control-Allow-Origin"] = quoted("*");
        return { headers, template: "" };
    }
    headers["method.response.header.Vary"] = quoted("Origin");
    // Origins are checked (settings.ts) to hold none of ' " $ # \, so each is a plain VTL literal.
    const listed = allowOrigins.map((origin) => `$origin == '${origin}'`).join(" || ");
    const template = [
        "#set($origin = $input.params().header.get('origin'))",
        "#if(\"$!origin\" == \"\")#set($origin = $input.params().header.get('Origin'))#end",
        `#if(${listed})#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)#end`,
    ].join("\n");
    return { headers, template };
}

/**
 * The allow-origin header of the gateway's own refusals (`gatewayresponse.header.X` → value).
 * Their templates are not VTL, so with a list of origins the request's Origin is echoed: a refusal
 * body holds only the gateway's fixed words about that request, nothing another origin could use.
 */
export function gatewayRefusalCorsHeaders(allowOrigins: string[]): Record<string, string> {
    if (allowOrigins.length === 0) return {};
    if (allowOrigins.includes("*")) return { "gatewayresponse.header.Access-Control-Allow-Origin": "'*'" };
    if (allowOrigins.length === 1) return { "gatewayresponse.header.Access-Control-Allow-Origin": `'${allowOrigins[0]}'` };
    return { "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.origin", "gatewayresponse.header.Vary": "'Origin'" };
}
