// The emulator through the AWS SDK for JavaScript v3 with its default settings, which speak
// HTTP/2 to Bedrock (its NodeHttp2Handler; prior knowledge over plain http): a story streams as
// the SDK's typed events and a fault arrives as its typed exception.
//
// Usage: node js_sdk_client.mjs ENDPOINT  (run by `just test-clients`; exits non-zero on failure)

import assert from "node:assert/strict";
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";

const endpoint = process.argv[2];
const client = new BedrockRuntimeClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
  maxAttempts: 1,
});
const user = (text) => ({ role: "user", content: [{ text }] });
const converse = (messages) =>
  client.send(new ConverseStreamCommand({ modelId: "anthropic.claude-3-haiku-20240307-v1:0", messages }));

const response = await converse([user("Tell me a story about: sea otters")]);
const kinds = [];
let text = "";
for await (const event of response.stream) {
  const [kind] = Object.keys(event);
  kinds.push(kind);
  if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text;
}
assert.equal(kinds[0], "messageStart");
assert.deepEqual(kinds.slice(-3), ["contentBlockStop", "messageStop", "metadata"]);
assert.ok(text.startsWith("Once upon a time there was a story about sea otters."), text);

await assert.rejects(converse([user("fault_throttling")]), (error) => {
  assert.ok(error instanceof ThrottlingException, String(error));
  assert.equal(error.message, "Too many tokens per day, please wait before trying again.");
  assert.equal(error.$metadata.httpStatusCode, 429);
  return true;
});
await assert.rejects(converse([user("one"), user("two")]), (error) => {
  assert.ok(error instanceof ValidationException, String(error));
  assert.match(error.message, /must alternate between user and assistant/);
  return true;
});

console.log("AWS SDK for JavaScript v3: story and 2 errors ok");
client.destroy();
