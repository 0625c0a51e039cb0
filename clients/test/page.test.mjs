// The story page in headless Chromium, served by the real handler under `cargo lambda watch` with
// the Bedrock emulator writing one token every 100 ms: what a person sees, checked through the
// page's data-testid elements.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";

import { eventually, gatewayStandIn, launchChromium, offlineStack, playground, ROOT, SHOTS, storyOpening, thought } from "./support.mjs";

let stack, browser;

before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    [stack, browser] = await Promise.all([offlineStack(), launchChromium()]);
});

after(async () => {
    await browser?.close();
    await stack?.stop();
});

/**
 * What broke in any page of the current test: a Content-Security-Policy violation (the page's
 * policy blocking its own script, style or request) or an uncaught exception. Checked after each
 * test, so the page must work under its policy.
 */
let broken = [];

afterEach(() => {
    const found = broken;
    broken = [];
    assert.deepEqual(found, [], "the page ran under its Content-Security-Policy without a violation or an error");
});

/** A new browser page whose violations and errors land in `broken`. */
async function newPage(options = {}) {
    const page = await browser.newPage(options);
    await page.addInitScript(() =>
        document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`)),
    );
    page.on("console", (message) => {
        if (message.type() === "error" && /CSP violation|Content Security Policy/.test(message.text())) broken.push(message.text());
    });
    page.on("pageerror", (error) => broken.push(`uncaught: ${error.message}`));
    return page;
}

/** A fresh page at `url`, recording every length the story element had. */
async function open(url, options = {}) {
    const page = await newPage({ viewport: { width: 900, height: 760 }, ...options });
    const response = await page.goto(url);
    assert.equal(response.status(), 200);
    await page.evaluate(() => {
        window.storyLengths = [];
        const story = document.querySelector('[data-testid="story"]');
        new MutationObserver(() => window.storyLengths.push(story.textContent.length)).observe(story, { childList: true, characterData: true, subtree: true });
    });
    return page;
}

const text = (page, id) => page.getByTestId(id).textContent();

async function tell(page, storyType) {
    await page.getByTestId("story-type").fill(storyType);
    await page.getByTestId("start").click();
}

describe("the page served by the function", () => {
    test("is one self-contained HTML file", async () => {
        const response = await fetch(stack.url);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
        const html = await response.text();
        assert.ok(html.length <= 30 * 1024, `${html.length} bytes`);
        assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, "nothing is loaded from elsewhere");
    });

    test("is served with a Content-Security-Policy that lets only its own style and script run", async () => {
        const response = await fetch(stack.url);
        const policy = response.headers.get("content-security-policy");
        assert.equal(response.headers.get("x-content-type-options"), "nosniff");
        for (const directive of ["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
            assert.ok(policy.includes(directive), `${directive} in ${policy}`);
        }
        assert.match(policy, /script-src 'sha256-[A-Za-z0-9+/]{43}='; style-src 'sha256-[A-Za-z0-9+/]{43}=';/);
        // The policy holds: a script added to the page from outside its hashes does not run.
        const page = await open(stack.url);
        await page.evaluate(() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        });
        await eventually(() => broken.length > 0, 5_000, "the injected script is reported as a violation");
        assert.match(broken.join("\n"), /script-src/);
        assert.equal(await page.evaluate(() => window.injected), undefined, "the injected script did not run");
        broken = [];
        await page.close();
    });

    test("shows the story growing as it streams, then the time to first token and the final usage", async () => {
        const page = await open(stack.url);
        await tell(page, "sea otters");
        await page.getByTestId("stop-reason").filter({ hasText: "end_turn" }).waitFor({ timeout: 30_000 });
        await page.getByText(/^Done:/).waitFor();

        const story = await text(page, "story");
        assert.match(story, /sea otters/);
        const lengths = await page.evaluate(() => window.storyLengths);
        const before = new Set(lengths.filter((n) => n > 0 && n < story.length));
        assert.ok(before.size >= 5, `the story had only ${before.size} lengths before it was complete: ${lengths}`);
        assert.match(await text(page, "ttft"), /^\d+ ms$/);
        assert.equal(await text(page, "output-tokens"), "60", "Bedrock's usage.outputTokens");
        assert.match(await text(page, "tokens-per-second"), /^\d+\.\d$/);
        const done = (await text(page, "status")).match(/^Done: (\d+) input and 60 output tokens, \$(0\.\d{6}) at the prices of (\d{4}-\d{2}-\d{2})\.$/);
        assert.ok(done, `the final line gives the tokens and the cost: ${await text(page, "status")}`);
        // The offline stack's model (scripts/offline-stack), priced by config/prices.json.
        const table = JSON.parse(fs.readFileSync(path.join(ROOT, "config/prices.json"), "utf8"));
        const price = table.prices["us.anthropic.claude-haiku-4-5-20251001-v1:0"];
        const cost = (Number(done[1]) * price.input + 60 * price.output) / 1e6;
        assert.ok(Math.abs(Number(done[2]) - cost) <= 0.5e-6, `the cost shown, $${done[2]}, is the table's $${cost} to six places`);
        assert.equal(done[3], price.read);
        assert.equal(await page.getByTestId("error").isVisible(), false);
        assert.equal(await page.getByTestId("start").isEnabled(), true);
        await page.screenshot({ path: path.join(SHOTS, "finished-light.png") });
        await page.close();
    });

    test("shows a failure part way with its code, keeping the text so far", async () => {
        const page = await open(stack.url);
        await tell(page, "fault_midstream_error");
        const error = page.getByTestId("error");
        await error.waitFor({ state: "visible", timeout: 30_000 });
        assert.match(await error.textContent(), /model_stream_error: the model stream failed/);
        assert.ok((await text(page, "story")).length > 0, "the three tokens before the failure stay");
        assert.equal(await text(page, "output-tokens"), "3");
        await page.screenshot({ path: path.join(SHOTS, "failed-midway.png") });
        await page.close();
    });

    test("shows a refusal before the stream with its status, code and message", async () => {
        const page = await open(stack.url);
        await tell(page, "cats & dogs");
        const error = page.getByTestId("error");
        await error.waitFor({ state: "visible", timeout: 30_000 });
        assert.match(await error.textContent(), /^HTTP 400 invalid_story_type: /);
        assert.equal(await text(page, "story"), "");
        await page.close();
    });

    test("Stop ends the stream, keeps the text, and the function drops the Bedrock stream", async () => {
        const page = await open(stack.url);
        const before = (stack.emulatorLog().match(/outcome=client_disconnected/g) ?? []).length;
        await page.getByTestId("story-type").fill("a long walk");
        await page.getByTestId("story-type").press("Enter");
        await eventually(async () => (await text(page, "story")).length > 0, 30_000, "the first text");
        await page.getByTestId("stop").click();
        await page.getByText(/^Stopped/).waitFor();
        const kept = await text(page, "story");
        assert.ok(kept.length > 0);
        assert.equal(await page.getByTestId("stop").isDisabled(), true);
        await eventually(() => (stack.emulatorLog().match(/outcome=client_disconnected/g) ?? []).length > before, 10_000, "the emulator records the disconnect");
        // Nothing more arrives once stopped.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(await text(page, "story"), kept);
        await page.close();
    });

    test("works from the keyboard: Enter starts, Escape stops, focus moves to the button that takes over", async () => {
        const page = await open(stack.url);
        await page.getByTestId("start").focus();
        await page.keyboard.press("Enter");
        await eventually(async () => (await text(page, "story")).length > 0, 30_000, "the first text");
        assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "stop");
        await page.keyboard.press("Escape");
        await page.getByText(/^Stopped/).waitFor();
        assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "start");
        await page.close();
    });

    test("is labelled for assistive technology and follows the dark scheme", async () => {
        const page = await open(stack.url, { colorScheme: "dark" });
        assert.equal(await page.getByLabel("Story type").getAttribute("data-testid"), "story-type");
        assert.equal(await page.getByRole("button", { name: "Start" }).getAttribute("data-testid"), "start");
        assert.equal(await page.getByTestId("story").getAttribute("aria-live"), "polite");
        assert.equal(await page.getByTestId("error").getAttribute("role"), "alert");
        const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const dark = await background();
        await page.emulateMedia({ colorScheme: "light" });
        assert.notEqual(await background(), dark);
        await page.close();
    });

    test("offers no model picker when GET models lists one model", async () => {
        const page = await newPage();
        const listed = page.waitForResponse((response) => response.url().endsWith("/models"));
        await page.goto(stack.url);
        assert.equal((await (await listed).json()).models.length, 1);
        assert.equal(await page.getByTestId("model").isVisible(), false, "this stack has one model");
        await page.close();
    });
});

