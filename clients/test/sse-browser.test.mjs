// The SSE stream through browser clients in headless Chromium, against the real handler under
// `cargo lambda watch` and the Bedrock emulator: `@microsoft/fetch-event-source` (which needs a
// browser's `document`) posting stories, mostly with its default settings, and the browser's own
// EventSource, which only sends GET, replaying the bytes of real streams from a local server that
// hands its reconnects to the function. The emulator's log counts the Bedrock calls.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { bedrockCalls, eventually, FAST_TOKENS, launchChromium, offlineStack, ROOT } from "./support.mjs";

/** The package's ES module build, served to the page as it is (no bundler, no CDN). */
const FETCH_EVENT_SOURCE = path.join(ROOT, "clients/node_modules/@microsoft/fetch-event-source/lib/esm");
/** Longer than the `retry: 5000` the function sets and fetch-event-source's 1 s default: a client that was going to ask again has. */
const RETRY_WINDOW_MS = 6000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let stack, browser;

before(async () => {
    [stack, browser] = await Promise.all([offlineStack(FAST_TOKENS), launchChromium()]);
});

after(async () => {
    await browser?.close();
    await stack?.stop();
});

describe("@microsoft/fetch-event-source in Chromium", () => {
    /**
     * A page on the function's own origin (so no CORS is involved) that can import the package
     * from `/fetch-event-source/`; both are answered by Playwright, never reaching the function.
     * `posts` counts the page's story requests by story type.
     */
    async function openPage() {
        const page = await browser.newPage();
        const origin = new URL(stack.url).origin;
        await page.route(`${origin}/blank`, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>fetch-event-source</title>" }));
        await page.route(`${origin}/fetch-event-source/*`, (route) => {
            // The build imports its siblings without an extension ('./fetch').
            const name = path.basename(new URL(route.request().url()).pathname);
            route.fulfill({ contentType: "text/javascript", body: fs.readFileSync(path.join(FETCH_EVENT_SOURCE, name.endsWith(".js") ? name : `${name}.js`)) });
        });
        const posts = {};
        page.on("request", (request) => {
            if (request.method() === "POST" && request.url() === stack.url) {
                const { storyType } = JSON.parse(request.postData());
                posts[storyType] = (posts[storyType] ?? 0) + 1;
            }
        });
        await page.goto(`${origin}/blank`);
        return { page, posts };
    }

    test("with default settings, a finished story, a refusal (400), an upstream refusal (502) and a failure part way: each posted once, the failure's code readable", async () => {
        const { page, posts } = await openPage();
        const calls = bedrockCalls(stack);
        const storyTypes = ["CATS", "cats & dogs", "fault_access_denied", "fault_midstream_error"];
        await page.evaluate(
            async ({ url, storyTypes }) => {
                const { fetchEventSource } = await import("/fetch-event-source/index.js");
                window.runs = {};
                for (const storyType of storyTypes) {
                    const run = (window.runs[storyType] = { messages: [], errors: [], closed: false, settled: false });
                    fetchEventSource(url, {
                        method: "POST",
                        headers: { "content-type": "application/json" },
                        body: JSON.stringify({ storyType }),
                        onmessage: (message) => run.messages.push({ event: message.event, id: message.id, data: JSON.parse(message.data) }),
                        // Records the error and returns nothing: the package's default retry stays.
                        onerror: (error) => void run.errors.push(String(error)),
                        onclose: () => (run.closed = true),
                    }).finally(() => (run.settled = true));
                }
            },
            { url: stack.url, storyTypes },
        );
        // fetchEventSource's promise settles only once it will not connect again.
        await eventually(() => page.evaluate(() => Object.values(window.runs).every((run) => run.settled || run.errors.length > 0)), 30_000, "every run ended or failed");
        await sleep(RETRY_WINDOW_MS);
        const runs = await page.evaluate(() => window.runs);

        assert.deepEqual(posts, { CATS: 1, "cats & dogs": 1, fault_access_denied: 1, fault_midstream_error: 1 }, "no story was posted twice");
        assert.equal(calls(), 3, "one Bedrock call per story that reached it; none for the 400");
        for (const storyType of storyTypes) {
            assert.deepEqual(runs[storyType].errors, [], `${storyType}: onerror never fired, so nothing was retried`);
            assert.equal(runs[storyType].closed, true, `${storyType}: the stream ended (onclose)`);
        }

        const story = runs.CATS.messages;
        assert.deepEqual(
            [story[0].event, ...story.slice(-2).map((message) => message.event)],
            ["start", "stop", "usage"],
        );
        assert.equal(story.at(-1).id, "end");

        const failure = (storyType) => runs[storyType].messages.at(-1);
        assert.deepEqual(
            ["cats & dogs", "fault_access_denied", "fault_midstream_error"].map((storyType) => [failure(storyType).event, failure(storyType).data.type, failure(storyType).data.code]),
            [
                ["failure", "error", "invalid_story_type"],
                ["failure", "error", "model_access_denied"],
                ["failure", "error", "model_stream_error"],
            ],
        );
        assert.deepEqual(
            runs.fault_midstream_error.messages.map((message) => message.event),
            ["start", "text", "text", "text", "failure"],
        );
        await page.close();
    });
    test("a caller whose onmessage throws on the failure event (the package README's pattern) asks once more with Last-Event-ID: end, gets 204 and stops", async () => {
        const { page, posts } = await openPage();
        const calls = bedrockCalls(stack);
        const lastEventIds = [];
        page.on("request", (request) => request.method() === "POST" && lastEventIds.push(request.headers()["last-event-id"]));
        await page.evaluate(async (url) => {
            const { fetchEventSource } = await import("/fetch-event-source/index.js");
            const run = (window.run = { errors: [], closed: false, settled: false });
            fetchEventSource(url, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ storyType: "fault_midstream_error" }),
                onmessage: (message) => {
                    if (message.event === "failure") throw new Error(JSON.parse(message.data).code);
                },
                // Records the error and returns nothing: the package retries, carrying the last id.
                onerror: (error) => void run.errors.push(String(error)),
                onclose: () => (run.closed = true),
            }).finally(() => (run.settled = true));
        }, stack.url);
        // Settles only if the 204 ends it: an answer the package did not accept would be retried every 5 s.
        await eventually(() => page.evaluate(() => window.run.settled), 30_000, "fetchEventSource settled after the 204");
        const run = await page.evaluate(() => window.run);

        assert.deepEqual(run.errors, ["Error: model_stream_error"], "the thrown failure, and nothing after it");
        assert.equal(run.closed, true, "the 204's empty event stream ended it (onclose)");
        assert.deepEqual(posts, { fault_midstream_error: 2 });
        assert.deepEqual(lastEventIds, [undefined, "end"]);
        assert.equal(calls(), 1, "the retry never reached Bedrock");
        await page.close();
    });
    test("a tab hidden part way posts the story again when shown, unless openWhenHidden is set", async () => {
        const { page, posts } = await openPage();
        const calls = bedrockCalls(stack);
        const events = await page.evaluate(async (url) => {
            const { fetchEventSource } = await import("/fetch-event-source/index.js");
            // What a browser does on a tab switch, simulated: document.hidden flips, visibilitychange fires.
            const setHidden = (hidden) => {
                Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
                document.dispatchEvent(new Event("visibilitychange"));
            };
            const tell = async (storyType, options) => {
                const events = [];
                await fetchEventSource(url, {
                    ...options,
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify({ storyType }),
                    onmessage: (message) => {
                        events.push(message.event);
                        // The tab is switched away and back at the third word of the first story.
                        if (events.filter((event) => event === "text").length === 3 && events.indexOf("start") === events.lastIndexOf("start")) {
                            setHidden(true);
                            setHidden(false);
                        }
                    },
                });
                return events;
            };
            return { default: await tell("owls", {}), kept: await tell("larks", { openWhenHidden: true }) };
        }, stack.url);

        const starts = (events) => events.filter((event) => event === "start").length;
        assert.equal(starts(events.default), 2, `the story began again: ${events.default.join(" ")}`);
        assert.equal(events.default.at(-1), "usage");
        assert.equal(starts(events.kept), 1);
        assert.equal(events.kept.at(-1), "usage");
        assert.deepEqual(posts, { owls: 2, larks: 1 });
        await eventually(() => calls() === 3, 10_000, "three Bedrock calls: owls twice, larks once");
        await page.close();
    });
});

