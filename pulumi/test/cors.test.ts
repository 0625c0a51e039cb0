// The Function URL's CORS against what the story page really sends: the page declares its requests
// in a JSON block (handler/assets/page.html, id "requests") that its own script reads, so the
// lists here follow the page's code, not a copy of it.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import { runProgram } from "./support/program";
import { PROGRAM_DIR, programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

interface PageRequest {
    method: string;
    headers: Record<string, string>;
}

/** The requests the page sends (story, models) and the response headers it reads. */
function pageRequests(): { requests: PageRequest[]; responseHeadersRead: string[] } {
    const html = fs.readFileSync(path.resolve(PROGRAM_DIR, "../handler/assets/page.html"), "utf8");
    const block = /<script type="application\/json" id="requests">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(block, "page.html declares its requests");
    const { responseHeadersRead, ...requests } = JSON.parse(block[1]) as Record<string, unknown>;
    return { requests: Object.values(requests) as PageRequest[], responseHeadersRead: responseHeadersRead as string[] };
}

/** What aws-sigv4 (bedrock-playground) and other SigV4 signers add to a request; checked against botocore in playground/tests/signing.rs. */
const SIGV4_HEADERS = ["authorization", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"];
/** Sent by SSE clients when they reconnect (docs/api.md: "Server-Sent Events"). */
const SSE_RECONNECT_HEADERS = ["last-event-id"];
/** Response headers a cross-origin page can always read (Fetch standard, "CORS-safelisted response-header name", read 2026-11-29). */
const CORS_SAFELISTED_RESPONSE_HEADERS = ["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"];

const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

describe("CORS for a page on another origin", () => {
    const origin = "https://stories.example.com";
    let cors: Record<string, any>;

    before(async () => {
        const zip = packageStandIn();
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, corsAllowOrigins: [origin] }));
        cors = run.only("aws:lambda/functionUrl:FunctionUrl").inputs.cors;
    });

    test("allows exactly the configured origins", () => {
        assert.deepEqual(cors.allowOrigins, [origin]);
    });

    test("allows the methods the page uses, POST for the story, and nothing else", () => {
        const { requests } = pageRequests();
        assert.deepEqual(sorted(cors.allowMethods), sorted([...requests.map((r) => r.method), "POST"]));
    });

    test("allows the page's headers, SigV4's and last-event-id, and nothing else", () => {
        const { requests } = pageRequests();
        const pageHeaders = requests.flatMap((r) => Object.keys(r.headers).map((h) => h.toLowerCase()));
        assert.deepEqual(sorted(cors.allowHeaders), sorted([...pageHeaders, ...SIGV4_HEADERS, ...SSE_RECONNECT_HEADERS]));
    });

    test("exposes every response header the page reads that browsers would otherwise hide", () => {
        const { responseHeadersRead } = pageRequests();
        const hidden = responseHeadersRead.map((h) => h.toLowerCase()).filter((h) => !CORS_SAFELISTED_RESPONSE_HEADERS.includes(h));
        assert.deepEqual(sorted(cors.exposeHeaders ?? []), sorted(hidden));
    });

    test("lets browsers reuse a preflight for five minutes", () => {
        assert.equal(cors.maxAge, 300);
    });
});