/** Types `message`, sends it with Enter, and waits until its answer has finished one way or another. */
async function say(page, message) {
    const turns = await page.getByTestId("chat-turn").count();
    await page.getByTestId("chat-message").fill(message);
    await page.getByTestId("chat-message").press("Enter");
    await eventually(async () => (await page.getByTestId("chat-turn").count()) > turns, 10_000, "the message on the page");
    await page.getByTestId("chat-send").and(page.locator(":enabled")).waitFor({ timeout: 60_000 });
}

const turns = (page) => page.getByTestId("chat-turn").evaluateAll((lis) => lis.map((li) => [li.dataset.role, li.querySelector('[data-testid="chat-text"]').textContent]));

describe("the conversation view", () => {
    /** Opens the page on the conversation view (its URL ends in #conversation), recording every length the history's text had. */
    async function openChat(url = stack.url, options = {}) {
        const page = await open(url + "#conversation", options);
        assert.equal(await page.getByTestId("tab-chat").getAttribute("aria-selected"), "true", "#conversation opens this view");
        await page.evaluate(() => {
            window.historyLengths = [];
            const history = document.querySelector('[data-testid="chat-history"]');
            new MutationObserver(() => window.historyLengths.push(history.textContent.length)).observe(history, { childList: true, characterData: true, subtree: true });
        });
        return page;
    }

    test("holds a conversation: each answer streams into the history, and the next message carries every earlier turn", async () => {
        const page = await openChat();
        const posted = [];
        page.on("request", (request) => request.method() === "POST" && posted.push([new URL(request.url()).pathname, JSON.parse(request.postData())]));
        await say(page, "My name is Otto.");
        await page.getByText(/^Done:/).waitFor();
        const [[, first]] = await turns(page).then((all) => all.slice(1));
        assert.ok(first.startsWith(storyOpening("Otto")), first);

        await say(page, "What is my name? echo_conversation");
        await page.getByText(/^Done:/).waitFor();
        const all = await turns(page);
        assert.deepEqual(all.map(([role]) => role), ["user", "assistant", "user", "assistant"]);
        assert.deepEqual(all[2], ["user", "What is my name? echo_conversation"]);
        // The emulator echoes what Bedrock was sent: the first turn and the first answer reached it.
        assert.ok(all[3][1].includes(`[user] My name is Otto. [assistant] ${first.split(" ").slice(0, 5).join(" ")}`), all[3][1]);
        assert.ok(all[3][1].endsWith("[user] What is my name? echo_conversation"), all[3][1]);
        assert.ok(posted.every(([path]) => path.endsWith("/chat")), JSON.stringify(posted.map(([path]) => path)));
        assert.deepEqual(posted[1][1].messages.map((m) => m.role), ["user", "assistant", "user"]);
        assert.equal(posted[1][1].messages[1].content, first);

        const lengths = await page.evaluate(() => window.historyLengths);
        assert.ok(new Set(lengths).size >= 10, `the answers grew as they streamed: ${lengths.length} changes`);
        assert.match(await text(page, "ttft"), /^\d+ ms$/);
        assert.equal(await text(page, "output-tokens"), String(all[3][1].split(" ").length), "Bedrock's usage.outputTokens");
        assert.equal(await text(page, "stop-reason"), "end_turn");
        assert.equal(await page.getByTestId("error").isVisible(), false);
        assert.equal(await page.getByTestId("chat-message").inputValue(), "", "the box is empty for the next message");
        await page.screenshot({ path: path.join(SHOTS, "conversation-light.png"), fullPage: true });

        await page.getByTestId("chat-new").click();
        assert.equal(await page.getByTestId("chat-turn").count(), 0, "New conversation clears the history");
        await page.close();
    });

    test("shows a failure part way with its code, keeping the text so far, and the conversation goes on", async () => {
        const page = await openChat();
        await say(page, "Go on. fault_midstream_error");
        const error = page.getByTestId("error");
        await error.waitFor({ state: "visible" });
        assert.match(await error.textContent(), /model_stream_error: the model stream failed/);
        const [, answer] = (await turns(page))[1];
        assert.equal(answer.split(" ").length, 3, `the three words before the failure stay: ${answer}`);
        assert.equal(await page.getByTestId("chat-turn").nth(1).getAttribute("data-ended"), "failed");
        assert.match(await page.getByTestId("chat-turn").nth(1).textContent(), /^Assistant · incomplete/);
        await say(page, "And now? echo_conversation");
        await page.getByText(/^Done:/).waitFor();
        assert.equal(await error.isVisible(), false);
        const [, echo] = (await turns(page))[3];
        assert.ok(echo.includes(`[assistant] ${answer}`), `the partial answer is part of the conversation: ${echo}`);
        await page.close();
    });

    test("a message the function refuses goes back into the box, with the status, code and message shown", async () => {
        const page = await openChat();
        const tooLong = "word ".repeat(7000).trim(); // 34,999 characters: over chatMaxMessageChars (32,000)
        await page.getByTestId("chat-message").evaluate((box, value) => (box.value = value), tooLong);
        await page.getByTestId("chat-send").click();
        const error = page.getByTestId("error");
        await error.waitFor({ state: "visible" });
        assert.match(await error.textContent(), /^HTTP 4\d\d \w+: .*32000/);
        assert.equal(await page.getByTestId("chat-turn").count(), 0, "nothing was answered, so nothing stays in the history");
        assert.equal(await page.getByTestId("chat-message").inputValue(), tooLong);
        await page.close();
    });

    test("Stop ends the answer, keeps its text, and the function drops the Bedrock stream", async () => {
        const page = await openChat();
        const before = (stack.emulatorLog().match(/outcome=client_disconnected/g) ?? []).length;
        await page.getByTestId("chat-message").fill("Tell me about a long walk");
        await page.getByTestId("chat-send").click();
        const answer = page.getByTestId("chat-text").nth(1);
        await eventually(async () => (await answer.textContent()).length > 0, 30_000, "the first text");
        await page.getByTestId("chat-stop").click();
        await page.getByText(/^Stopped/).waitFor();
        const kept = await answer.textContent();
        assert.ok(kept.length > 0);
        assert.equal(await page.getByTestId("chat-stop").isDisabled(), true);
        assert.equal(await page.getByTestId("chat-turn").nth(1).getAttribute("data-ended"), "stopped");
        await eventually(() => (stack.emulatorLog().match(/outcome=client_disconnected/g) ?? []).length > before, 10_000, "the emulator records the disconnect");
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(await answer.textContent(), kept, "nothing more arrives once stopped");
        await page.close();
    });

    test("works from the keyboard and is labelled: arrow keys between the tabs, Enter sends, Escape stops", async () => {
        const page = await open(stack.url, { colorScheme: "dark" });
        await page.getByTestId("tab-story").focus();
        await page.keyboard.press("ArrowRight");
        assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "tab-chat");
        assert.equal(await page.getByRole("tab", { name: "Conversation" }).getAttribute("aria-selected"), "true");
        assert.equal(await page.getByRole("tabpanel", { name: "Conversation" }).isVisible(), true);
        assert.equal(await page.getByRole("tabpanel", { name: "Story" }).isVisible(), false);
        assert.equal(await page.getByRole("log", { name: "Conversation" }).getAttribute("aria-live"), "polite");
        await page.getByLabel("Message").focus();
        await page.keyboard.type("Tell me about a long walk");
        await page.keyboard.press("Shift+Enter");
        await page.keyboard.type("please");
        assert.equal(await page.getByLabel("Message").inputValue(), "Tell me about a long walk\nplease", "Shift+Enter starts a new line");
        await page.keyboard.press("Enter");
        await eventually(async () => (await page.getByTestId("chat-text").nth(1).textContent()).length > 0, 30_000, "the first text");
        assert.equal(await page.getByTestId("chat-turn").nth(1).getAttribute("aria-busy"), "true");
        assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "chat-message", "typing can go on while the answer streams");
        await page.keyboard.press("Escape");
        await page.getByText(/^Stopped/).waitFor();
        assert.equal(await page.getByTestId("chat-turn").nth(1).getAttribute("aria-busy"), "false");
        await page.screenshot({ path: path.join(SHOTS, "conversation-dark.png") });
        await page.close();
    });
});

