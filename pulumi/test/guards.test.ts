// Config that would deploy something broken, expensive or unreachable stops `pulumi preview` with
// a message saying what to change, before any resource is planned.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { DEFAULTS } from "../streamerArgs";
import { runProgram } from "./support/program";
import { programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

const zip = packageStandIn();

/** Runs the dev stack with `pulumi config set` changes and returns the error it stops with. */
async function refusal(changes: Record<string, unknown>): Promise<Error> {
    try {
        await runProgram("dev", programConfig("dev", { codeZip: zip, ...changes }));
    } catch (error) {
        return error as Error;
    }
    assert.fail(`the program accepted ${JSON.stringify(changes)}`);
}

describe("the guards the issue names", () => {
    test("authType NONE without reservedConcurrency: a public URL with no cap is an open wallet", async () => {
        const error = await refusal({ authType: "NONE", reservedConcurrency: -1 });
        assert.match(error.message, /authType NONE makes the Function URL public.*open wallet/);
        assert.match(error.message, /pulumi config set reservedConcurrency 10/);
    });

    test("authType NONE with reservedConcurrency 0: Lambda's off switch, not a cap", async () => {
        const error = await refusal({ authType: "NONE", reservedConcurrency: 0 });
        assert.match(error.message, /authType NONE needs reservedConcurrency of at least 1: 0 is not a cap but Lambda's off switch/);
    });

    test("authType NONE with a cap of 1 deploys", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, authType: "NONE", reservedConcurrency: 1 }));
        assert.equal(run.only("aws:lambda/function:Function").inputs.reservedConcurrentExecutions, 1);
    });

    test("an environment over Lambda's 4 KB (long templates)", async () => {
        const long = `Tell me, at great length and in the voice of a ship's captain, about ${"the sea ".repeat(500)}{storyType}`;
        const error = await refusal({ templates: JSON.stringify({ CATS: long }) });
        assert.match(error.message, /the function's environment is \d+ bytes, over Lambda's 4096-byte limit; shorten templates/);
    });

    test("the Lambda package missing: run `just build` first", async () => {
        const error = await refusal({ codeZip: "/nonexistent/target/lambda/bedrock-streamer/bootstrap.zip" });
        assert.match(error.message, /the Lambda package \/nonexistent\/target\/lambda\/bedrock-streamer\/bootstrap\.zip is missing: run `just build` first/);
    });

    test("an unknown architecture", async () => {
        const error = await refusal({ architecture: "mips" });
        assert.match(error.message, /architecture "mips" is not a Lambda architecture; use arm64 \(the default\) or x86_64/);
    });

    test("they stop the run as a RunError, which the CLI prints without a stack trace", async () => {
        assert.ok(pulumi.RunError.isInstance(await refusal({ architecture: "mips" })));
    });
});

describe("values the handler would refuse at cold start", () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
        ["a default template without {storyType}", { defaultTemplate: "Tell me a story" }, /defaultTemplate: must contain \{storyType\}/],
        ["a story template without {storyType}", { templates: '{"CATS": "Cats!"}' }, /templates: template for "CATS": must contain \{storyType\}/],
        ["a cap below maxTokens", { maxTokens: 800, maxTokensCap: 400 }, /maxTokensCap: 400 is below maxTokens \(800\)/],
        ["a temperature out of range", { temperature: "1.2" }, /temperature: expected a number from 0.0 to 1.0, got "1.2"/],
        ["a topP out of range", { topP: "-1" }, /topP: expected a number from 0.0 to 1.0, got "-1"/],
        ["an unknown log level", { logLevel: "loud" }, /logLevel: expected one of error, warn, info, debug, trace/],
        ["a story type no request can match", { allowedStoryTypes: ["CATS", "DOGS!"] }, /allowedStoryTypes: entry "DOGS!": may contain only letters/],
    ];
    for (const [what, changes, message] of cases) {
        test(what, async () => {
            assert.match((await refusal(changes)).message, message);
        });
    }
});

describe("config the program cannot read", () => {
    test("a temperature that is not a number", async () => {
        assert.match((await refusal({ temperature: "warm" })).message, /bedrock-streamer:temperature must be a number such as 0\.7/);
    });

    test("templates that are not JSON", async () => {
        assert.match((await refusal({ templates: "{CATS: cats}" })).message, /bedrock-streamer:templates is not valid JSON/);
    });

    test("templates that are JSON but not an object", async () => {
        assert.match((await refusal({ templates: '["{storyType}"]' })).message, /templates must be a JSON object of storyType to template/);
    });
});

