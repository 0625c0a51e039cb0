// The dev and prod stacks as `pulumi up` would deploy them: Pulumi.yaml's defaults merged with
// Pulumi.<stack>.yaml, run through the real program (index.ts) under Pulumi's mocks.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import { DEFAULTS } from "../streamerArgs";
import { ACCOUNT_ID, type ProgramRun, runProgram } from "./support/program";
import { loadProject, loadStackFile, PROJECT, programConfig, satisfiesType, stackConfigProblems } from "./support/pulumiCli";

const FUNCTION = "aws:lambda/function:Function";
const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** Each config key the handler reads, and the variable it sets (handler/src/settings.rs). */
const HANDLER_VARIABLES: Record<string, string> = {
    modelId: "STREAMER_MODEL_ID",
    maxTokens: "STREAMER_MAX_TOKENS",
    maxTokensCap: "STREAMER_MAX_TOKENS_CAP",
    temperature: "STREAMER_TEMPERATURE",
    topP: "STREAMER_TOP_P",
    systemPrompt: "STREAMER_SYSTEM_PROMPT",
    defaultTemplate: "STREAMER_DEFAULT_TEMPLATE",
    templates: "STREAMER_TEMPLATES",
    allowedStoryTypes: "STREAMER_ALLOWED_STORY_TYPES",
    logLevel: "STREAMER_LOG_LEVEL",
};

/** The keys, plus codeZip (where `just build` leaves the package). */
const KEYS = [
    ...Object.keys(HANDLER_VARIABLES),
    "authType",
    "reservedConcurrency",
    "memorySize",
    "timeout",
    "architecture",
    "logRetentionDays",
    "corsAllowOrigins",
    "codeZip",
];

/** A stand-in for the package `just build` writes, which unit tests do not build. */
const zip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bedrock-streamer-")), "bootstrap.zip");
fs.writeFileSync(zip, "PK\x05\x06" + "\0".repeat(18));

function setting(config: Record<string, string>, key: string): string {
    return config[`${PROJECT}:${key}`];
}

/** The environment the config asks for: the value itself, lists comma-joined, nothing for "unset". */
function expectedEnvironment(config: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, variable] of Object.entries(HANDLER_VARIABLES)) {
        const value = setting(config, key);
        if (key === "allowedStoryTypes") {
            const types = JSON.parse(value) as string[];
            if (types.length > 0) env[variable] = types.join(",");
        } else if (key === "templates") {
            if (Object.keys(JSON.parse(value)).length > 0) env[variable] = value;
        } else if (value !== "") {
            env[variable] = value;
        }
    }
    env.STREAMER_DEADLINE_SECS = String(Number(setting(config, "timeout")) - 5);
    return env;
}

function policyOf(run: ProgramRun, name: string): { Statement: { Action: string[]; Resource: string[] }[] } {
    const policy = run.resources.find((r) => r.type === ROLE_POLICY && r.name === name);
    assert.ok(policy, `RolePolicy ${name}`);
    return JSON.parse(policy.inputs.policy);
}

describe("the typed config", () => {
    const project = loadProject();

    test("Pulumi.yaml declares a type, a default and a description for every key", () => {
        assert.equal(project.name, PROJECT);
        assert.deepEqual(Object.keys(project.config).sort(), [...KEYS].sort());
        for (const [key, declaration] of Object.entries(project.config)) {
            assert.ok(declaration.description, `${key} has a description`);
            assert.ok("default" in declaration, `${key} has a default (a key without one must be set on every stack)`);
            assert.ok(satisfiesType(declaration, declaration.default, false), `${key}'s default is a ${declaration.type}`);
        }
    });

    test("its defaults are the component's defaults", () => {
        const defaults = Object.fromEntries(Object.entries(project.config).map(([key, d]) => [key, d.default]));
        for (const [key, value] of Object.entries(DEFAULTS)) {
            const declared = key === "templates" ? JSON.parse(defaults[key] as string) : defaults[key];
            assert.deepEqual(declared, value, key);
        }
        for (const unset of ["temperature", "topP", "systemPrompt"]) assert.equal(defaults[unset], "", unset);
        assert.equal(defaults.reservedConcurrency, -1);
    });

    for (const stack of ["dev", "prod"]) {
        test(`Pulumi.${stack}.yaml satisfies it`, () => {
            assert.deepEqual(stackConfigProblems(stack, loadStackFile(stack), project), []);
        });
    }

    test("a value of the wrong type or an undeclared key is refused, as the CLI would", () => {
        assert.deepEqual(stackConfigProblems("dev", { "bedrock-streamer:maxTokens": "many", "bedrock-streamer:modelID": "x" }, project), [
            "Stack 'dev' with configuration key 'maxTokens' must be of type 'integer'",
            "Stack 'dev' uses configuration value 'bedrock-streamer:modelID' which is not defined by the project configuration",
        ]);
        assert.deepEqual(stackConfigProblems("dev", { "bedrock-streamer:allowedStoryTypes": ["CATS", 7] }, project), [
            "Stack 'dev' with configuration key 'allowedStoryTypes' must be of type 'array'",
        ]);
    });

    test("prod keeps logs longer than dev, caps concurrency and takes only signed callers", () => {
        const dev = programConfig("dev");
        const prod = programConfig("prod");
        assert.ok(Number(setting(prod, "logRetentionDays")) > Number(setting(dev, "logRetentionDays")));
        assert.ok(Number(setting(prod, "reservedConcurrency")) > 0);
        assert.equal(setting(prod, "authType"), "AWS_IAM");
    });
});

