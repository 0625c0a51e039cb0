// The dev and prod stacks as `pulumi up` would deploy them: Pulumi.yaml's defaults merged with
// Pulumi.<stack>.yaml, run through the real program (index.ts) under Pulumi's mocks.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import { GATEWAY_KEYS } from "../settings";
import { DEFAULTS } from "../streamerArgs";
import { ACCOUNT_ID, APPLICATION_PROFILE, FOREIGN_PROFILE, GUARDRAIL_ID, PROFILE_DESTINATIONS, type ProgramRun, runProgram } from "./support/program";
import { loadProject, loadStackFile, PROGRAM_DIR, PROJECT, programConfig, satisfiesType, stackConfigProblems } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

const FUNCTION = "aws:lambda/function:Function";
const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const PERMISSION = "aws:lambda/permission:Permission";
/** The name the mocks give an auto-named log group (support/program.ts), as AWS would return it. */
const AUTO_NAMED_LOG_GROUP = "bedrock-streamer-logs-8a9b0c1";
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
    models: "STREAMER_MODELS",
    defaultModel: "STREAMER_DEFAULT_MODEL",
    allowedStoryTypes: "STREAMER_ALLOWED_STORY_TYPES",
    keepAliveSecs: "STREAMER_KEEP_ALIVE_SECS",
    logLevel: "STREAMER_LOG_LEVEL",
    page: "STREAMER_PAGE",
    chat: "STREAMER_CHAT",
    chatSystemPrompt: "STREAMER_CHAT_SYSTEM_PROMPT",
    systemPromptParameter: "STREAMER_SYSTEM_PROMPT_PARAMETER",
    chatSystemPromptParameter: "STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER",
    chatMaxMessages: "STREAMER_CHAT_MAX_MESSAGES",
    chatMaxMessageChars: "STREAMER_CHAT_MAX_MESSAGE_CHARS",
    chatMaxTotalChars: "STREAMER_CHAT_MAX_TOTAL_CHARS",
    guardrailId: "STREAMER_GUARDRAIL_ID",
    guardrailVersion: "STREAMER_GUARDRAIL_VERSION",
    guardrailStreamProcessingMode: "STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE",
};

/** The keys, plus codeZip (where `just build` leaves the package). */
const KEYS = [
    ...Object.keys(HANDLER_VARIABLES),
    // A prompt file is packed into the package; the function gets its name there (test/systemPrompt.test.ts).
    "systemPromptFile",
    "chatSystemPromptFile",
    "guardrail",
    "authType",
    "reservedConcurrency",
    "memorySize",
    "timeout",
    "architecture",
    "logRetentionDays",
    "corsAllowOrigins",
    "codeZip",
    ...GATEWAY_KEYS,
    // The daily budget (budget.ts; budgetAction also sets STREAMER_BUDGET_ACTION).
    "dailyBudgetUsd",
    "budgetEmail",
    "budgetAction",
];