describe("a stack with two models (STREAMER_MODELS, Pulumi config models)", () => {
    test("the page offers both, the default chosen, and the story streams from the one picked", async () => {
        const models = {
            fast: { modelId: "anthropic.claude-3-haiku-20240307-v1:0" },
            clever: { modelId: "us.anthropic.claude-haiku-5-5", reasoning: "show" },
        };
        const two = await offlineStack({ STREAMER_MODELS: JSON.stringify(models), STREAMER_DEFAULT_MODEL: "fast" });
        try {
            const page = await newPage();
            const posted = [];
            page.on("request", (request) => request.method() === "POST" && posted.push(JSON.parse(request.postData())));
            await page.goto(two.url);
            const picker = page.getByLabel("Model");
            await picker.waitFor({ state: "visible" });
            assert.deepEqual(await picker.locator("option").evaluateAll((options) => options.map((o) => o.value)), ["clever", "fast"]);
            assert.equal(await picker.inputValue(), "fast", "the stack's defaultModel is chosen");
            await picker.selectOption("clever");
            const streamed = page.waitForResponse((response) => response.request().method() === "POST");
            await tell(page, "owls");
            assert.deepEqual(posted[0], { storyType: "owls", model: "clever" });
            // The start event names the alias and the model id; the page shows the alias.
            const start = JSON.parse((await (await streamed).text()).split("\n")[0]);
            assert.deepEqual([start.type, start.modelAlias, start.model], ["start", "clever", "us.anthropic.claude-haiku-5-5"]);
            await page.getByText(/ · model clever$/).waitFor({ timeout: 30_000 });
            await page.getByTestId("stop-reason").filter({ hasText: "end_turn" }).waitFor({ timeout: 30_000 });
            assert.match(two.emulatorLog(), / us\.anthropic\.claude-haiku-5-5 .* fault=none/, "Bedrock was asked for clever's model");

            // A conversation with the alias that shows reasoning: the reasoning folded above its answer.
            await page.getByTestId("tab-chat").click();
            await say(page, "Tell me a story about owls.");
            assert.match(await text(page, "status"), /^Done:/);
            assert.equal(posted.at(-1).model, "clever");
            const reasoning = page.getByTestId("chat-reasoning");
            assert.ok((await reasoning.textContent()).startsWith("Reasoning" + thought("owls")), await reasoning.textContent());
            assert.equal(await reasoning.evaluate((details) => details.open), false, "folded until asked for");
            assert.ok((await page.getByTestId("chat-text").nth(1).textContent()).startsWith(storyOpening("owls")));
            await page.close();
        } finally {
            await two.stop();
        }
    });
});

