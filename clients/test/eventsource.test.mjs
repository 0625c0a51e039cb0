// The SSE stream through the `eventsource` package (4.x, the WHATWG EventSource for Node.js) posting
// the story through its `fetch` option, against the real handler under `cargo lambda watch` and the
// Bedrock emulator: the events arrive by name, a finished or failed stream is never asked for
// again (its reconnect carries `Last-Event-ID: end` and gets 204), and a refusal before the stream
// is readable and not retried. The emulator's log counts the Bedrock calls.

import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { EventSource } from "eventsource";

import { bedrockCalls, FAST_TOKENS, offlineStack, sseEvents } from "./support.mjs";

/** Each test's bound: a client that keeps reconnecting fails its test instead of hanging the run. */
const BOUND = { timeout: 60_000 };

let stack;
/** Every source opened, closed at the end whatever happened, so none keeps reconnecting. */
const sources = [];

before(async () => {
    stack = await offlineStack(FAST_TOKENS);
});

after(async () => {
    for (const source of sources) source.close();
    await stack?.stop();
});

/**
 * An EventSource that POSTs `{"storyType": storyType}` to the function on every connection (the
 * `fetch` option is the package's documented way to change the request). Records what each
 * connection sent and got (`connections`), the named story events in order (`events`), and the
 * package's own `error` events (`errors`, with the readyState each left). `closed` resolves once
 * the source is CLOSED: it will not connect again.
 */
function storySource(url, storyType) {
    const connections = [];
    const source = new EventSource(url, {
        fetch: async (input, init) => {
            const response = await fetch(input, {
                ...init,
                method: "POST",
                headers: { ...init.headers, "content-type": "application/json" },
                body: JSON.stringify({ storyType }),
            });
            // What a caller does to learn why a story was refused: EventSource only reports the
            // status of a non-200 answer, so read the body here, before handing the response on.
            const refusal = response.ok ? undefined : await response.clone().text();
            connections.push({ lastEventId: init.headers["Last-Event-ID"], status: response.status, refusal });
            return response;
        },
    });
    sources.push(source);
    const events = [];
    for (const name of ["start", "text", "reasoning", "stop", "usage", "failure", "message"]) {
        source.addEventListener(name, (event) => events.push({ name, data: JSON.parse(event.data), lastEventId: event.lastEventId }));
    }
    const errors = [];
    const closed = new Promise((resolve) =>
        source.addEventListener("error", (event) => {
            errors.push({ code: event.code, readyState: source.readyState, data: event.data });
            if (source.readyState === EventSource.CLOSED) resolve();
        }),
    );
    return { source, connections, events, errors, closed };
}

describe("the eventsource package posting through its fetch option", () => {
    test("receives a story's events by name, reconnects once with Last-Event-ID: end, gets 204 and stops; one Bedrock call", BOUND, async () => {
        const calls = bedrockCalls(stack);
        const { source, connections, events, errors, closed } = storySource(stack.url, "CATS");
        await closed;

        const names = events.map((event) => event.name);
        assert.equal(names[0], "start");
        assert.deepEqual(names.slice(-2), ["stop", "usage"]);
        assert.ok(names.slice(1, -2).every((name) => name === "text"), names.join(" "));
        assert.match(events.filter((event) => event.name === "text").map((event) => event.data.message).join(""), /CATS/);
        assert.deepEqual(
            events.map((event) => event.data.type),
            names,
            "data.type is the event name",
        );
        const usage = events.at(-1);
        assert.equal(usage.lastEventId, "end", "the last event carries id: end");
        assert.equal(usage.data.outputTokens, 60);

        assert.deepEqual(
            connections.map(({ lastEventId, status }) => ({ lastEventId, status })),
            [
                { lastEventId: undefined, status: 200 },
                { lastEventId: "end", status: 204 },
            ],
            "one story, then one reconnect that the function answers 204",
        );
        assert.deepEqual(errors, [
            { code: undefined, readyState: EventSource.CONNECTING, data: undefined },
            { code: 204, readyState: EventSource.CLOSED, data: undefined },
        ]);
        assert.equal(source.readyState, EventSource.CLOSED);
        assert.equal(calls(), 1, "the reconnect never reached Bedrock");
    });

    test("a failure part way is a failure event, apart from the package's own error events; no second Bedrock call", BOUND, async () => {
        const calls = bedrockCalls(stack);
        const { connections, events, errors, closed } = storySource(stack.url, "fault_midstream_error");
        await closed;

        assert.deepEqual(
            events.map((event) => event.name),
            ["start", "text", "text", "text", "failure"],
        );
        const failure = events.at(-1);
        assert.equal(failure.data.type, "error", "data.type stays error");
        assert.equal(failure.data.code, "model_stream_error");
        assert.match(failure.data.message, /model stream failed/);
        assert.equal(failure.lastEventId, "end");
        assert.ok(
            errors.every((error) => error.data === undefined),
            "the package's error events carry no story data: a connection problem is never mistaken for a failed story",
        );
        assert.deepEqual(
            connections.map((connection) => connection.status),
            [200, 204],
        );
        assert.equal(calls(), 1);
    });

    test("a refusal before the stream (400) closes the source at once, its code readable from the body; Bedrock never called", BOUND, async () => {
        const calls = bedrockCalls(stack);
        const { source, connections, events, errors, closed } = storySource(stack.url, "cats & dogs");
        await closed;

        // eventsource 4 fails the connection on any status but 200 without reading the body or
        // reconnecting (HTML standard); its error event has the status only.
        assert.deepEqual(errors, [{ code: 400, readyState: EventSource.CLOSED, data: undefined }]);
        assert.deepEqual(events, [], "no event is delivered from a non-200 answer");
        assert.equal(source.readyState, EventSource.CLOSED);
        assert.equal(connections.length, 1);
        const [failure] = sseEvents(connections[0].refusal);
        assert.equal(failure.event, "failure");
        assert.equal(failure.data.code, "invalid_story_type");
        assert.match(failure.data.message, /'&'/);
        assert.equal(calls(), 0);
    });

    test("an upstream refusal (Bedrock's access denied, 502) is one Bedrock call, readable, not retried", BOUND, async () => {
        const calls = bedrockCalls(stack);
        const { connections, errors, closed } = storySource(stack.url, "fault_access_denied");
        await closed;

        assert.deepEqual(errors, [{ code: 502, readyState: EventSource.CLOSED, data: undefined }]);
        assert.equal(connections.length, 1);
        const [failure] = sseEvents(connections[0].refusal);
        assert.equal(failure.data.code, "model_access_denied");
        assert.equal(calls(), 1);
    });
});