describe("the browser's own EventSource replaying captured streams", () => {
    /** The bytes of a real SSE stream of `storyType`, POSTed to the function. */
    async function capture(storyType) {
        const response = await fetch(stack.url, { method: "POST", headers: { accept: "text/event-stream" }, body: JSON.stringify({ storyType }) });
        assert.equal(response.status, 200);
        return response.text();
    }

    /**
     * A local server for EventSource's GETs: `/` a blank page, `/replay/<name>` the captured
     * bytes `streams[name]` (anything else 404); a request carrying Last-Event-ID (the reconnect) goes to the
     * function as it came and gets the function's answer. `requests` lists what arrived.
     */
    async function replayServer(streams) {
        const requests = [];
        const server = http.createServer(async (request, response) => {
            const lastEventId = request.headers["last-event-id"];
            const name = request.url.match(/^\/replay\/(\w+)$/)?.[1];
            if (request.url === "/") {
                response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>EventSource</title>");
            } else if (!(name in streams)) {
                response.writeHead(404).end();
            } else if (lastEventId !== undefined) {
                const answer = await fetch(stack.url, { headers: { accept: request.headers.accept, "last-event-id": lastEventId } });
                requests.push({ name, lastEventId, status: answer.status });
                response.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
            } else {
                requests.push({ name, lastEventId, status: 200 });
                response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" }).end(streams[name]);
            }
        });
        await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
        return { url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((resolve) => server.close(resolve)) };
    }

    test("a finished and a failed story: each delivered once by name, the reconnect answered 204, the source CLOSED; no Bedrock call", async () => {
        const streams = { finished: await capture("CATS"), failed: await capture("fault_midstream_error") };
        const calls = bedrockCalls(stack);
        const server = await replayServer(streams);
        const page = await browser.newPage();
        try {
            await page.goto(server.url);
            await page.evaluate((names) => {
                window.sources = {};
                for (const name of names) {
                    const source = new EventSource(`/replay/${name}`);
                    const seen = (window.sources[name] = { source, events: [], errors: [] });
                    for (const event of ["start", "text", "stop", "usage", "failure", "message"]) {
                        source.addEventListener(event, (message) => seen.events.push({ event, lastEventId: message.lastEventId, data: JSON.parse(message.data) }));
                    }
                    // EventSource's own error event: a plain Event with no data, and the state it left.
                    source.addEventListener("error", (error) => seen.errors.push({ readyState: source.readyState, hasData: "data" in error }));
                }
            }, Object.keys(streams));
            await eventually(() => page.evaluate(() => Object.values(window.sources).every(({ source }) => source.readyState === EventSource.CLOSED)), 30_000, "both sources CLOSED");
            const seen = await page.evaluate(() => Object.fromEntries(Object.entries(window.sources).map(([name, { events, errors }]) => [name, { events, errors }])));

            const finished = seen.finished.events;
            assert.equal(finished.filter((event) => event.event === "start").length, 1, "the story was delivered once");
            assert.deepEqual(
                [finished[0].event, ...finished.slice(-2).map((event) => event.event)],
                ["start", "stop", "usage"],
            );
            assert.deepEqual(finished.at(-1), { event: "usage", lastEventId: "end", data: finished.at(-1).data });
            assert.match(
                finished
                    .filter((event) => event.event === "text")
                    .map((event) => event.data.message)
                    .join(""),
                /CATS/,
            );

            assert.deepEqual(
                seen.failed.events.map((event) => event.event),
                ["start", "text", "text", "text", "failure"],
            );
            assert.deepEqual(
                { type: seen.failed.events.at(-1).data.type, code: seen.failed.events.at(-1).data.code, lastEventId: seen.failed.events.at(-1).lastEventId },
                { type: "error", code: "model_stream_error", lastEventId: "end" },
            );

            const closing = [
                { readyState: 0, hasData: false }, // the stream ended: EventSource will reconnect
                { readyState: 2, hasData: false }, // the reconnect got 204: it will not
            ];
            assert.deepEqual(seen.finished.errors, closing);
            assert.deepEqual(seen.failed.errors, closing, "a failed story is a failure event; the error events are EventSource's own");
            assert.deepEqual(server.requests.toSorted((a, b) => a.name.localeCompare(b.name) || (a.lastEventId ?? "").localeCompare(b.lastEventId ?? "")), [
                { name: "failed", lastEventId: undefined, status: 200 },
                { name: "failed", lastEventId: "end", status: 204 },
                { name: "finished", lastEventId: undefined, status: 200 },
                { name: "finished", lastEventId: "end", status: 204 },
            ]);
            assert.equal(calls(), 0, "the reconnects were answered without Bedrock");
        } finally {
            await page.close();
            await server.close();
        }
    });
});
