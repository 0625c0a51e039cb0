// Callers of a stack with authType COGNITO: a user signs in (Cognito's InitiateAuth,
// USER_PASSWORD_AUTH, here a plain fetch of the API as `aws cognito-idp initiate-auth` sends it)
// and the `openai` npm package sends the ID token as a default `Authorization` header, replacing
// its own `Bearer <apiKey>`, against playground/tests/gateway_standin.py, a local stand-in for the
// stack's gateway (a test aid: it admits only an ID token it issued and refuses the rest 401 as the
// gateway does). That the stack's Cognito authorizer accepts the token only a deploy shows.

import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import OpenAI, { AuthenticationError } from "openai";

import { CHAT_SETTINGS, CONVERSATION, ECHOED, gatewayStandIn, offlineStack } from "./support.mjs";

const [CLIENT_ID, USERNAME, PASSWORD] = ["nodeclientcognito", "otto@example.com", "Correct-Horse-7"];

let stack, gateway;

before(async () => {
    stack = await offlineStack(CHAT_SETTINGS);
    gateway = await gatewayStandIn(stack.url, { cognito: [CLIENT_ID, USERNAME, PASSWORD] });
});

after(async () => {
    await gateway?.stop();
    await stack?.stop();
});

async function idToken() {
    const response = await fetch(gateway.control + "/", {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth" },
        body: JSON.stringify({ AuthFlow: "USER_PASSWORD_AUTH", ClientId: CLIENT_ID, AuthParameters: { USERNAME, PASSWORD } }),
    });
    assert.equal(response.status, 200);
    return (await response.json()).AuthenticationResult.IdToken;
}

describe("a Node.js client sending a Cognito user's ID token as its Authorization header", () => {
    test("the openai package lists models and streams a conversation", async () => {
        const client = new OpenAI({ baseURL: gateway.url + "v1", apiKey: "unused", defaultHeaders: { Authorization: await idToken() }, maxRetries: 0 });
        const models = [];
        for await (const model of client.models.list()) models.push(model.id);
        assert.deepEqual(models.sort(), ["clever", "fast"]);
        let streamed = "";
        for await (const chunk of await client.chat.completions.create({ model: "fast", messages: CONVERSATION, stream: true })) {
            streamed += chunk.choices[0]?.delta.content ?? "";
        }
        assert.equal(streamed, ECHOED);
    });

    test("without a token the gateway refuses 401 (AuthenticationError)", async () => {
        const anonymous = new OpenAI({ baseURL: gateway.url + "v1", apiKey: "not-a-token", maxRetries: 0 });
        await assert.rejects(anonymous.chat.completions.create({ model: "fast", messages: CONVERSATION }), (error) => {
            assert.ok(error instanceof AuthenticationError, error.constructor.name);
            assert.equal(error.status, 401);
            return true;
        });
    });
});