/**
 * The model both shipped stacks stream from. Bedrock model card "Claude Haiku 5.5", read 2026-11-29:
 * Active, no end-of-life date; offered in us-east-1 and us-west-2 through the `us.` profile.
 */
const SHIPPED_MODEL = "anthropic.claude-haiku-5-5";

/**
 * The project's default, Claude 3 Haiku: Bedrock model card read 2026-11-29, end of life on
 * 2026-09-10 in every region but these (Legacy in ap-northeast-2).
 */
const DEFAULT_MODEL_SERVED_IN = ["ca-central-1", "eu-central-2", "sa-east-1", "ap-northeast-2"];

for (const stack of ["dev", "prod"]) {
    test(`Pulumi.${stack}.yaml streams from a model its region still serves, not the end-of-life default`, () => {
        const config = programConfig(stack);
        assert.equal(setting(config, "modelId"), `us.${SHIPPED_MODEL}`);
        assert.notEqual(setting(config, "modelId"), DEFAULTS.modelId);
        assert.ok(!DEFAULT_MODEL_SERVED_IN.includes(config["aws:region"]), "the region is one where the default is gone");
        // A thinking model refuses a changed temperature or topP.
        assert.equal(setting(config, "temperature"), "");
        assert.equal(setting(config, "topP"), "");
    });
}

for (const stack of ["dev", "prod"]) {
    describe(`the ${stack} stack`, () => {
        let config: Record<string, string>;
        let run: ProgramRun;
        before(async () => {
            config = programConfig(stack, { codeZip: zip });
            run = await runProgram(stack, config);
        });

        test("serves the function through a streaming Function URL with the configured auth", () => {
            const url = run.only(FUNCTION_URL).inputs;
            assert.equal(url.invokeMode, "RESPONSE_STREAM");
            assert.equal(url.authorizationType, setting(config, "authType"));
            assert.equal(url.functionName, run.outputs.functionName);
        });

        test("runs the built package on provided.al2023 with the configured size, time, architecture and concurrency", async () => {
            const fn = run.only(FUNCTION).inputs;
            assert.equal(fn.runtime, "provided.al2023");
            assert.equal(fn.handler, "bootstrap");
            assert.equal(await fn.code.path, zip);
            assert.deepEqual(fn.architectures, [setting(config, "architecture")]);
            assert.equal(fn.memorySize, Number(setting(config, "memorySize")));
            assert.equal(fn.timeout, Number(setting(config, "timeout")));
            assert.equal(fn.reservedConcurrentExecutions, Number(setting(config, "reservedConcurrency")));
        });

        test("every STREAMER_* variable carries its config value, and unset keys set none", () => {
            const env = run.only(FUNCTION).inputs.environment.variables as Record<string, string>;
            const expected = expectedEnvironment(config);
            assert.deepEqual(Object.keys(env).sort(), Object.keys(expected).sort());
            for (const [variable, value] of Object.entries(expected)) {
                if (variable === "STREAMER_TEMPLATES") assert.deepEqual(JSON.parse(env[variable]), JSON.parse(value));
                else assert.equal(env[variable], value, variable);
            }
        });

        test("keeps logs for logRetentionDays in a group created before the function and wired to it", () => {
            const group = run.only(LOG_GROUP);
            assert.equal(group.inputs.retentionInDays, Number(setting(config, "logRetentionDays")));
            assert.equal(group.inputs.name, `/aws/lambda/bedrock-streamer-${stack}`);
            assert.ok(run.resources.indexOf(group) < run.resources.indexOf(run.only(FUNCTION)));
            assert.deepEqual(run.only(FUNCTION).inputs.loggingConfig, { logFormat: "Text", logGroup: group.inputs.name });
        });

        test("may invoke exactly the configured profile, and its model only through it, and nothing with '*'", () => {
            const region = config["aws:region"];
            const policy = policyOf(run, "bedrock-streamer-invoke-model");
            assert.deepEqual(policy.Statement.flatMap((s) => s.Resource), [
                `arn:aws:bedrock:${region}:${ACCOUNT_ID}:inference-profile/us.${SHIPPED_MODEL}`,
                ...[region, ...["us-east-1", "us-east-2", "us-west-1", "us-west-2"].filter((r) => r !== region)].map(
                    (r) => `arn:aws:bedrock:${r}::foundation-model/${SHIPPED_MODEL}`,
                ),
            ]);
            for (const statement of policy.Statement) assert.deepEqual(statement.Action, ["bedrock:InvokeModelWithResponseStream"]);
            assert.ok(!JSON.stringify(policy).includes("*"));
        });

        test("writes logs only to its own log group", () => {
            const policy = policyOf(run, "bedrock-streamer-write-logs");
            assert.deepEqual(policy.Statement.flatMap((s) => s.Resource), [
                `arn:aws:logs:${config["aws:region"]}:${ACCOUNT_ID}:log-group:/aws/lambda/bedrock-streamer-${stack}:*`,
            ]);
        });

        test("grants its permissions before the function exists, so the first invocation is allowed", () => {
            const fn = run.resources.indexOf(run.only(FUNCTION));
            for (const policy of run.resources.filter((r) => r.type === ROLE_POLICY)) {
                assert.ok(run.resources.indexOf(policy) < fn, policy.name);
            }
        });

        test("allows browsers from corsAllowOrigins only", () => {
            const origins = JSON.parse(setting(config, "corsAllowOrigins")) as string[];
            const cors = run.only(FUNCTION_URL).inputs.cors;
            if (origins.length === 0) assert.equal(cors, undefined);
            else assert.deepEqual({ origins: cors.allowOrigins, methods: cors.allowMethods }, { origins, methods: ["POST"] });
        });

        test("exports url, functionName, region, authType and modelId", () => {
            assert.deepEqual(run.outputs, {
                url: `https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.${config["aws:region"]}.on.aws/`,
                functionName: "bedrock-streamer-4d5e6f7",
                logGroupName: `/aws/lambda/bedrock-streamer-${stack}`,
                region: config["aws:region"],
                authType: setting(config, "authType"),
                modelId: setting(config, "modelId"),
            });
        });
    });
}

