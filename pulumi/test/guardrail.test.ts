// The stack's guardrail under Pulumi's mocks: created (a Guardrail and its published version) or
// named (an id and version), carried by every call (STREAMER_GUARDRAIL_*), and the role's one
// bedrock:ApplyGuardrail grant on exactly that guardrail's ARN; nothing at all when unset.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ACCOUNT_ID, GUARDRAIL_ID, type ProgramRun, runProgram } from "./support/program";
import { programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

const GUARDRAIL = "aws:bedrock/guardrail:Guardrail";
const GUARDRAIL_VERSION = "aws:bedrock/guardrailVersion:GuardrailVersion";
const FUNCTION = "aws:lambda/function:Function";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

const zip = packageStandIn();

const SPEC = {
    contentFilters: { VIOLENCE: "HIGH", PROMPT_ATTACK: "HIGH" },
    deniedTopics: [{ name: "Graphic violence", definition: "Gore and cruelty.", examples: ["A story full of blood"] }],
    blockedInputMessage: "Not that story.",
    blockedOutputMessage: "This story stops here.",
};

function dev(changes: Record<string, unknown>): Promise<ProgramRun> {
    return runProgram("dev", programConfig("dev", { codeZip: zip, ...changes }));
}

const variables = (run: ProgramRun): Record<string, string> => run.only(FUNCTION).inputs.environment.variables;

/** Every statement of every inline policy of the role that grants `action`. */
function grantsOf(run: ProgramRun, action: string): { policy: string; Resource: string[] }[] {
    return run.resources
        .filter((r) => r.type === ROLE_POLICY)
        .flatMap((r) => (JSON.parse(r.inputs.policy).Statement as { Action: string[]; Resource: string[] }[]).map((s) => ({ ...s, policy: r.name })))
        .filter((s) => s.Action.includes(action));
}

describe("no guardrail key set", () => {
    test("creates nothing, grants nothing and names none", async () => {
        const run = await dev({});
        assert.equal(run.resources.filter((r) => r.type === GUARDRAIL || r.type === GUARDRAIL_VERSION).length, 0);
        assert.deepEqual(grantsOf(run, "bedrock:ApplyGuardrail"), []);
        assert.equal(run.resources.filter((r) => r.name.endsWith("apply-guardrail")).length, 0);
        assert.equal(variables(run).STREAMER_GUARDRAIL_ID, undefined);
        assert.equal(variables(run).STREAMER_GUARDRAIL_VERSION, undefined);
    });
});

describe("a guardrail the stack creates", () => {
    test("is a Guardrail with the spec's filters, topics and messages, and a version published from it", async () => {
        const run = await dev({ guardrail: JSON.stringify(SPEC) });
        const guardrail = run.only(GUARDRAIL).inputs;
        assert.deepEqual(guardrail.contentPolicyConfig.filtersConfigs, [
            { type: "VIOLENCE", inputStrength: "HIGH", outputStrength: "HIGH" },
            { type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE" },
        ]);
        assert.deepEqual(guardrail.topicPolicyConfig.topicsConfigs, [
            { name: "Graphic violence", definition: "Gore and cruelty.", examples: ["A story full of blood"], type: "DENY" },
        ]);
        assert.equal(guardrail.blockedInputMessaging, "Not that story.");
        assert.equal(guardrail.blockedOutputsMessaging, "This story stops here.");
        const arn = `arn:aws:bedrock:us-east-1:${ACCOUNT_ID}:guardrail/${GUARDRAIL_ID}`;
        assert.equal(run.only(GUARDRAIL_VERSION).inputs.guardrailArn, arn);
    });

    test("is what every call carries: its id and published version, sync unless set", async () => {
        const run = await dev({ guardrail: JSON.stringify(SPEC) });
        const env = variables(run);
        assert.deepEqual(
            [env.STREAMER_GUARDRAIL_ID, env.STREAMER_GUARDRAIL_VERSION, env.STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE],
            [GUARDRAIL_ID, "1", "sync"],
            "the published version, never the DRAFT",
        );
    });

    test("is the one guardrail the role may apply", async () => {
        const run = await dev({ guardrail: JSON.stringify(SPEC), guardrailStreamProcessingMode: "async" });
        assert.deepEqual(grantsOf(run, "bedrock:ApplyGuardrail"), [
            {
                policy: "bedrock-streamer-apply-guardrail",
                Effect: "Allow",
                Action: ["bedrock:ApplyGuardrail"],
                Resource: [`arn:aws:bedrock:us-east-1:${ACCOUNT_ID}:guardrail/${GUARDRAIL_ID}`],
            },
        ]);
        assert.equal(variables(run).STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE, "async");
    });

    test("a changed spec publishes a new version (its digest is in the version's description)", async () => {
        const one = (await dev({ guardrail: JSON.stringify(SPEC) })).only(GUARDRAIL_VERSION).inputs.description;
        const other = (await dev({ guardrail: JSON.stringify({ ...SPEC, blockedInputMessage: "No." }) })).only(GUARDRAIL_VERSION).inputs.description;
        assert.notEqual(one, other);
    });
});

describe("a guardrail the stack names", () => {
    test("by id: nothing created, the role may apply that guardrail, in the stack's region and account, alone", async () => {
        const run = await dev({ guardrailId: "abc123def456", guardrailVersion: "4" });
        assert.equal(run.resources.filter((r) => r.type === GUARDRAIL || r.type === GUARDRAIL_VERSION).length, 0);
        assert.deepEqual(
            grantsOf(run, "bedrock:ApplyGuardrail").map((s) => s.Resource),
            [[`arn:aws:bedrock:us-east-1:${ACCOUNT_ID}:guardrail/abc123def456`]],
        );
        assert.deepEqual([variables(run).STREAMER_GUARDRAIL_ID, variables(run).STREAMER_GUARDRAIL_VERSION], ["abc123def456", "4"]);
    });

    test("by ARN: the ARN as given", async () => {
        const arn = "arn:aws:bedrock:us-east-1:210987654321:guardrail/shared7";
        const run = await dev({ guardrailId: arn, guardrailVersion: "DRAFT" });
        assert.deepEqual(grantsOf(run, "bedrock:ApplyGuardrail").map((s) => s.Resource), [[arn]]);
    });

    test("the model policy grants no guardrail, and no policy grants any other guardrail", async () => {
        const run = await dev({ guardrailId: "abc123def456", guardrailVersion: "4" });
        const invoke = run.resources.find((r) => r.name === "bedrock-streamer-invoke-model")!;
        assert.ok(!invoke.inputs.policy.includes("Guardrail"), invoke.inputs.policy);
        const resources = grantsOf(run, "bedrock:ApplyGuardrail").flatMap((s) => s.Resource);
        assert.ok(resources.every((r) => !/[*?$]/.test(r)), JSON.stringify(resources));
    });
});

describe("what stops the preview", () => {
    const refused = async (changes: Record<string, unknown>, line: string) => {
        await assert.rejects(dev(changes), (error: Error) => {
            assert.ok(error.message.includes(`  - ${line}`), error.message);
            return true;
        });
    };

    test("a guardrail to create and one named, together", () =>
        refused(
            { guardrail: JSON.stringify(SPEC), guardrailId: "abc123def456", guardrailVersion: "1" },
            "guardrail: creates a guardrail, while guardrailId and guardrailVersion name an existing one: set one or the other",
        ));

    test("a filter strength Bedrock does not have", () =>
        refused({ guardrail: JSON.stringify({ ...SPEC, contentFilters: { VIOLENCE: "STRICT" } }) }, 'guardrail: contentFilters.VIOLENCE: expected one of NONE, LOW, MEDIUM, HIGH; got "STRICT"'));

    test("an unknown filter, an empty blocked message, too many examples", async () => {
        const examples = ["a", "b", "c", "d", "e", "f"];
        const spec = { ...SPEC, contentFilters: { GORE: "HIGH" }, blockedOutputMessage: " ", deniedTopics: [{ name: "x", definition: "y", examples }] };
        await assert.rejects(dev({ guardrail: JSON.stringify(spec) }), (error: Error) => {
            for (const line of [
                'guardrail: contentFilters: "GORE" is not a content filter; known: HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK',
                'guardrail: blockedOutputMessage: expected 1 to 500 characters, what the caller gets instead; got " "',
                `guardrail: deniedTopics[0].examples: expected up to 5 examples of 1 to 100 characters; got ${JSON.stringify(examples)}`,
            ]) {
                assert.ok(error.message.includes(line), `${line}\n${error.message}`);
            }
            return true;
        });
    });

    test("guardrail that is not a JSON object", async () => {
        await assert.rejects(dev({ guardrail: "[1]" }), /bedrock-streamer:guardrail must be a JSON object of contentFilters, deniedTopics, blockedInputMessage and blockedOutputMessage/);
    });

    test("an id without a version, in the handler's words (config/settings-cases.json has the rest)", () =>
        refused({ guardrailId: "abc123def456" }, "guardrailVersion: must be set with guardrailId: a version number or DRAFT"));
});

describe("the prod stack", () => {
    test("ships a guardrail for stories told to a general audience, which every call carries in sync mode", async () => {
        const run = await runProgram("prod", programConfig("prod", { codeZip: zip }));
        const guardrail = run.only(GUARDRAIL).inputs;
        const strengths = Object.fromEntries(
            (guardrail.contentPolicyConfig.filtersConfigs as { type: string; inputStrength: string }[]).map((f) => [f.type, f.inputStrength]),
        );
        assert.deepEqual(strengths, { HATE: "HIGH", INSULTS: "HIGH", SEXUAL: "HIGH", VIOLENCE: "MEDIUM", MISCONDUCT: "HIGH", PROMPT_ATTACK: "HIGH" });
        const topics = (guardrail.topicPolicyConfig.topicsConfigs as { name: string; examples: string[] }[]).map((t) => t.name);
        assert.deepEqual(topics, ["Graphic violence", "Self-harm", "Drugs and alcohol"]);
        assert.ok(guardrail.blockedInputMessaging.length > 0 && guardrail.blockedOutputsMessaging.length > 0);
        assert.equal(variables(run).STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE, "sync");
        assert.equal(grantsOf(run, "bedrock:ApplyGuardrail").length, 1);
    });
});
