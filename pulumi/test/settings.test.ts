// How the handler's settings become the function's STREAMER_* environment, and the values the
// handler would refuse at cold start, caught here before a deploy.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";

import { environmentBytes, handlerEnvironment, type HandlerSettings, settingsProblems, storyTypeKey, storyTypeProblem } from "../settings";
import { DEFAULTS } from "../streamerArgs";
import { PROGRAM_DIR } from "./support/pulumiCli";

const REPO = path.resolve(PROGRAM_DIR, "..");

const minimal: HandlerSettings = {
    modelId: "anthropic.claude-3-haiku-20240307-v1:0",
    models: {},
    maxTokens: 512,
    maxTokensCap: 2048,
    defaultTemplate: "Tell me a very short story about: {storyType}",
    templates: {},
    allowedStoryTypes: [],
    logLevel: "info",
};

describe("the environment", () => {
    test("optional settings left unset add no variable at all", () => {
        assert.deepEqual(handlerEnvironment(minimal, 55), {
            STREAMER_MODEL_ID: "anthropic.claude-3-haiku-20240307-v1:0",
            STREAMER_MAX_TOKENS: "512",
            STREAMER_MAX_TOKENS_CAP: "2048",
            STREAMER_DEFAULT_TEMPLATE: "Tell me a very short story about: {storyType}",
            STREAMER_DEADLINE_SECS: "55",
            STREAMER_LOG_LEVEL: "info",
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

    test("names only variables the handler reads (it refuses unknown STREAMER_* names at start)", () => {
        const source = fs.readFileSync(path.join(REPO, "handler/src/settings.rs"), "utf8");
        const keys = /const KEYS: \[&str; \d+\] = \[([^\]]*)\]/.exec(source);
        assert.ok(keys, "handler/src/settings.rs declares its KEYS");
        const known = [...keys[1].matchAll(/"([a-z_]+)"/g)].map(([, key]) => `STREAMER_${key.toUpperCase()}`).sort();
        const everything = handlerEnvironment(
            { ...minimal, temperature: 0.5, topP: 0.5, systemPrompt: "x", templates: { A: "{storyType}" }, allowedStoryTypes: ["A"] },
            10,
        );
        assert.deepEqual(Object.keys(everything).sort(), known);
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
        assert.equal(DEFAULTS.logLevel, value("log_level"));
    });

    test("its size is the UTF-8 bytes of its JSON form, at least what Lambda counts", () => {
        assert.equal(environmentBytes({ A: "b" }), '{"A":"b"}'.length);
        assert.equal(environmentBytes({ A: "é" }), '{"A":""}'.length + 2);
    });
});

describe("what the handler would refuse at cold start", () => {
    const cases: [string, Partial<HandlerSettings>, RegExp][] = [
        ["a default template without the placeholder", { defaultTemplate: "Tell me a story" }, /defaultTemplate must contain \{storyType\}/],
        ["a story template without the placeholder", { templates: { CATS: "Cats!" } }, /templates\.CATS must be text containing \{storyType\}/],
        ["a cap below the default", { maxTokens: 600, maxTokensCap: 500 }, /maxTokensCap \(500\) is below maxTokens \(600\)/],
        ["maxTokens of zero", { maxTokens: 0 }, /maxTokens must be a whole number of at least 1, got 0/],
        ["a fractional maxTokensCap", { maxTokensCap: 2.5 }, /maxTokensCap must be a whole number/],
        ["a temperature above 1", { temperature: 1.5 }, /temperature must be a number from 0 to 1, got 1.5/],
        ["a negative topP", { topP: -0.1 }, /topP must be a number from 0 to 1, got -0.1/],
        ["an unknown log level", { logLevel: "loud" as HandlerSettings["logLevel"] }, /logLevel must be one of error, warn, info, debug, trace/],
    ];
    for (const [what, change, message] of cases) {
        test(what, () => {
            const problems = settingsProblems({ ...minimal, ...change });
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], message);
        });
    }

    test("story types no request could ever match", () => {
        assert.deepEqual(settingsProblems({ ...minimal, allowedStoryTypes: ["CATS", "cats.dogs", ""] }), [
            "allowedStoryTypes entry \"cats.dogs\" is not a storyType: may contain only letters, digits, combining marks, space, '-' and '_'; found '.' (U+002E)",
            'allowedStoryTypes entry "" is not a storyType: must be 1 to 64 characters long; got 0',
        ]);
        assert.match(settingsProblems({ ...minimal, templates: { "a/b": "{storyType}" } })[0], /templates key "a\/b" can never match a storyType/);
    });

    test("story types of every script are fine", () => {
        assert.deepEqual(settingsProblems({ ...minimal, allowedStoryTypes: ["बिल्ली", "ไก่", "cafe\u0301", "می\u200Cخواهم"] }), []);
    });

    test("template keys that are one story type (the handler ignores case and composition)", () => {
        assert.match(settingsProblems({ ...minimal, templates: { Cats: "{storyType}", CATS: "{storyType}!" } })[0], /differ only in case/);
        assert.match(settingsProblems({ ...minimal, templates: { "café": "{storyType}", "CAFE\u0301": "{storyType}!" } })[0], /differ only in case/);
    });

    test("the defaults themselves are fine", () => {
        assert.deepEqual(settingsProblems(minimal), []);
    });
});

// The same cases the handler's tests run (handler/tests/settings_cases.rs).
describe("the storyType rule shared with the handler (config/settings-cases.json)", () => {
    const cases = JSON.parse(fs.readFileSync(path.join(REPO, "config/settings-cases.json"), "utf8")) as {
        storyTypes: { valid: { value: string; nfc?: string }[]; invalid: { value: string; problem: string }[] };
    };

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
});
