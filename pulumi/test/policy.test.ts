// Which Bedrock resources the function's role may invoke, for each way of naming a model, given
// what AWS reports for the inference profiles among them.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
    classifyModel,
    type InferenceProfileFacts,
    INVOKE_ACTION,
    invokeModelPolicy,
    invokeModelStatements,
    modelResourceArns,
    PROFILE_PREFIXES,
    profileIdentifier,
    type StackLocation,
    writeLogsPolicy,
} from "../policy";

const oregon: StackLocation = { partition: "aws", region: "us-west-2", accountId: "123456789012" };
const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0";
const HAIKU_55 = "anthropic.claude-haiku-5-5";
const model = (region: string, id = HAIKU_55) => `arn:aws:bedrock:${region}::foundation-model/${id}`;
const profileArn = (id: string) => `arn:aws:bedrock:us-west-2:123456789012:inference-profile/${id}`;

/** What GetInferenceProfile answers for these profiles, as the component passes it on. */
const AWS_SAYS: Record<string, InferenceProfileFacts> = {
    [`us.${HAIKU_55}`]: { inferenceProfileArn: profileArn(`us.${HAIKU_55}`), modelArns: [model("us-east-1"), model("us-east-2"), model("us-west-2")] },
    [`global.${HAIKU_55}`]: { inferenceProfileArn: profileArn(`global.${HAIKU_55}`), modelArns: [model("us-west-2"), model("eu-west-1")] },
};

describe("a foundation-model id", () => {
    test("grants that model in the stack's region, and nothing else", () => {
        assert.deepEqual(modelResourceArns([HAIKU_3], {}, oregon), [model("us-west-2", HAIKU_3)]);
    });

    test("follows the stack to another region and partition", () => {
        const govCloud = { partition: "aws-us-gov", region: "us-gov-west-1", accountId: "123456789012" };
        assert.deepEqual(modelResourceArns([HAIKU_3], {}, govCloud), [`arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/${HAIKU_3}`]);
    });

    test("needs no inference-profile lookup", () => {
        assert.equal(profileIdentifier(classifyModel(HAIKU_3)), undefined);
    });
});

describe("a system-defined inference profile", () => {
    test("us.: the profile AWS reports, then exactly the models AWS says it routes to, only through that profile (ArnEquals)", () => {
        assert.deepEqual(invokeModelStatements([`us.${HAIKU_55}`], AWS_SAYS, oregon), [
            { Effect: "Allow", Action: [INVOKE_ACTION], Resource: [profileArn(`us.${HAIKU_55}`)] },
            {
                Effect: "Allow",
                Action: [INVOKE_ACTION],
                Resource: [model("us-east-1"), model("us-east-2"), model("us-west-2")],
                Condition: { ArnEquals: { "bedrock:InferenceProfileArn": profileArn(`us.${HAIKU_55}`) } },
            },
        ]);
    });

    test("global.: also the region-less model ARN, which AWS authorises worldwide routing against but does not list", () => {
        const [, models] = invokeModelStatements([`global.${HAIKU_55}`], AWS_SAYS, oregon);
        assert.deepEqual(models.Resource, [model("us-west-2"), model("eu-west-1"), `arn:aws:bedrock:::foundation-model/${HAIKU_55}`]);
    });

    test("given as a full ARN: granted as given, with the models AWS reports for it", () => {
        const arn = profileArn(`us.${HAIKU_55}`);
        const facts = { [arn]: AWS_SAYS[`us.${HAIKU_55}`] };
        assert.equal(profileIdentifier(classifyModel(arn)), arn);
        assert.deepEqual(modelResourceArns([arn], facts, oregon), [arn, model("us-east-1"), model("us-east-2"), model("us-west-2")]);
    });

    test("without AWS's answer for it, no policy is written", () => {
        assert.throws(() => invokeModelPolicy([`us.${HAIKU_55}`], {}, oregon), /no GetInferenceProfile answer for us\.anthropic\.claude-haiku-5-5/);
    });

    test("an unknown prefix is refused rather than guessed", () => {
        assert.throws(() => classifyModel(`xx.${HAIKU_3}`), /unknown prefix 'xx\.'.*known prefixes are us\., us-gov\., eu\./);
    });

    test("a prefix with no model after it is refused", () => {
        assert.throws(() => classifyModel("us.claude"), /no <provider>\.<model> after it/);
    });
});

describe("an application inference profile ARN", () => {
    test("grants the profile and the models it routes to, only through it", () => {
        const app = "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/k3x9stories";
        const facts = { [app]: { inferenceProfileArn: app, modelArns: [model("us-east-1"), model("us-west-2")] } };
        assert.deepEqual(invokeModelStatements([app], facts, oregon), [
            { Effect: "Allow", Action: [INVOKE_ACTION], Resource: [app] },
            {
                Effect: "Allow",
                Action: [INVOKE_ACTION],
                Resource: [model("us-east-1"), model("us-west-2")],
                Condition: { ArnEquals: { "bedrock:InferenceProfileArn": app } },
            },
        ]);
    });
});

