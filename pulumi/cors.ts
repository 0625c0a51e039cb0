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
