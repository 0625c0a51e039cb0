// Which Bedrock resources the function's role may invoke, for each way of naming a model.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
    classifyModel,
    INVOKE_ACTION,
    invokeModelPolicy,
    invokeModelStatements,
    modelResourceArns,
    PROFILE_GEOGRAPHIES,
    type StackLocation,
    writeLogsPolicy,
} from "../policy";

const virginia: StackLocation = { partition: "aws", region: "us-east-1", accountId: "123456789012" };
const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0";

describe("a foundation-model id", () => {
    test("grants that model in the stack's region, and nothing else", () => {
        assert.deepEqual(modelResourceArns(HAIKU, virginia), [`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`]);
    });

    test("follows the stack to another region and partition", () => {
        const govCloud = { partition: "aws-us-gov", region: "us-gov-west-1", accountId: "123456789012" };
        assert.deepEqual(modelResourceArns(HAIKU, govCloud), [`arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/${HAIKU}`]);
    });
});

describe("a cross-region inference-profile id", () => {
    test("us.: the profile in the stack's region and account, then the model in every US region it routes to", () => {
        assert.deepEqual(modelResourceArns(`us.${HAIKU}`, virginia), [
            `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${HAIKU}`,
            `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
            `arn:aws:bedrock:us-east-2::foundation-model/${HAIKU}`,
            `arn:aws:bedrock:us-west-1::foundation-model/${HAIKU}`,
            `arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`,
        ]);
    });

    test("the model behind a profile is usable only through that profile", () => {
        const [profile, models] = invokeModelStatements(`us.${HAIKU}`, virginia);
        assert.equal(profile.Condition, undefined);
        assert.deepEqual(models.Condition, {
            StringEquals: { "bedrock:InferenceProfileArn": `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${HAIKU}` },
        });
    });

    test("the stack's own region is granted even when it is outside the profile's geography", () => {
        const toronto = { ...virginia, region: "ca-central-1" };
        assert.ok(modelResourceArns(`us.${HAIKU}`, toronto).includes(`arn:aws:bedrock:ca-central-1::foundation-model/${HAIKU}`));
    });

    test("eu.: every EU region, no US one", () => {
        const frankfurt = { ...virginia, region: "eu-central-1" };
        const models = modelResourceArns(`eu.${SONNET}`, frankfurt).slice(1);
        assert.deepEqual(
            models.map((arn) => arn.split(":")[3]),
            PROFILE_GEOGRAPHIES.eu,
        );
    });

    test("global.: the region-less foundation-model ARN AWS authorises worldwide routing against", () => {
        assert.deepEqual(modelResourceArns(`global.${SONNET}`, virginia), [
            `arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.${SONNET}`,
            `arn:aws:bedrock:us-east-1::foundation-model/${SONNET}`,
            `arn:aws:bedrock:::foundation-model/${SONNET}`,
        ]);
    });

    test("an unknown prefix is refused rather than guessed", () => {
        assert.throws(() => classifyModel(`xx.${HAIKU}`), /unknown prefix 'xx\.'.*known prefixes are us\., us-gov\., eu\./);
    });

    test("a prefix with no model after it is refused", () => {
        assert.throws(() => classifyModel("us.claude"), /no <provider>\.<model> after it/);
    });
});

describe("a full ARN", () => {
    test("is used exactly as given", () => {
        const arn = "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3d4e5f6";
        assert.deepEqual(modelResourceArns(arn, virginia), [arn]);
    });

    test("must be a Bedrock ARN", () => {
        assert.throws(() => classifyModel("arn:aws:s3:::my-bucket/key"), /not a Bedrock resource ARN/);
    });
});

describe("never a wildcard", () => {
    const ids = [
        HAIKU,
        ...Object.keys(PROFILE_GEOGRAPHIES).map((geography) => `${geography}.${HAIKU}`),
        `global.${SONNET}`,
        `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
    ];
    for (const id of ids) {
        test(`${id}: one action, no '*' anywhere in the policy`, () => {
            const policy = invokeModelPolicy(id, virginia);
            assert.ok(policy.Statement.length > 0);
            for (const statement of policy.Statement) {
                assert.deepEqual(statement.Action, [INVOKE_ACTION]);
                assert.equal(statement.Effect, "Allow");
            }
            assert.ok(!JSON.stringify(policy).includes("*"), JSON.stringify(policy));
        });
    }

    test("a model id with a wildcard is refused", () => {
        assert.throws(() => classifyModel("anthropic.*"), /contains '\*'/);
        assert.throws(() => classifyModel("arn:aws:bedrock:*::foundation-model/x"), /contains '\*'/);
    });

    test("an empty or spaced model id is refused", () => {
        assert.throws(() => classifyModel(""), /empty or contains spaces/);
        assert.throws(() => classifyModel("anthropic claude"), /empty or contains spaces/);
    });
});

test("log writes go to the function's own log group only, with no CreateLogGroup", () => {
    const group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/bedrock-streamer-dev";
    assert.deepEqual(writeLogsPolicy(group), {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${group}:*`] }],
    });
});
