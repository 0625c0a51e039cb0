// How the handler's settings become the function's STREAMER_* environment, and the values the
// handler would refuse at cold start, caught here before a deploy.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";

import { parse } from "smol-toml";

import {
    configuredModels,
    corsEnvironment,
    environmentBytes,
    handlerEnvironment,
    type HandlerSettings,
    MAX_SYSTEM_PROMPT_CHARS,
    RESOURCE_DEFAULTS,
    resourceProblems,
    reviewModels,
    settingsProblems,
    storyTypeKey,
    storyTypeProblem,
} from "../settings";
import { classifyModel } from "../policy";
import { DEFAULTS } from "../streamerArgs";
import { PROGRAM_DIR } from "./support/pulumiCli";
import { tempDir } from "./support/tempDir";

const REPO = path.resolve(PROGRAM_DIR, "..");

const minimal: HandlerSettings = {
    modelId: "anthropic.claude-3-haiku-20240307-v1:0",
    models: {},
    maxTokens: 512,
    maxTokensCap: 2048,
    defaultTemplate: "Tell me a very short story about: {storyType}",
    templates: {},
    allowedStoryTypes: [],
    keepAliveSecs: 15,
    logLevel: "info",
    page: true,
    chat: true,
    chatMaxMessages: 100,
    chatMaxMessageChars: 32000,
    chatMaxTotalChars: 100000,
    guardrailStreamProcessingMode: "sync",
};