describe("deployment limits", () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
        ["a timeout too short to leave the handler a deadline", { timeout: 5 }, /timeout must be a whole number of seconds from 10 to 900, got 5/],
        ["a timeout beyond Lambda's 15 minutes", { timeout: 1000 }, /from 10 to 900, got 1000/],
        ["a retention CloudWatch does not offer", { logRetentionDays: 10 }, /logRetentionDays must be one of 1, 3, 5, 7, 14/],
        ["never-expiring logs", { logRetentionDays: 0 }, /logRetentionDays must be one of/],
        ["memory outside Lambda's range", { memorySize: 64 }, /memorySize must be a whole number of MB from 128 to 10240, got 64/],
        ["a negative concurrency other than -1", { reservedConcurrency: -5 }, /reservedConcurrency must be a whole number of at least 0/],
        ["an auth type the stack does not know", { authType: "IAM" }, /authType must be AWS_IAM, NONE, API_KEY or COGNITO, got "IAM"/],
        ["a model id with a wildcard", { modelId: "anthropic.*" }, /modelId: may contain only ASCII letters, digits, '\.', '-', '_', ':' and '\/', as Bedrock's ids and ARNs do; found "\*"/],
        ["a model id with a one-character wildcard", { modelId: "anthropic.claude-?????" }, /modelId: may contain only .*; found "\?"/],
        ["an alias's model id with a policy variable", { models: JSON.stringify({ fast: { modelId: "us.anthropic.claude-haiku-5-${aws:username}" } }) }, /models\.fast\.modelId may contain only .*; found "\$"/],
        ["an inference profile prefix the policy does not know", { modelId: "xx.anthropic.claude-3-haiku-20240307-v1:0" }, /unknown prefix 'xx\.'/],
    ];
    for (const [what, changes, message] of cases) {
        test(what, async () => {
            assert.match((await refusal(changes)).message, message);
        });
    }
});