describe("the page served by the playground", () => {
    test("streams a story and a conversation through the signing proxy", async () => {
        const proxy = await playground(stack.url);
        try {
            const served = await fetch(proxy.url);
            assert.equal(served.headers.get("content-security-policy"), (await fetch(stack.url)).headers.get("content-security-policy"), "the function's policy");
            const page = await open(proxy.url);
            await tell(page, "lighthouses");
            await page.getByTestId("stop-reason").filter({ hasText: "end_turn" }).waitFor({ timeout: 30_000 });
            assert.match(await text(page, "story"), /lighthouses/);
            assert.equal(await text(page, "output-tokens"), "60");
            const lengths = await page.evaluate(() => window.storyLengths);
            assert.ok(new Set(lengths).size >= 5, `streamed, not delivered at once: ${lengths}`);
            await page.getByTestId("tab-chat").click();
            await say(page, "Hello there. echo_conversation");
            assert.match(await text(page, "status"), /^Done:/);
            assert.ok((await page.getByTestId("chat-text").nth(1).textContent()).endsWith("[user] Hello there. echo_conversation"), "POST /chat went through the signing proxy");
            await page.close();
        } finally {
            await proxy.stop();
        }
    });
});

describe("on an API_KEY stack (the page behind playground/tests/gateway_standin.py, a local stand-in for the stack's gateway and a test aid)", () => {
    const KEY = "PageTestKey0123456789abcdefABCDEFGHIJ";

    test("asks for the key once the stack refuses without one, sends it as x-api-key, and keeps it in this tab's sessionStorage only", async () => {
        const gateway = await gatewayStandIn(stack.url, { apiKeyId: "p1a2g3e4k5", apiKey: KEY, publicPage: true });
        try {
            const page = await open(gateway.url);
            const field = page.getByTestId("api-key");
            // GET models was refused api_key_required: the field appears on its own.
            await field.waitFor({ state: "visible", timeout: 10_000 });
            assert.equal(await page.getByLabel("API key").getAttribute("type"), "password");
            await tell(page, "otters");
            await page.getByTestId("error").filter({ hasText: "api_key_required" }).waitFor();
            assert.match(await text(page, "error"), /^HTTP 403 api_key_required: this API needs a valid API key in the x-api-key header/);
            assert.equal(await text(page, "status"), "This stack needs an API key: type it in above.");

            await field.fill(KEY);
            await tell(page, "otters");
            await page.getByTestId("stop-reason").filter({ hasText: "end_turn" }).waitFor({ timeout: 30_000 });
            assert.match(await text(page, "story"), /otters/);
            const sent = (await gateway.log()).requests.filter((r) => r.method === "POST").map((r) => [r.apiKey, r.status]);
            assert.deepEqual(sent, [["none", 403], ["match", 200]], "the story went with the key, the first without");

            // Kept for this tab only: sessionStorage, never localStorage or a cookie.
            const kept = await page.evaluate(() => ({ session: { ...sessionStorage }, local: localStorage.length, cookie: document.cookie }));
            assert.deepEqual(kept, { session: { "bedrock-streamer.apiKey": KEY }, local: 0, cookie: "" });
            assert.deepEqual(await page.context().cookies(), []);
            await page.reload();
            await field.waitFor({ state: "visible" });
            assert.equal(await field.inputValue(), KEY, "a reload in the same tab keeps it");
            await page.getByTestId("tab-chat").click();
            await say(page, "Hello there. echo_conversation");
            assert.match(await text(page, "status"), /^Done:/, "POST /chat carries the key too");

            const another = await open(gateway.url);
            assert.equal(await another.getByTestId("api-key").inputValue(), "", "another tab (here another browser context) has none");
            await another.getByTestId("api-key").fill("not-the-key");
            await tell(another, "otters");
            await another.getByTestId("error").filter({ hasText: "api_key_required" }).waitFor();
            await page.screenshot({ path: path.join(SHOTS, "page-api-key.png") });
            await page.close();
            await another.close();
        } finally {
            await gateway.stop();
        }
    });

    test("a stack that needs no key never shows the field", async () => {
        const page = await open(stack.url);
        await tell(page, "otters");
        await page.getByTestId("stop-reason").filter({ hasText: "end_turn" }).waitFor({ timeout: 30_000 });
        assert.equal(await page.getByTestId("api-key").isVisible(), false);
        assert.equal(await page.evaluate(() => sessionStorage.length), 0);
        await page.close();
    });
});

