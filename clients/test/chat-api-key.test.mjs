// Callers of a stack with authType API_KEY: the `openai` npm package and the AI SDK's provider with
// the stack's API key as a default header (`x-api-key`, the header API Gateway reads keys from),
// against playground/tests/gateway_standin.py, a local stand-in for the stack's gateway (a test
// aid: it checks the key, refuses without it as the gateway does, and passes the rest to the
// offline stack). That API Gateway itself accepts the key only a deploy shows (docs/deploy.md).

import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { streamText } from "ai";
import OpenAI, { PermissionDeniedError } from "openai";

import { CHAT_SETTINGS, CONVERSATION, ECHOED, gatewayStandIn, offlineStack } from "./support.mjs";

const KEY = "NodeClientTestKey0123456789abcdefABCDEF";

let stack, gateway;

before(async () => {
    stack = await offlineStack(CHAT_SETTINGS);
    gateway = await gatewayStandIn(stack.url, { apiKeyId: "k1e2y3i4d5", apiKey: KEY });
});

after(async () => {
    await gateway?.stop();
    await stack?.stop();
});

// The stack reads no bearer token: apiKey only satisfies the client, the key goes in x-api-key.
const openai = (headers) => new OpenAI({ baseURL: gateway.url + "v1", apiKey: "unused", defaultHeaders: headers, maxRetries: 0 });

describe("a Node.js client sending the stack's API key as a default header", () => {
    test("the openai package lists models and gets a conversation answered, streamed and not", async () => {
        const client = openai({ "x-api-key": KEY });
        const models = [];
        for await (const model of client.models.list()) models.push(model.id);
        assert.deepEqual(models.sort(), ["clever", "fast"]);
        const completion = await client.chat.completions.create({ model: "fast", messages: CONVERSATION });
        assert.equal(completion.choices[0].message.content, ECHOED);
        let streamed = "";
        for await (const chunk of await client.chat.completions.create({ model: "fast", messages: CONVERSATION, stream: true })) {
            streamed += chunk.choices[0]?.delta.content ?? "";
        }
        assert.equal(streamed, ECHOED);
    });

    test("the AI SDK's provider streams a conversation with the key in its headers", async () => {
        const provider = createOpenAICompatible({ name: "bedrock-streamer", baseURL: gateway.url + "v1", headers: { "x-api-key": KEY } });
        const [{ content: system }, ...messages] = CONVERSATION;
        assert.equal(await streamText({ model: provider("fast"), system, messages }).text, ECHOED);
    });

    test("without the key, or with another, the gateway refuses 403 (PermissionDeniedError)", async () => {
        for (const headers of [{}, { "x-api-key": "not-the-key" }]) {
            await assert.rejects(openai(headers).chat.completions.create({ model: "fast", messages: CONVERSATION }), (error) => {
                assert.ok(error instanceof PermissionDeniedError, error.constructor.name);
                assert.equal(error.status, 403);
                return true;
            });
        }
        // The refusal's body, in the stack's error shape (the package keeps only OpenAI's shape):
        const refused = await fetch(gateway.url + "v1/models");
        assert.equal(refused.status, 403);
        assert.equal((await refused.json()).code, "api_key_required");
    });
});