describe("the models config: one line naming the key", () => {
    const DEFAULT_MODEL_ID = DEFAULTS.modelId;
    const fast = { modelId: "us.anthropic.claude-haiku-5-5" };
    /** `pulumi config set models …` (and defaultModel) on a stack that has not set its own modelId. */
    const models = (value: unknown, more: Record<string, unknown> = {}) => ({
        modelId: DEFAULT_MODEL_ID,
        models: typeof value === "string" ? value : JSON.stringify(value),
        ...more,
    });
    const cases: [string, Record<string, unknown>, RegExp][] = [
        ["models that are not JSON", models("{fast: nova}"), /^bedrock-streamer:models is not valid JSON/],
        ["models that are JSON but not an object", models("[1]"), /bedrock-streamer:models must be a JSON object of alias to model settings/],
        ["a defaultModel that is no alias", models({ fast }, { defaultModel: "slow" }), /defaultModel "slow" is not an alias of models \(fast\)/],
        ["several aliases and no defaultModel", models({ fast, other: fast }), /defaultModel must name the alias a request without "model" uses, one of fast, other/],
        ["a defaultModel without models", { defaultModel: "fast" }, /defaultModel "fast" names an alias of models, but models is empty/],
        ["models together with an explicit modelId", { modelId: "global.anthropic.claude-haiku-5-5", models: JSON.stringify({ fast }) }, /modelId and models are both set/],
        ["temperature for the whole stack alongside models", models({ fast }, { temperature: "0.5" }), /temperature and topP apply to modelId alone; with models, set them per alias/],
        ["an alias without a modelId", models({ fast: { maxTokens: 100 } }), /models\.fast\.modelId must be a Bedrock model id, profile id or ARN/],
        ["an alias's cap below its maxTokens", models({ fast: { ...fast, maxTokens: 900, maxTokensCap: 600 } }), /models\.fast\.maxTokensCap \(600\) is below its maxTokens \(900\)/],
        ["an alias's cap below the stack's maxTokens it inherits", models({ fast: { ...fast, maxTokensCap: 100 } }, { maxTokens: 512 }),
            /models\.fast\.maxTokensCap \(100\) is below the stack's maxTokens \(512\), which the alias inherits: set models\.fast\.maxTokens/],
        ["an alias's maxTokens above the stack's cap it inherits", models({ fast: { ...fast, maxTokens: 4000 } }),
            /models\.fast\.maxTokens \(4000\) is above the stack's maxTokensCap \(2048\), which the alias inherits: set models\.fast\.maxTokensCap/],
        ["an alias's temperature out of range", models({ fast: { ...fast, temperature: 2 } }), /models\.fast\.temperature must be a number from 0 to 1, got 2/],
        ["a reasoning mode the handler does not have", models({ fast: { ...fast, reasoning: "verbose" } }), /models\.fast\.reasoning must be "hide" or "show", got "verbose"/],
        ["additionalModelRequestFields that are not an object", models({ fast: { ...fast, additionalModelRequestFields: "thinking" } }), /models\.fast\.additionalModelRequestFields must be a JSON object/],
        ["a misspelt setting", models({ fast: { ...fast, maxToken: 100 } }), /models\.fast\.maxToken is not a model setting; known: modelId, maxTokens/],
        ["an alias a request could not name", models({ "fast model": fast }), /models alias "fast model" must be 1-64 letters, digits/],
        ["an alias's model id with a wildcard", models({ fast: { modelId: "anthropic.*" } }), /models\.fast\.modelId may contain only .*; found "\*"; got "anthropic\.\*"/],
    ];
    for (const [what, changes, message] of cases) {
        test(what, async () => {
            const error = await refusal(changes);
            assert.match(error.message, message);
            assert.ok(pulumi.RunError.isInstance(error));
        });
    }
});

describe("where the stack deploys", () => {
    // Lambda developer guide, "Creating and managing Lambda function URLs" (read 2026-11).
    for (const region of ["eu-central-2", "ap-southeast-4", "il-central-1"]) {
        test(`${region}, which has no Function URLs, stops the preview instead of failing in up`, async () => {
            const error = await refusal({ "aws:region": region });
            assert.match(error.message, new RegExp(`Lambda offers no Function URLs in ${region}, so the stack cannot serve its stream there`));
        });
    }

    test("a stack that does not say its region is asked to", async () => {
        assert.match((await refusal({ "aws:region": "" })).message, /the stack's region is not set: `pulumi config set aws:region <region>`/);
    });

    test("a region with Function URLs deploys", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, "aws:region": "us-east-2" }));
        assert.equal(run.outputs.region, "us-east-2");
    });
});

describe("CORS origins a browser could never match, or the Function URL refuses", () => {
    const cases: [string, string[], RegExp][] = [
        ["a trailing /", ["https://example.com/"], /corsAllowOrigins entry "https:\/\/example\.com\/" ends with "\/", which a browser's Origin never does: use https:\/\/example\.com/],
        ["a path", ["https://example.com/app"], /entry "https:\/\/example\.com\/app" has more than scheme:\/\/host\[:port\] \(a path, query or credentials\)/],
        ["no scheme", ["localhost:3000"], /entry "localhost:3000" is not an origin: use scheme:\/\/host\[:port\]/],
        ["an empty entry", [""], /entry "" must be text of 1 to 253 characters/],
        ["an entry over 253 characters", [`https://${"a".repeat(250)}.com`], /must be text of 1 to 253 characters/],
        ["upper case, which browsers never send", ["https://Example.com"], /is not written as a browser sends it \(lower case, no default port\): use https:\/\/example\.com/],
        ["more than 100 origins", Array.from({ length: 101 }, (_, i) => `https://site${i}.example.com`), /corsAllowOrigins has 101 origins; a Function URL takes at most 100/],
    ];
    for (const [what, origins, message] of cases) {
        test(what, async () => {
            assert.match((await refusal({ corsAllowOrigins: origins })).message, message);
        });
    }

    test("origins as browsers send them, with a port, and * are accepted", async () => {
        const origins = ["http://localhost:3000", "https://stories.example.com", "*"];
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, corsAllowOrigins: origins }));
        assert.deepEqual(run.only("aws:lambda/functionUrl:FunctionUrl").inputs.cors.allowOrigins, origins);
    });
});

test("every problem is reported at once, one line each", async () => {
    const error = await refusal({ architecture: "mips", timeout: 5, codeZip: "/nonexistent/bootstrap.zip", defaultTemplate: "x" });
    const lines = error.message.split("\n");
    assert.equal(lines[0], "bedrock-streamer configuration is invalid:");
    assert.equal(lines.length, 5, error.message);
});