describe("with the page turned off (STREAMER_PAGE=false, Pulumi config page: false)", () => {
    test("GET / answers 405 method_not_allowed, like any other GET but /models", async () => {
        const off = await offlineStack({ STREAMER_PAGE: "false" });
        try {
            const page = await newPage();
            const response = await page.goto(off.url);
            assert.equal(response.status(), 405);
            assert.equal((await response.json()).code, "method_not_allowed");
            assert.equal(response.headers().allow, "POST");
            await page.close();
            const listing = await fetch(off.url + "models");
            assert.equal(listing.status, 200, "GET /models answers with the page off too");
            assert.equal((await listing.json()).defaultModel, "default");
        } finally {
            await off.stop();
        }
    });
});

describe("the page against a function that misbehaves (a stand-in serving the same page and policy)", () => {
    /** Serves the page as the function does; a story POST is answered by `story(res)`. `closed()` tells whether the browser closed the story request. */
    async function misbehaving(story) {
        const page = await fetch(stack.url);
        const headers = Object.fromEntries(["content-type", "content-security-policy", "x-content-type-options"].map((h) => [h, page.headers.get(h)]));
        const html = await page.text();
        let closed = false;
        const server = http.createServer((req, res) => {
            if (req.method === "GET" && req.url === "/") return res.writeHead(200, headers).end(html);
            if (req.method !== "POST") return res.writeHead(404).end();
            res.on("close", () => (closed = true));
            res.writeHead(200, { "content-type": "application/x-ndjson" });
            story(res);
        });
        await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
        return { url: `http://127.0.0.1:${server.address().port}/`, closed: () => closed, stop: () => server.close() };
    }

    const START = JSON.stringify({ type: "start", model: "stand-in", requestId: "r-1" }) + "\n";
    const TEXT = JSON.stringify({ type: "text", message: "Once upon a time" }) + "\n";

    /** Starts a story against a stand-in answering with `story`, and runs `check(page, errorText)` once the page shows an error. */
    async function storyFailing(story, check) {
        const stand = await misbehaving(story);
        try {
            const page = await open(stand.url);
            await tell(page, "owls");
            const error = page.getByTestId("error");
            await error.waitFor({ state: "visible", timeout: 10_000 });
            await check(page, await error.textContent(), stand);
            assert.equal(await page.getByTestId("start").isEnabled(), true, "Start is given back");
            assert.equal(await page.getByTestId("stop").isDisabled(), true);
            await page.close();
        } finally {
            stand.stop();
        }
    }

    test("a line that is not JSON ends the request, names the fault, and gives Start back", async () => {
        // The stand-in then keeps the stream open, as a broken function might.
        await storyFailing((res) => res.write(START + TEXT + "<html>502 Bad Gateway</html>\n"), async (page, error, stand) => {
            assert.match(error, /^bad_event: the function sent a line that is not a JSON event: "<html>502 Bad Gateway<\/html>"$/);
            assert.equal(await text(page, "story"), "Once upon a time", "the text so far stays");
            await eventually(() => stand.closed(), 5_000, "the page closed the story request");
        });
    });

    test("a connection cut in the middle of an event is named as the cut, not a network error", async () => {
        const story = (res) => {
            res.write(START + TEXT + '{"type":"text","mess');
            setTimeout(() => res.socket.destroy(), 200);
        };
        await storyFailing(story, async (page, error) => {
            assert.match(error, /^stream_cut: the connection was cut in the middle of an event \("\{\\"type\\":\\"text\\",\\"mess" arrived\): /);
            assert.equal(await text(page, "story"), "Once upon a time");
            assert.match(await page.getByRole("status").textContent(), /^The stream was cut/);
            await page.screenshot({ path: path.join(SHOTS, "stream-cut.png") });
        });
    });

    test("a body that ends in the middle of an event is named as the cut", async () => {
        await storyFailing((res) => res.end(START + TEXT + '{"type":"usage","inputTok'), async (_page, error) => {
            assert.match(error, /^stream_cut: the stream ended in the middle of an event \("\{\\"type\\":\\"usage\\",\\"inputTok" arrived\)$/);
        });
    });
});