describe("the environment", () => {
    test("optional settings left unset add no variable at all", () => {
        assert.deepEqual(handlerEnvironment(minimal, 55), {
            STREAMER_MODEL_ID: "anthropic.claude-3-haiku-20240307-v1:0",
            STREAMER_MAX_TOKENS: "512",
            STREAMER_MAX_TOKENS_CAP: "2048",
            STREAMER_DEFAULT_TEMPLATE: "Tell me a very short story about: {storyType}",
            STREAMER_DEADLINE_SECS: "55",
            STREAMER_KEEP_ALIVE_SECS: "15",
            STREAMER_LOG_LEVEL: "info",
            STREAMER_PAGE: "true",
            STREAMER_CHAT: "true",
            STREAMER_CHAT_MAX_MESSAGES: "100",
            STREAMER_CHAT_MAX_MESSAGE_CHARS: "32000",
            STREAMER_CHAT_MAX_TOTAL_CHARS: "100000",
            STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE: "sync",
        });
    });

    test("every setting becomes its STREAMER_* variable, in the form the handler parses", () => {
        const env = handlerEnvironment(
            {
                ...minimal,
                temperature: 0.7,
                topP: 0.9,
                systemPrompt: "Be kind.",
                templates: { CATS: "A poem about {storyType}", "sea otters": "A tale of {storyType}" },
                allowedStoryTypes: ["CATS", "sea otters"],
            },
            115,
        );
        assert.equal(env.STREAMER_TEMPERATURE, "0.7");
        assert.equal(env.STREAMER_TOP_P, "0.9");
        assert.equal(env.STREAMER_SYSTEM_PROMPT, "Be kind.");
        assert.deepEqual(JSON.parse(env.STREAMER_TEMPLATES), { CATS: "A poem about {storyType}", "sea otters": "A tale of {storyType}" });
        assert.equal(env.STREAMER_ALLOWED_STORY_TYPES, "CATS,sea otters");
        assert.equal(env.STREAMER_DEADLINE_SECS, "115");
    });

    test("a prompt file is named as the package holds it, a parameter as given", () => {
        const env = handlerEnvironment({ ...minimal, systemPromptFile: "prompts/story.md", chatSystemPromptParameter: "/bedrock-streamer/chat" }, 60);
        assert.equal(env.STREAMER_SYSTEM_PROMPT_FILE, "system-prompt.txt");
        assert.equal(env.STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER, "/bedrock-streamer/chat");
        assert.deepEqual(
            [env.STREAMER_SYSTEM_PROMPT, env.STREAMER_SYSTEM_PROMPT_PARAMETER, env.STREAMER_CHAT_SYSTEM_PROMPT, env.STREAMER_CHAT_SYSTEM_PROMPT_FILE],
            [undefined, undefined, undefined, undefined],
        );
    });

    test("names only variables the handler reads (it refuses unknown STREAMER_* names at start)", () => {
        const source = fs.readFileSync(path.join(REPO, "handler/src/settings.rs"), "utf8");
        const keys = /const KEYS: \[&str; \d+\] = \[([^\]]*)\]/.exec(source);
        assert.ok(keys, "handler/src/settings.rs declares its KEYS");
        const known = [...keys[1].matchAll(/"([a-z_]+)"/g)].map(([, key]) => `STREAMER_${key.toUpperCase()}`).sort();
        const everything = {
            ...minimal,
            systemPrompt: "x",
            chatSystemPrompt: "y",
            // Not a valid stack (a prompt has one source), but every variable a source names.
            systemPromptFile: "story.txt",
            chatSystemPromptFile: "chat.txt",
            systemPromptParameter: "/story",
            chatSystemPromptParameter: "/chat",
            templates: { A: "{storyType}" },
            allowedStoryTypes: ["A"],
            guardrailId: "g1",
            guardrailVersion: "1",
        };
        // The one-model form and the models form: each names some variables, together every one.
        const oneModel = handlerEnvironment({ ...everything, temperature: 0.5, topP: 0.5 }, 10);
        const budget = { dailyBudgetUsd: 5, budgetEmail: "ops@example.com", budgetAction: "refuse" as const };
        const severalModels = handlerEnvironment({ ...everything, ...budget, models: { fast: { modelId: "m" } }, defaultModel: "fast" }, 10);
        const gatewayCors = corsEnvironment("API_KEY", ["https://example.com"]);
        // The component adds the one variable that names a resource: the budget alarm's (test/budget.test.ts).
        const named = ["STREAMER_BUDGET_ALARM"];
        assert.deepEqual([...new Set([...Object.keys(oneModel), ...Object.keys(severalModels), ...Object.keys(gatewayCors), ...named])].sort(), known);
    });

    test("the component's defaults are the handler's own (config/default.toml)", () => {
        const toml = fs.readFileSync(path.join(REPO, "config/default.toml"), "utf8");
        const value = (key: string) => {
            const line = new RegExp(`^${key} = (.*)$`, "m").exec(toml);
            assert.ok(line, `config/default.toml sets ${key}`);
            return JSON.parse(line[1]) as unknown;
        };
        assert.equal(DEFAULTS.modelId, value("model_id"));
        assert.equal(DEFAULTS.maxTokens, value("max_tokens"));
        assert.equal(DEFAULTS.maxTokensCap, value("max_tokens_cap"));
        assert.equal(DEFAULTS.defaultTemplate, value("default_template"));
        assert.equal(DEFAULTS.keepAliveSecs, value("keep_alive_secs"));
        assert.equal(DEFAULTS.logLevel, value("log_level"));
        assert.equal(DEFAULTS.chat, value("chat"));
        assert.equal(DEFAULTS.chatMaxMessages, value("chat_max_messages"));
        assert.equal(DEFAULTS.chatMaxMessageChars, value("chat_max_message_chars"));
        assert.equal(DEFAULTS.chatMaxTotalChars, value("chat_max_total_chars"));
    });

    test("docs/configuration.md gives each variable config/default.toml's default, the one place it is written", () => {
        const doc = fs.readFileSync(path.join(REPO, "docs/configuration.md"), "utf8");
        const toml = parse(fs.readFileSync(path.join(REPO, "config/default.toml"), "utf8"));
        assert.ok(Object.keys(toml).length > 0);
        for (const [key, value] of Object.entries(toml)) {
            const variable = `STREAMER_${key.toUpperCase()}`;
            const row = doc.split("\n").find((line) => line.startsWith(`| \`${variable}\` |`));
            assert.ok(row, `docs/configuration.md has a row for ${variable}`);
            const cell = row.split(" | ")[1];
            assert.ok(cell.startsWith(`\`${String(value)}\``), `docs/configuration.md gives ${variable} the default ${cell}; config/default.toml says ${String(value)}`);
        }
    });

    test("its size is the UTF-8 bytes of its JSON form, at least what Lambda counts", () => {
        assert.equal(environmentBytes({ A: "b" }), '{"A":"b"}'.length);
        assert.equal(environmentBytes({ A: "é" }), '{"A":""}'.length + 2);
    });
});