describe("changing the model (pulumi config set modelId …)", () => {
    const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
    const resourcesFor = async (modelId: string) => {
        const run = await runProgram("prod", programConfig("prod", { codeZip: zip, modelId }));
        assert.equal((run.only(FUNCTION).inputs.environment.variables as Record<string, string>).STREAMER_MODEL_ID, modelId);
        const policy = policyOf(run, "bedrock-streamer-invoke-model");
        assert.ok(!JSON.stringify(policy).includes("*"), "no wildcard");
        return policy.Statement.flatMap((s) => s.Resource);
    };

    test("a plain model id: that foundation model in the stack's region", async () => {
        assert.deepEqual(await resourcesFor(HAIKU), [`arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`]);
    });

    test("a us. inference profile: the profile in the stack's region and account, plus the model wherever it routes", async () => {
        assert.deepEqual(await resourcesFor(`us.${HAIKU}`), [
            `arn:aws:bedrock:us-west-2:${ACCOUNT_ID}:inference-profile/us.${HAIKU}`,
            `arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`,
            `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
            `arn:aws:bedrock:us-east-2::foundation-model/${HAIKU}`,
            `arn:aws:bedrock:us-west-1::foundation-model/${HAIKU}`,
        ]);
    });

    test("a full ARN: exactly that ARN", async () => {
        const arn = `arn:aws:bedrock:us-west-2:${ACCOUNT_ID}:application-inference-profile/k3x9stories`;
        assert.deepEqual(await resourcesFor(arn), [arn]);
    });
});

describe("changing the auth (pulumi config set authType …)", () => {
    test("NONE makes the URL public, with a warning", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, authType: "NONE", reservedConcurrency: 3 }));
        assert.equal(run.only(FUNCTION_URL).inputs.authorizationType, "NONE");
        assert.equal(run.outputs.authType, "NONE");
        assert.equal(run.warnings.length, 1);
        assert.match(run.warnings[0], /authType NONE: the Function URL is public.*reservedConcurrency \(3\)/);
    });

    test("AWS_IAM warns about nothing", async () => {
        const run = await runProgram("prod", programConfig("prod", { codeZip: zip }));
        assert.deepEqual(run.warnings, []);
    });

    test("an unset reservedConcurrency (-1) reserves none", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, reservedConcurrency: -1 }));
        assert.equal(run.only(FUNCTION).inputs.reservedConcurrentExecutions, undefined);
    });
});

describe("the architecture", () => {
    test("x86_64 is passed to Lambda as configured", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, architecture: "x86_64" }));
        assert.deepEqual(run.only(FUNCTION).inputs.architectures, ["x86_64"]);
    });
});