const zip = packageStandIn();

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
        } else if (key === "templates" || key === "models") {
            if (Object.keys(JSON.parse(value)).length > 0) env[variable] = value;
        } else if (value !== "") {
            env[variable] = value;
        }
    }
    env.STREAMER_DEADLINE_SECS = setting(config, "timeout");
    // A guardrail the stack creates: the id Bedrock gives it and the version the stack publishes.
    if (setting(config, "guardrail") !== "") {
        env.STREAMER_GUARDRAIL_ID = GUARDRAIL_ID;
        env.STREAMER_GUARDRAIL_VERSION = "1";
    }
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

    test("docs/deploy.md's Configure table has a row for every key, starting with its Pulumi.yaml default", () => {
        const readme = fs.readFileSync(path.join(PROGRAM_DIR, "../docs/deploy.md"), "utf8");
        const table = readme.slice(readme.indexOf("| Key | Default | Sets | Meaning |"));
        const rows = table.slice(0, table.indexOf("\n\n")).split("\n");
        for (const [key, declaration] of Object.entries(project.config)) {
            const row = rows.find((line) => line.startsWith(`| \`${key}\` |`));
            assert.ok(row, `docs/deploy.md has a row for ${key}`);
            const value = declaration.default;
            const shown = typeof value === "string" ? (value === "" ? '""' : value) : JSON.stringify(value);
            const cell = row.split(" | ")[1];
            assert.ok(cell.startsWith(`\`${shown}\``), `docs/deploy.md gives ${key} the default ${cell}; Pulumi.yaml says ${shown}`);
        }
    });

    test("its defaults are the component's defaults", () => {
        const defaults = Object.fromEntries(Object.entries(project.config).map(([key, d]) => [key, d.default]));
        for (const [key, value] of Object.entries(DEFAULTS)) {
            const declared = key === "templates" || key === "models" ? JSON.parse(defaults[key] as string) : defaults[key];
            assert.deepEqual(declared, value, key);
        }
        for (const unset of [
            "temperature",
            "topP",
            "systemPrompt",
            "chatSystemPrompt",
            "systemPromptFile",
            "systemPromptParameter",
            "chatSystemPromptFile",
            "chatSystemPromptParameter",
            "defaultModel",
        ]) assert.equal(defaults[unset], "", unset);
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
 * The model both shipped stacks stream from, and the project's default (config/default.toml)
 * through its US profile. Bedrock model card "Claude Haiku 5.5", read 2026-12-07: Active, launched
 * 2026-10-07, end of life no sooner than 2027-10-07; served through inference profiles, `us.` to
 * requests made in US regions.
 */
const SHIPPED_MODEL = "anthropic.claude-haiku-5-5";

test("the project's default model is Claude Haiku 5.5's US profile, not the end-of-life Claude 3 Haiku", () => {
    assert.equal(DEFAULTS.modelId, `us.${SHIPPED_MODEL}`);
});

for (const stack of ["dev", "prod"]) {
    test(`Pulumi.${stack}.yaml streams from a model its region serves: the default's US profile, from a US region`, () => {
        const config = programConfig(stack);
        assert.equal(setting(config, "modelId"), `us.${SHIPPED_MODEL}`);
        assert.equal(setting(config, "modelId"), DEFAULTS.modelId);
        assert.match(config["aws:region"], /^us-/, "the us. profile serves requests made in US regions");
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
            assert.ok(run.resources.indexOf(group) < run.resources.indexOf(run.only(FUNCTION)));
            assert.deepEqual(run.only(FUNCTION).inputs.loggingConfig, { logFormat: "Text", logGroup: AUTO_NAMED_LOG_GROUP });
        });

        test("lets Pulumi name its log group, so two stacks or projects in one account and region never collide", () => {
            assert.equal(run.only(LOG_GROUP).inputs.name, undefined);
            assert.equal(run.only(LOG_GROUP).inputs.namePrefix, undefined);
            assert.equal(run.outputs.logGroupName, AUTO_NAMED_LOG_GROUP);
        });

        test("may invoke exactly the configured profile, and its model only through it, and nothing with '*'", () => {
            const region = config["aws:region"];
            const policy = policyOf(run, "bedrock-streamer-invoke-model");
            assert.deepEqual(policy.Statement.flatMap((s) => s.Resource), [
                `arn:aws:bedrock:${region}:${ACCOUNT_ID}:inference-profile/us.${SHIPPED_MODEL}`,
                ...PROFILE_DESTINATIONS.us.map((r) => `arn:aws:bedrock:${r}::foundation-model/${SHIPPED_MODEL}`),
            ]);
            for (const statement of policy.Statement) assert.deepEqual(statement.Action, ["bedrock:InvokeModelWithResponseStream"]);
            assert.ok(!JSON.stringify(policy).includes("*"));
        });

        test("writes logs only to its own log group", () => {
            const policy = policyOf(run, "bedrock-streamer-write-logs");
            assert.deepEqual(policy.Statement.flatMap((s) => s.Resource), [
                `arn:aws:logs:${config["aws:region"]}:${ACCOUNT_ID}:log-group:${AUTO_NAMED_LOG_GROUP}:*`,
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
            else assert.deepEqual({ origins: cors.allowOrigins, methods: cors.allowMethods }, { origins, methods: ["GET", "POST"] });
        });

        test("exports url, functionName, region, authType and modelId", () => {
            assert.deepEqual(run.outputs, {
                url: `https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.${config["aws:region"]}.on.aws/`,
                functionName: "bedrock-streamer-4d5e6f7",
                logGroupName: AUTO_NAMED_LOG_GROUP,
                region: config["aws:region"],
                authType: setting(config, "authType"),
                modelId: setting(config, "modelId"),
            });
        });
    });
}

describe("changing the model (pulumi config set modelId …)", () => {
    const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0";
    const model = (region: string, id = SHIPPED_MODEL) => `arn:aws:bedrock:${region}::foundation-model/${id}`;
    const resourcesFor = async (modelId: string) => {
        const run = await runProgram("prod", programConfig("prod", { codeZip: zip, modelId }));
        assert.equal((run.only(FUNCTION).inputs.environment.variables as Record<string, string>).STREAMER_MODEL_ID, modelId);
        const policy = policyOf(run, "bedrock-streamer-invoke-model");
        assert.ok(!JSON.stringify(policy).includes("*"), "no wildcard");
        return policy.Statement.flatMap((s) => s.Resource);
    };

    test("a plain model id: that foundation model in the stack's region", async () => {
        assert.deepEqual(await resourcesFor(HAIKU_3), [model("us-west-2", HAIKU_3)]);
    });

    test("a global. profile: the profile, the models AWS lists for it, and the region-less model ARN", async () => {
        assert.deepEqual(await resourcesFor(`global.${SHIPPED_MODEL}`), [
            `arn:aws:bedrock:us-west-2:${ACCOUNT_ID}:inference-profile/global.${SHIPPED_MODEL}`,
            ...PROFILE_DESTINATIONS.global.map((r) => model(r)),
            `arn:aws:bedrock:::foundation-model/${SHIPPED_MODEL}`,
        ]);
    });

    test("a system profile as a full ARN: that ARN, plus the models AWS lists for it", async () => {
        const arn = `arn:aws:bedrock:us-west-2:${ACCOUNT_ID}:inference-profile/us.${SHIPPED_MODEL}`;
        assert.deepEqual(await resourcesFor(arn), [arn, ...PROFILE_DESTINATIONS.us.map((r) => model(r))]);
    });

    test("an application inference profile ARN: that ARN, plus the models it routes to", async () => {
        assert.deepEqual(await resourcesFor(APPLICATION_PROFILE), [APPLICATION_PROFILE, ...PROFILE_DESTINATIONS.us.map((r) => model(r))]);
    });

    for (const [prefix, region] of [
        ["au", "ap-southeast-2"],
        ["jp", "ap-northeast-1"],
    ]) {
        test(`Claude Haiku 5.5's ${prefix}. profile from ${region}: the profile and the models of its geography only`, async () => {
            const modelId = `${prefix}.${SHIPPED_MODEL}`;
            const run = await runProgram("prod", programConfig("prod", { codeZip: zip, modelId, "aws:region": region }));
            assert.deepEqual(
                policyOf(run, "bedrock-streamer-invoke-model").Statement.flatMap((s) => s.Resource),
                [`arn:aws:bedrock:${region}:${ACCOUNT_ID}:inference-profile/${modelId}`, ...PROFILE_DESTINATIONS[prefix].map((r) => model(r))],
            );
        });
    }

    test("a profile the stack's region cannot call (eu. from us-west-2) stops the preview, naming the key", async () => {
        await assert.rejects(
            runProgram("prod", programConfig("prod", { codeZip: zip, modelId: `eu.${SHIPPED_MODEL}` })),
            /modelId eu\.anthropic\.claude-haiku-5-5 cannot be called from us-west-2: Bedrock has no such inference profile there/,
        );
    });

    test("a profile the deploying identity may not look up stops the preview naming that permission, not a missing profile", async () => {
        const refusal = runProgram("prod", programConfig("prod", { codeZip: zip, modelId: FOREIGN_PROFILE }));
        await assert.rejects(refusal, /modelId arn:aws:bedrock:us-west-2:210987654321:application-inference-profile\/shared9q could not be looked up in us-west-2: the deploying identity may not call bedrock:GetInferenceProfile/);
        await assert.rejects(refusal, (error: Error) => !error.message.includes("no such inference profile"));
    });
});

describe("several models (pulumi config set models …)", () => {
    const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0";
    const model = (region: string, id = SHIPPED_MODEL) => `arn:aws:bedrock:${region}::foundation-model/${id}`;
    const profile = (id: string) => `arn:aws:bedrock:us-west-2:${ACCOUNT_ID}:inference-profile/${id}`;
    const withModels = (models: object, defaultModel = "") =>
        runProgram("prod", programConfig("prod", { codeZip: zip, modelId: DEFAULTS.modelId, models: JSON.stringify(models), defaultModel }));
    const environmentOf = (run: ProgramRun) => run.only(FUNCTION).inputs.environment.variables as Record<string, string>;

    test("one alias: STREAMER_MODELS and its alias as STREAMER_DEFAULT_MODEL, no STREAMER_MODEL_ID, and only that model granted", async () => {
        const models = { stories: { modelId: `us.${SHIPPED_MODEL}`, maxTokens: 400, reasoning: "hide" } };
        const run = await withModels(models);
        const env = environmentOf(run);
        assert.deepEqual(JSON.parse(env.STREAMER_MODELS), models);
        assert.equal(env.STREAMER_DEFAULT_MODEL, "stories");
        assert.equal(env.STREAMER_MODEL_ID, undefined);
        assert.deepEqual(policyOf(run, "bedrock-streamer-invoke-model"), {
            Version: "2012-10-17",
            Statement: [
                { Effect: "Allow", Action: ["bedrock:InvokeModelWithResponseStream"], Resource: [profile(`us.${SHIPPED_MODEL}`)] },
                {
                    Effect: "Allow",
                    Action: ["bedrock:InvokeModelWithResponseStream"],
                    Resource: PROFILE_DESTINATIONS.us.map((r) => model(r)),
                    Condition: { ArnEquals: { "bedrock:InferenceProfileArn": profile(`us.${SHIPPED_MODEL}`) } },
                },
            ],
        });
        assert.equal(run.outputs.modelId, `us.${SHIPPED_MODEL}`);
    });

    test("three aliases (a foundation id, a us. profile, a global. profile): exactly their union, each profile's models only through it", async () => {
        const models = {
            classic: { modelId: HAIKU_3 },
            fast: { modelId: `us.${SHIPPED_MODEL}`, additionalModelRequestFields: { thinking: { type: "disabled" } } },
            anywhere: { modelId: `global.${SHIPPED_MODEL}`, reasoning: "show", maxTokensCap: 1024 },
        };
        const run = await withModels(models, "fast");
        const env = environmentOf(run);
        assert.deepEqual(JSON.parse(env.STREAMER_MODELS), models);
        assert.equal(env.STREAMER_DEFAULT_MODEL, "fast");
        assert.deepEqual(policyOf(run, "bedrock-streamer-invoke-model").Statement, [
            {
                Effect: "Allow",
                Action: ["bedrock:InvokeModelWithResponseStream"],
                Resource: [model("us-west-2", HAIKU_3), profile(`us.${SHIPPED_MODEL}`), profile(`global.${SHIPPED_MODEL}`)],
            },
            {
                Effect: "Allow",
                Action: ["bedrock:InvokeModelWithResponseStream"],
                Resource: PROFILE_DESTINATIONS.us.map((r) => model(r)),
                Condition: { ArnEquals: { "bedrock:InferenceProfileArn": profile(`us.${SHIPPED_MODEL}`) } },
            },
            {
                Effect: "Allow",
                Action: ["bedrock:InvokeModelWithResponseStream"],
                Resource: [...PROFILE_DESTINATIONS.global.map((r) => model(r)), `arn:aws:bedrock:::foundation-model/${SHIPPED_MODEL}`],
                Condition: { ArnEquals: { "bedrock:InferenceProfileArn": profile(`global.${SHIPPED_MODEL}`) } },
            },
        ]);
        assert.equal(run.outputs.modelId, `us.${SHIPPED_MODEL}`);
        assert.deepEqual(run.warnings, []);
    });

    test("temperature and topP on one alias: a warning naming it, and the deploy goes on", async () => {
        const run = await withModels({ classic: { modelId: HAIKU_3, temperature: 0.7, topP: 0.9 } });
        assert.deepEqual(run.warnings, [
            "models.classic sets both temperature and topP; current Claude models refuse the two together (Bedrock answers 400): drop one of them",
        ]);
    });

    test("the models map counts toward Lambda's 4 KB environment", async () => {
        const models = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`story-model-${i}`, { modelId: `us.${SHIPPED_MODEL}`, maxTokens: 512 }]));
        await assert.rejects(withModels(models, "story-model-0"), /the function's environment is \d+ bytes, over Lambda's 4096-byte limit; shorten templates, defaultTemplate or models, or move a long systemPrompt/);
    });
});

