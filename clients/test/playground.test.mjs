// The playground signs with the user's AWS credentials, so other web pages must not reach through
// it: in headless Chromium, a page from another site (evil.example, resolved to 127.0.0.1 by the
// browser's host rules) tries a text/plain fetch, a form post, a GET and a DNS-rebound request;
// none of them may reach the stand-in Function URL behind the playground, while the playground's
// own page, in the same browser, streams a story through it.

import * as assert from "node:assert/strict";
import * as http from "node:http";
import { after, before, test } from "node:test";

import { eventually, launchChromium, playground } from "./support.mjs";

const STORY = '{"storyType":"CATS"}';

let browser, upstream, proxy, evil, signed;

/** Listens on 127.0.0.1 and resolves with the port. */
function listen(server) {
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

before(async () => {
    // A stand-in Function URL: counts every signed request and answers with a short story.
    signed = [];
    upstream = http.createServer((req, res) => {
        if ((req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) signed.push(`${req.method} ${req.url}`);
        if (req.method === "GET") {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ defaultModel: "default", models: [{ alias: "default" }] }));
            return;
        }
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        const events = [
            { type: "start", model: "stand-in", requestId: "r-1" },
            { type: "text", message: "A story from the stand-in." },
            { type: "stop", reason: "end_turn" },
            { type: "usage", inputTokens: 1, outputTokens: 6 },
        ];
        res.end(events.map((e) => JSON.stringify(e) + "\n").join(""));
    });
    const upstreamPort = await listen(upstream);
    proxy = await playground(`http://127.0.0.1:${upstreamPort}/lambda-url/bedrock-streamer/`);
    const own = new URL(proxy.url);

    // The hostile page, served at http://evil.example:PORT/.
    evil = http.createServer((req, res) => {
        res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html>
<iframe name="sink"></iframe>
<form id="form" method="POST" action="${own.origin}/" enctype="text/plain" target="sink"><input name='{"storyType":"CATS","x":"' value='"}'></form>
<script>
window.attempts = (async () => {
  const sink = document.querySelector("iframe");
  const posted = new Promise((resolve) => sink.addEventListener("load", resolve, { once: true }));
  document.getElementById("form").submit();
  // A forwarded story would be a download (NDJSON), which never loads the frame.
  await Promise.race([posted, new Promise((resolve) => setTimeout(resolve, 3000))]);
  const quiet = (p) => p.then(() => "answered", (e) => "failed: " + e.message);
  return Promise.all([
    quiet(fetch("${own.origin}/", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: ${JSON.stringify(STORY)} })),
    quiet(fetch("${own.origin}/models", { mode: "no-cors" })),
    quiet(fetch("${own.origin}/", { method: "POST", headers: { "content-type": "application/json" }, body: ${JSON.stringify(STORY)} })),
    quiet(new Promise((resolve, reject) => { const img = new Image(); img.onload = resolve; img.onerror = reject; img.src = "${own.origin}/models"; })),
  ]);
})();
</script>`);
    });
    const evilPort = await listen(evil);
    evil.url = `http://evil.example:${evilPort}/`;
    browser = await launchChromium(["--host-resolver-rules=MAP evil.example 127.0.0.1"]);
});

after(async () => {
    await browser?.close();
    await proxy?.stop();
    upstream?.close();
    evil?.close();
});

const refusals = () => (proxy.log().match(/code="playground_forbidden"/g) ?? []).length;

test("a page from another site gets no signed request through the playground", async () => {
    const page = await browser.newPage();
    await page.goto(evil.url);
    await page.evaluate(() => window.attempts);
    assert.deepEqual(signed, [], "nothing signed reached the Function URL");
    // They did reach the playground: the form post, the no-cors fetches, the image, and the JSON
    // POST's CORS preflight (an OPTIONS), each refused.
    await eventually(() => refusals() >= 4, 10_000, `four refusals in the playground's log:\n${proxy.log()}`);
    await page.close();
});

test("a name rebound to 127.0.0.1 (DNS rebinding) gets no page and no signed request", async () => {
    const port = new URL(proxy.url).port;
    const page = await browser.newPage();
    const before = refusals();
    const response = await page.goto(`http://evil.example:${port}/`);
    assert.equal(response.status(), 403);
    assert.equal((await response.json()).code, "playground_forbidden");
    // From that origin, the playground's routes are same-origin to the browser: the Host still tells.
    const statuses = await page.evaluate(async (story) => [
        (await fetch("/", { method: "POST", headers: { "content-type": "application/json" }, body: story })).status,
        (await fetch("/models")).status,
    ], STORY);
    assert.deepEqual(statuses, [403, 403]);
    assert.ok(refusals() - before >= 3, "the page and both fetches were refused");
    assert.deepEqual(signed, [], "nothing signed reached the Function URL");
    await page.close();
});

test("the playground's own page, in the same browser, streams a story through it signed", async () => {
    const page = await browser.newPage();
    await page.goto(proxy.url);
    await page.getByTestId("start").click();
    await page.getByTestId("stop-reason").filter({ hasText: "end_turn" }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId("story").textContent(), "A story from the stand-in.");
    assert.deepEqual(signed, ["GET /lambda-url/bedrock-streamer/models", "POST /lambda-url/bedrock-streamer/"]);
    await page.close();
});
