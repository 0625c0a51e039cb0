// What `pulumi config set --secret` keeps secret. A handler setting set so stays encrypted
// wherever its value lands in the stack's state (the resources' inputs as the engine stores them)
// and outputs; a key that configures the AWS resources themselves stops the preview, saying why.
// The real program (index.ts) under Pulumi's mocks, told which keys are secret as the CLI tells it.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import { DEFAULTS } from "../streamerArgs";
import { type ProgramRun, runProgram } from "./support/program";
import { PROJECT, programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

/** How the engine marks a secret value among resource inputs (@pulumi/pulumi runtime/rpc.ts). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const zip = packageStandIn();

/** Every text in `value` that the engine would store as it is, outside any secret. */
function plainTexts(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(plainTexts);
    if (value !== null && typeof value === "object") {
        if ((value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) return [];
        return Object.values(value).flatMap(plainTexts);
    }
    return [];
}

/** Where in the state or outputs `needle` can be read in plain text; empty when nowhere. */
function whereInPlainText(run: ProgramRun, needle: string): string[] {
    const places = run.resources.filter((r) => plainTexts(r.inputs).some((text) => text.includes(needle))).map((r) => `${r.type} ${r.name}`);
    for (const [name, value] of Object.entries(run.outputs)) {
        if (!run.secretOutputs.includes(name) && JSON.stringify(value).includes(needle)) places.push(`output ${name}`);
    }
    return places;
}

/** Runs the dev stack with `values`, every one of them set with --secret. */
function runWithSecrets(values: Record<string, unknown>): Promise<ProgramRun> {
    const config = programConfig("dev", { codeZip: zip, ...values });
    return runProgram("dev", config, Object.keys(values).map((key) => `${PROJECT}:${key}`));
}

/** A value of each text setting no other part of the stack could contain by chance. */
const SECRET_TEXT = {
    systemPrompt: "You are Sir Quietly-4411 of the hidden realm.",
    defaultTemplate: "Whisper-7731 a story about {storyType}",
    templates: JSON.stringify({ CATS: "Murmur-2958 about {storyType}" }),
    allowedStoryTypes: ["CATS", "Hushotters"],
    chatSystemPrompt: "Confide-6620 in nobody.",
};
const MARKERS = ["Quietly-4411", "Whisper-7731", "Murmur-2958", "Hushotters", "Confide-6620"];

describe("a handler setting set with --secret", () => {
    test("is in the function's environment, which the state keeps encrypted, and nowhere in plain text", async () => {
        const run = await runWithSecrets(SECRET_TEXT);
        for (const marker of MARKERS) assert.deepEqual(whereInPlainText(run, marker), [], marker);
        // The engine lifts a secret to the object holding it: the whole environment block is one.
        const environment = run.only("aws:lambda/function:Function").inputs.environment;
        assert.equal(environment[SIG_KEY], SECRET_SIG);
        assert.equal(environment.value.variables.STREAMER_SYSTEM_PROMPT, SECRET_TEXT.systemPrompt, "the function still gets the value");
    });

    test("the same values set in plain text are plain, so the check above can see a leak", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, ...SECRET_TEXT }));
        for (const marker of MARKERS) assert.deepEqual(whereInPlainText(run, marker), ["aws:lambda/function:Function bedrock-streamer"], marker);
        assert.deepEqual(run.secretOutputs, []);
    });

    test("a secret modelId is also secret in the model policy and the modelId output", async () => {
        const run = await runWithSecrets({ modelId: "global.anthropic.claude-haiku-5-5" });
        assert.deepEqual(whereInPlainText(run, "claude-haiku-5-5"), []);
        assert.deepEqual(run.secretOutputs, ["modelId"]);
        assert.equal(run.outputs.modelId, "global.anthropic.claude-haiku-5-5", "the output still holds it, encrypted");
    });

    test("secret models and defaultModel are secret there too", async () => {
        const models = JSON.stringify({ hush: { modelId: "global.anthropic.claude-haiku-5-5" }, other: { modelId: "us.anthropic.claude-haiku-5-5" } });
        // modelId at its default: the stack file's own would clash with models.
        const run = await runWithSecrets({ modelId: DEFAULTS.modelId, models, defaultModel: "hush" });
        assert.deepEqual(whereInPlainText(run, "claude-haiku-5-5"), []);
        assert.deepEqual(whereInPlainText(run, "hush"), []);
        assert.deepEqual(run.secretOutputs, ["modelId"]);
    });

    test("a secret setting that names no model leaves the model policy and modelId output plain", async () => {
        const run = await runWithSecrets({ systemPrompt: SECRET_TEXT.systemPrompt });
        assert.deepEqual(run.secretOutputs, []);
        const policy = run.resources.find((r) => r.name === "bedrock-streamer-invoke-model");
        assert.ok(policy);
        assert.equal(typeof policy.inputs.policy, "string");
    });
});

describe("a resource key set with --secret", () => {
    for (const [key, value] of [
        ["memorySize", "512"],
        ["corsAllowOrigins", JSON.stringify(["https://example.com"])],
        ["authType", "AWS_IAM"],
    ] as const) {
        test(`${key} stops the preview with one line saying why`, async () => {
            const config = programConfig("dev", { codeZip: zip, [key]: key === "corsAllowOrigins" ? JSON.parse(value) : value });
            await assert.rejects(runProgram("dev", config, [`${PROJECT}:${key}`]), (error: Error) => {
                assert.match(
                    error.message,
                    new RegExp(
                    `^bedrock-streamer configuration is invalid:\\n  - ${key} is set with --secret, but it configures the AWS resources themselves, ` +
                        `which the preview and anyone who can read the function see in plain text, so the stack cannot keep it secret: ` +
                            `set it without --secret \\(pulumi config set ${key} <value>\\)$`,
                    ),
                );
                return true;
            });
        });
    }
});