describe("the log level", () => {
    test("trace: a warning that the prompt and the SDK's lines go to the logs, and how long they stay", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, logLevel: "TRACE" }));
        assert.deepEqual(run.warnings, [
            "logLevel trace: every request writes the prompt (story type and system prompt included) and the HTTP client's debug lines to CloudWatch Logs, " +
                "kept 7 days and readable by anyone who may read the log group. Use it to investigate, then set it back: `pulumi config set logLevel info`.",
        ]);
    });

    test("debug (the dev stack's) warns about nothing", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip }));
        assert.deepEqual(run.warnings, []);
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

    test("NONE: the stack itself grants the two public statements a URL needs, so they are in its state", async () => {
        // The provider adds its own only when it creates a URL with NONE: a stack switched to NONE
        // later would answer 403 to everyone without these.
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, authType: "NONE", reservedConcurrency: 3 }));
        const statements = run.resources.filter((r) => r.type === PERMISSION).map((r) => r.inputs);
        const functionName = run.outputs.functionName;
        assert.deepEqual(statements, [
            { function: functionName, principal: "*", statementId: "BedrockStreamerPublicUrl", action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE" },
            { function: functionName, principal: "*", statementId: "BedrockStreamerPublicInvokeViaUrl", action: "lambda:InvokeFunction", invokedViaFunctionUrl: true },
        ]);
    });

    test("switching back to AWS_IAM drops them: no public statement in an AWS_IAM stack", async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, authType: "AWS_IAM" }));
        assert.deepEqual(run.resources.filter((r) => r.type === PERMISSION), []);
    });

    test('NONE with corsAllowOrigins "*": a second warning, that any web page can spend the account\'s tokens', async () => {
        const run = await runProgram("dev", programConfig("dev", { codeZip: zip, authType: "NONE", reservedConcurrency: 3, corsAllowOrigins: ["*"] }));
        assert.equal(run.warnings.length, 2);
        assert.match(run.warnings[1], /^corsAllowOrigins "\*" on a public \(authType NONE\) URL: any web page, in any visitor's browser, can call it/);
        assert.match(run.warnings[1], /pulumi config set --path 'corsAllowOrigins\[0\]' https:\/\/example\.com/);
    });

    test('AWS_IAM with corsAllowOrigins "*" warns about nothing: every call is still signed', async () => {
        const run = await runProgram("prod", programConfig("prod", { codeZip: zip, corsAllowOrigins: ["*"] }));
        assert.deepEqual(run.warnings, []);
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
