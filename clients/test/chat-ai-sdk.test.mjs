// The Vercel AI SDK (`ai`'s generateText and streamText) through its `@ai-sdk/openai-compatible`
// provider, against the offline stack's `/v1/chat/completions`: a conversation whose answer
// depends on its first turn, streamed and not, usage, reasoning for an alias that shows it, a
// failure part way, and a refusal as the SDK's APICallError.

import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, streamText } from "ai";

import { CHAT_SETTINGS, CONVERSATION, ECHOED, offlineStack, storyOpening, thought } from "./support.mjs";

/** CONVERSATION the AI SDK's way: the caller's system prompt as `system`, the turns as `messages`. */
const [{ content: SYSTEM }, ...TURNS] = CONVERSATION;
const CALL = { system: SYSTEM, messages: TURNS };

let stack, provider;

before(async () => {
    stack = await offlineStack(CHAT_SETTINGS);
    provider = createOpenAICompatible({ name: "bedrock-streamer", baseURL: stack.url + "v1", includeUsage: true });
});

after(() => stack?.stop());

/** The parts of a streamText result's fullStream, in order. */
async function parts(result) {
    const all = [];
    for await (const part of result.fullStream) all.push(part);
    return all;
}

describe("the AI SDK's openai-compatible provider", () => {
    test("generateText answers a three-turn conversation from every turn it was sent", async () => {
        const result = await generateText({ model: provider("fast"), ...CALL });
        assert.equal(result.text, ECHOED, "the first turn reached Bedrock");
        assert.equal(result.finishReason, "stop");
        assert.equal(result.usage.outputTokens, ECHOED.split(" ").length);
        assert.ok(result.usage.inputTokens > 0);
    });

    test("streamText streams the same answer, then the finish reason and usage", async () => {
        const result = streamText({ model: provider("fast"), ...CALL });
        const pieces = [];
        for await (const piece of result.textStream) pieces.push(piece);
        assert.ok(pieces.length > 10, `${pieces.length} pieces`);
        assert.equal(pieces.join(""), ECHOED);
        assert.equal(await result.finishReason, "stop");
        assert.equal((await result.usage).outputTokens, ECHOED.split(" ").length, "stream_options.include_usage");
    });

    test("streamText reads the reasoning of an alias that shows it as reasoning, before the text", async () => {
        const result = streamText({ model: provider("clever"), prompt: "Tell me a story about owls." });
        const all = await parts(result);
        assert.ok((await result.reasoningText).startsWith(thought("owls")), await result.reasoningText);
        assert.ok((await result.text).startsWith(storyOpening("owls")), await result.text);
        const lastReasoning = all.findLastIndex((p) => p.type === "reasoning-delta");
        const firstText = all.findIndex((p) => p.type === "text-delta");
        assert.ok(lastReasoning >= 0 && lastReasoning < firstText, "all the reasoning comes first");
    });

    test("a failure part way of a stream is an error part after the text so far", async () => {
        const result = streamText({
            model: provider("fast"),
            system: SYSTEM,
            messages: [...TURNS.slice(0, 2), { role: "user", content: "And now? fault_midstream_error" }],
            onError: () => {}, // the error is read from fullStream below; the default handler would only log it
        });
        const all = await parts(result);
        const text = all.filter((p) => p.type === "text-delta").map((p) => p.text).join("");
        assert.equal(text.split(" ").length, 3, `the three words before the failure arrived: ${JSON.stringify(text)}`);
        const errors = all.filter((p) => p.type === "error");
        assert.equal(errors.length, 1);
        assert.match(String(errors[0].error?.message ?? errors[0].error), /model stream failed/);
        assert.ok(all.findIndex((p) => p.type === "error") > all.findLastIndex((p) => p.type === "text-delta"));
    });

    test("generateText throws APICallError with the status and message of a refusal or a failure part way", async () => {
        const refused = (model, content, status, message) =>
            assert.rejects(generateText({ model: provider(model), prompt: content, maxRetries: 0 }), (error) => {
                assert.ok(APICallError.isInstance(error), `${error.constructor.name}: ${error.message}`);
                assert.equal(error.statusCode, status);
                assert.match(error.message, message);
                return true;
            });
        await refused("no-such-alias", "Hello.", 404, /no-such-alias/);
        await refused("fast", "Go on. fault_midstream_error", 502, /model stream failed/);
    });
});