describe("what the handler would refuse at cold start", () => {
    test("every problem is listed, one line each, named by config key", () => {
        assert.deepEqual(settingsProblems({ ...minimal, maxTokens: 0, allowedStoryTypes: ["CATS", "cats.dogs", ""] }), [
            'maxTokens: expected a whole number from 1 to 4294967295, got "0"',
            "allowedStoryTypes: entry \"cats.dogs\": may contain only letters, digits, combining marks, space, '-' and '_'; found '.' (U+002E)",
            'allowedStoryTypes: entry "": must be 1 to 64 characters long; got 0',
        ]);
    });

    test("the defaults themselves are fine", () => {
        assert.deepEqual(settingsProblems(minimal), []);
    });

    test("a prompt file must be there, UTF-8, not blank and at most 100000 characters (the handler's words)", () => {
        const dir = tempDir("bedrock-streamer-prompts-");
        const file = (name: string, content: string | Buffer) => {
            fs.writeFileSync(path.join(dir, name), content);
            return path.join(dir, name);
        };
        const fine = file("fine.txt", "é".repeat(MAX_SYSTEM_PROMPT_CHARS));
        assert.deepEqual(settingsProblems({ ...minimal, systemPromptFile: fine }), [], "characters, not bytes");
        const long = file("long.txt", "a".repeat(MAX_SYSTEM_PROMPT_CHARS + 1));
        const blank = file("blank.txt", " \n");
        const latin1 = file("latin1.txt", Buffer.from([0x43, 0x68, 0xe2, 0x74]));
        const missing = path.join(dir, "missing.txt");
        assert.deepEqual(settingsProblems({ ...minimal, systemPromptFile: long, chatSystemPromptFile: blank }), [
            `systemPromptFile: ${long} holds 100001 characters, over the 100000 a system prompt may have`,
            `chatSystemPromptFile: ${blank} is empty; a system prompt needs text`,
        ]);
        assert.deepEqual(settingsProblems({ ...minimal, systemPromptFile: latin1 }), [`systemPromptFile: ${latin1} is not UTF-8 text`]);
        assert.deepEqual(settingsProblems({ ...minimal, chatSystemPromptFile: missing }), [
            `chatSystemPromptFile: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'`,
        ]);
    });
});

