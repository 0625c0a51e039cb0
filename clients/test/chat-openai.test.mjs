// The `openai` npm package against the offline stack's OpenAI-compatible routes
// (`/v1/chat/completions`, `/v1/models`): a conversation whose answer depends on its first turn,
// streamed and not, usage, reasoning for an alias that shows it, a failure part way, and each
// refusal as the package's own error class.

import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import OpenAI, { APIError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from "openai";

import { CHAT_SETTINGS, CONVERSATION, ECHOED, offlineStack, storyOpening, thought } from "./support.mjs";

let stack, client;

before(async () => {
    stack = await offlineStack(CHAT_SETTINGS);
    // No retries: each refusal below must surface as it was answered, once.
    client = new OpenAI({ baseURL: stack.url + "v1", apiKey: "unused-the-function-url-decides", maxRetries: 0 });
});

after(() => stack?.stop());

/** Every chunk of a streamed completion, in order. */
async function chunks(stream) {
    const all = [];
    for await (const chunk of stream) all.push(chunk);
    return all;
}

describe("the openai npm package", () => {
    test("lists the stack's aliases as models", async () => {
        const models = [];
        for await (const model of client.models.list()) models.push(model);
        assert.deepEqual(models.map((m) => m.id).sort(), ["clever", "fast"]);
        for (const model of models) {
            assert.equal(model.object, "model");
            assert.equal(typeof model.created, "number");
            assert.equal(typeof model.owned_by, "string");
        }
    });

    test("answers a three-turn conversation from every turn it was sent, not streamed", async () => {
        const completion = await client.chat.completions.create({ model: "fast", messages: CONVERSATION });
        assert.equal(completion.object, "chat.completion");
        assert.equal(completion.model, "fast");
        assert.equal(completion.choices.length, 1);
        const [choice] = completion.choices;
        assert.equal(choice.message.role, "assistant");
        assert.equal(choice.message.content, ECHOED, "the first turn reached Bedrock");
        assert.equal(choice.finish_reason, "stop");
        assert.equal(completion.usage.completion_tokens, ECHOED.split(" ").length, "one emulated token a word");
        assert.ok(completion.usage.prompt_tokens > 0);
        assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
    });

    test("streams the same answer in chunks of one id, the role first, usage last", async () => {
        const stream = await client.chat.completions.create({ model: "fast", messages: CONVERSATION, stream: true, stream_options: { include_usage: true } });
        const all = await chunks(stream);
        assert.ok(all.length > 10, `${all.length} chunks`);
        assert.equal(new Set(all.map((c) => c.id)).size, 1, "one id for the whole answer");
        assert.equal(new Set(all.map((c) => c.created)).size, 1, "one created for the whole answer");
        assert.ok(all.every((c) => c.object === "chat.completion.chunk"));
        assert.equal(all[0].choices[0].delta.role, "assistant");
        const usage = all.at(-1);
        assert.deepEqual(usage.choices, [], "the usage chunk has no choices");
        assert.equal(usage.usage.completion_tokens, ECHOED.split(" ").length);
        const answer = all.slice(0, -1);
        assert.equal(answer.map((c) => c.choices[0].delta.content ?? "").join(""), ECHOED);
        assert.deepEqual(answer.map((c) => c.choices[0].finish_reason).filter(Boolean), ["stop"]);
        assert.equal(answer.at(-1).choices[0].finish_reason, "stop");
    });

    test("streams without usage unless stream_options.include_usage asks for it", async () => {
        const all = await chunks(await client.chat.completions.create({ model: "fast", messages: CONVERSATION, stream: true }));
        assert.ok(all.every((c) => c.choices.length === 1 && !c.usage), "no usage chunk");
    });

    test("streams the reasoning of an alias that shows it as delta.reasoning_content, before the answer", async () => {
        const stream = await client.chat.completions.create({ model: "clever", messages: [{ role: "user", content: "Tell me a story about owls." }], stream: true });
        const deltas = (await chunks(stream)).map((c) => c.choices[0].delta);
        const reasoning = deltas.map((d) => d.reasoning_content ?? "").join("");
        const content = deltas.map((d) => d.content ?? "").join("");
        assert.ok(reasoning.startsWith(thought("owls")), reasoning);
        assert.ok(content.startsWith(storyOpening("owls")), content);
        assert.ok(!content.includes(thought("owls")), "reasoning is not mixed into the answer");
        const lastReasoning = deltas.findLastIndex((d) => d.reasoning_content);
        const firstContent = deltas.findIndex((d) => d.content);
        assert.ok(lastReasoning < firstContent, "all the reasoning comes first");
    });

    test("a failure part way of a streamed answer throws APIError after the text so far", async () => {
        const stream = await client.chat.completions.create({
            model: "fast",
            messages: [...CONVERSATION.slice(0, 3), { role: "user", content: "And now? fault_midstream_error" }],
            stream: true,
        });
        let text = "";
        await assert.rejects(
            async () => {
                for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
            },
            (error) => {
                assert.ok(error instanceof APIError, error.constructor.name);
                assert.match(error.message, /model stream failed/);
                return true;
            },
        );
        assert.equal(text.split(" ").length, 3, `the three words before the failure arrived: ${JSON.stringify(text)}`);
    });

    test("a failure part way of an answer not streamed is a 502, never a truncated completion", async () => {
        await assert.rejects(
            client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "Go on. fault_midstream_error" }] }),
            (error) => {
                assert.ok(error instanceof InternalServerError, error.constructor.name);
                assert.equal(error.status, 502);
                assert.match(error.message, /model stream failed/);
                return true;
            },
        );
    });

    test("each refusal is the package's error class, with OpenAI's error object", async () => {
        const refused = async (request, Class, status, check) =>
            assert.rejects(client.chat.completions.create({ model: "fast", messages: CONVERSATION, ...request }), (error) => {
                assert.ok(error instanceof Class, `${error.constructor.name}: ${error.message}`);
                assert.equal(error.status, status);
                assert.equal(typeof error.error.message, "string");
                assert.equal(typeof error.error.type, "string");
                check?.(error);
                return true;
            });
        await refused({ n: 2 }, BadRequestError, 400, (error) => {
            assert.equal(error.param, "n");
            assert.equal(error.headers.get("x-should-retry"), "false");
        });
        await refused({ model: "no-such-alias" }, NotFoundError, 404, (error) => assert.match(error.message, /no-such-alias/));
        await refused({ messages: [{ role: "user", content: "Hello. fault_quota_exceeded" }] }, RateLimitError, 429);
        await refused({ messages: [{ role: "user", content: "Hello. fault_access_denied" }] }, APIError, 502, (error) => {
            assert.ok(error instanceof InternalServerError);
            assert.equal(error.code, "model_access_denied");
        });
    });
});