describe("any other full ARN", () => {
    test("a foundation-model or provisioned-model ARN is used exactly as given", () => {
        const provisioned = "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/a1b2c3d4e5f6";
        assert.deepEqual(modelResourceArns([model("us-east-1", HAIKU_3), provisioned], {}, oregon), [model("us-east-1", HAIKU_3), provisioned]);
    });

    test("must be a Bedrock ARN", () => {
        assert.throws(() => classifyModel("arn:aws:s3:::my-bucket/key"), /not a Bedrock resource ARN/);
    });
});

describe("several models: the union, once each", () => {
    test("a foundation id, a us. profile and a global. profile: one direct statement, one per profile", () => {
        const statements = invokeModelStatements([HAIKU_3, `us.${HAIKU_55}`, `global.${HAIKU_55}`, HAIKU_3], AWS_SAYS, oregon);
        assert.deepEqual(
            statements.map((s) => s.Resource),
            [
                [model("us-west-2", HAIKU_3), profileArn(`us.${HAIKU_55}`), profileArn(`global.${HAIKU_55}`)],
                [model("us-east-1"), model("us-east-2"), model("us-west-2")],
                [model("us-west-2"), model("eu-west-1"), `arn:aws:bedrock:::foundation-model/${HAIKU_55}`],
            ],
        );
        assert.deepEqual(
            statements.map((s) => s.Condition?.ArnEquals["bedrock:InferenceProfileArn"]),
            [undefined, profileArn(`us.${HAIKU_55}`), profileArn(`global.${HAIKU_55}`)],
        );
    });
});

describe("never a wildcard or a policy variable", () => {
    /** What IAM would read as more than the one text: '*' and '?' are wildcards, '${…}' a policy variable. */
    const IAM_SPECIAL = /[*?$]/;
    const resources = (policy: ReturnType<typeof invokeModelPolicy>) => policy.Statement.flatMap((statement) => statement.Resource);

    const ids = [HAIKU_3, `us.${HAIKU_55}`, `global.${HAIKU_55}`, model("us-east-1", HAIKU_3)];
    for (const id of ids) {
        test(`${id}: one action, and no resource with '*', '?' or '$'`, () => {
            const policy = invokeModelPolicy([id], AWS_SAYS, oregon);
            assert.ok(policy.Statement.length > 0);
            for (const statement of policy.Statement) {
                assert.deepEqual(statement.Action, [INVOKE_ACTION]);
                assert.equal(statement.Effect, "Allow");
            }
            assert.ok(!resources(policy).some((arn) => IAM_SPECIAL.test(arn)), JSON.stringify(policy));
        });
    }

    test("whatever character a model id carries, a policy is refused or names no '*', '?' or '$'", () => {
        const accepted: string[] = [];
        for (let code = 0; code < 0x250; code++) {
            const c = String.fromCodePoint(code);
            for (const id of [`anthropic.claude-${c}`, `us.${HAIKU_55}${c}`, `arn:aws:bedrock:us-west-2::foundation-model/${HAIKU_3}${c}`]) {
                // What GetInferenceProfile would answer for a profile with this id.
                const facts = { [id]: { inferenceProfileArn: profileArn(id), modelArns: [model("us-east-1", id.slice("us.".length))] } };
                let policy: ReturnType<typeof invokeModelPolicy>;
                try {
                    policy = invokeModelPolicy([id], facts, oregon);
                } catch {
                    continue;
                }
                accepted.push(c);
                assert.ok(!resources(policy).some((arn) => IAM_SPECIAL.test(arn)), JSON.stringify(policy));
            }
        }
        // Bedrock's ids are made of these alone (settings.ts modelIdProblem, the handler's own rule).
        assert.equal([...new Set(accepted)].join(""), "-./0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");
    });

    test("a model id with a wildcard or a policy variable is refused, naming the character", () => {
        assert.throws(() => classifyModel("anthropic.*"), /found "\*"/);
        assert.throws(() => classifyModel("anthropic.claude-?????"), /found "\?"/);
        assert.throws(() => classifyModel("us.anthropic.claude-haiku-5-${aws:username}"), /found "\$"/);
        assert.throws(() => classifyModel("arn:aws:bedrock:*::foundation-model/x"), /found "\*"/);
    });

    test("an empty or spaced model id is refused", () => {
        assert.throws(() => classifyModel(""), /must not be empty/);
        assert.throws(() => classifyModel("anthropic claude"), /must not contain spaces/);
    });

    test("every known profile prefix is classified as a profile", () => {
        for (const prefix of PROFILE_PREFIXES) assert.equal(classifyModel(`${prefix}.${HAIKU_55}`).kind, "inference-profile", prefix);
    });
});

// Its one '*' is Lambda's log streams inside the function's own group, whose names Lambda chooses.
test("log writes go to the function's own log group only, with no CreateLogGroup", () => {
    const group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/bedrock-streamer-dev";
    assert.deepEqual(writeLogsPolicy(group), {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${group}:*`] }],
    });
});