// The same cases the handler's tests run (handler/tests/settings_cases.rs): a rule changed on one
// side only turns the other side's suite red.
describe("the rules shared with the handler (config/settings-cases.json)", () => {
    type SettingsCase = { settings: Record<string, unknown>; key?: string; problem?: string; handlerOnly?: string };
    const cases = JSON.parse(fs.readFileSync(path.join(REPO, "config/settings-cases.json"), "utf8")) as {
        storyTypes: { valid: { value: string; nfc?: string }[]; invalid: { value: string; problem: string }[] };
        settings: { valid: SettingsCase[]; invalid: SettingsCase[] };
    };
    /** A config/default.toml key as the stack's config key: max_tokens_cap → maxTokensCap. */
    const configKey = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const settingsOf = (values: Record<string, unknown>): HandlerSettings =>
        ({ ...minimal, ...Object.fromEntries(Object.entries(values).map(([key, value]) => [configKey(key), value])) }) as HandlerSettings;
    /** Cases about STREAMER_MODELS / STREAMER_DEFAULT_MODEL: reviewModels checks those, in its own words. */
    const aboutModels = (c: SettingsCase) => "models" in c.settings || "default_model" in c.settings;
    /** What the policy's guard refuses of a model id (streamerArgs.ts runs it on every configured model). */
    const modelIdGuard = (s: HandlerSettings) =>
        configuredModels(s.modelId, s.models).flatMap(({ modelId }) => {
            try {
                classifyModel(modelId);
                return [];
            } catch (error) {
                return [(error as Error).message];
            }
        });
    /** Everything the preview would refuse: the settings, the models map and the model ids together. */
    const stackProblems = (s: HandlerSettings) => [
        ...settingsProblems(s),
        ...modelIdGuard(s),
        ...reviewModels(s.models, s.defaultModel, {
            modelId: s.modelId,
            defaultModelId: minimal.modelId,
            maxTokens: s.maxTokens,
            maxTokensCap: s.maxTokensCap,
            temperature: s.temperature,
            topP: s.topP,
        }).problems,
    ];
    /** `problem` with each `${other_key}` written as the stack names it. */
    const inStackWords = (problem: string) => problem.replace(/\$\{([a-z_]+)\}/g, (_, key: string) => configKey(key));

    test("every valid storyType is one", () => {
        assert.ok(cases.storyTypes.valid.length > 0);
        for (const { value, nfc } of cases.storyTypes.valid) {
            assert.equal(storyTypeProblem(value), undefined, JSON.stringify(value));
            assert.equal(storyTypeKey(value), (nfc ?? value).toLowerCase(), JSON.stringify(value));
        }
    });

    test("every invalid storyType has the handler's problem, word for word", () => {
        assert.ok(cases.storyTypes.invalid.length > 0);
        for (const { value, problem } of cases.storyTypes.invalid) {
            assert.equal(storyTypeProblem(value), problem, JSON.stringify(value));
        }
    });

    /** Cases about STREAMER_CORS_ALLOW_ORIGINS: the stack's corsAllowOrigins, a resource setting, checked on an API Gateway stack. */
    const aboutCors = (c: SettingsCase) => "cors_allow_origins" in c.settings;
    const gatewayStack = (origins: unknown) => ({ ...RESOURCE_DEFAULTS, region: "us-east-1", authType: "API_KEY" as const, corsAllowOrigins: origins as string[] });

    test("every valid setting passes", () => {
        const stackCases = cases.settings.valid.filter((c) => c.handlerOnly === undefined && !aboutCors(c));
        assert.ok(stackCases.length > 0);
        for (const { settings } of stackCases) {
            assert.deepEqual(stackProblems(settingsOf(settings)), [], JSON.stringify(settings));
        }
    });

    test("every invalid setting is one problem, named by its config key, in the handler's words", () => {
        const stackCases = cases.settings.invalid.filter((c) => c.handlerOnly === undefined && !aboutModels(c) && !aboutCors(c));
        assert.ok(stackCases.length > 0);
        for (const { settings, key, problem } of stackCases) {
            assert.deepEqual(settingsProblems(settingsOf(settings)), [`${configKey(key!)}: ${inStackWords(problem!)}`], JSON.stringify(settings));
        }
    });

    test("corsAllowOrigins on an API Gateway stack passes and refuses what STREAMER_CORS_ALLOW_ORIGINS does, in its words", () => {
        const valid = cases.settings.valid.filter(aboutCors);
        const invalid = cases.settings.invalid.filter(aboutCors);
        assert.ok(valid.length > 0 && invalid.length > 0);
        for (const { settings } of valid) {
            assert.deepEqual(resourceProblems(gatewayStack(settings.cors_allow_origins)), [], JSON.stringify(settings));
        }
        for (const { settings, problem } of invalid) {
            assert.deepEqual(resourceProblems(gatewayStack(settings.cors_allow_origins)), [`corsAllowOrigins ${problem!}`], JSON.stringify(settings));
        }
    });

    test("an origin with a comma, which JavaScript's URL takes, is refused: the function gets the origins comma-separated", () => {
        assert.deepEqual(resourceProblems(gatewayStack(["https://a,b.example"])), [
            'corsAllowOrigins entry "https://a,b.example" holds ",", which separates the origins the function is given',
        ]);
    });

    test("an alias's price is refused in the handler's words", () => {
        const priceCases = cases.settings.invalid.filter((c) => aboutModels(c) && c.problem!.startsWith('alias "fast": price'));
        assert.ok(priceCases.length > 0);
        for (const { settings, problem } of priceCases) {
            const words = problem!.slice('alias "fast": '.length);
            assert.deepEqual(stackProblems(settingsOf(settings)), [`models.fast.${words}`], JSON.stringify(settings));
        }
    });

    test("every invalid models setting stops the preview too", () => {
        const stackCases = cases.settings.invalid.filter((c) => c.handlerOnly === undefined && aboutModels(c));
        assert.ok(stackCases.length > 0);
        for (const { settings } of stackCases) {
            assert.notDeepEqual(stackProblems(settingsOf(settings)), [], JSON.stringify(settings));
        }
    });
});
