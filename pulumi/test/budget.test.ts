// The daily budget, run through the real program (index.ts) under Pulumi's mocks: the alarm on the
// function's summed CostUsd, its SNS topic and e-mail subscription, the role's one DescribeAlarms
// permission (refuse only) and the function told the alarm's name; nothing when the keys are unset;
// and the preview's warning for a model whose requests the budget cannot count (no price).

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import { DEFAULTS } from "../streamerArgs";
import { ACCOUNT_ID, type ProgramRun, runProgram } from "./support/program";
import { programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "aws:sns/topic:Topic";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const FUNCTION = "aws:lambda/function:Function";

const zip = packageStandIn();

function run(overrides: Record<string, unknown>): Promise<ProgramRun> {
    return runProgram("dev", programConfig("dev", { codeZip: zip, ...overrides }));
}

const ofType = (r: ProgramRun, type: string) => r.resources.filter((resource) => resource.type === type);
const policies = (r: ProgramRun) => ofType(r, ROLE_POLICY).map((p) => JSON.parse(p.inputs.policy));

/** The role's name in these mocks (Pulumi's auto-naming), and so the alarm's. */
const ALARM_NAME = "bedrock-streamer-role-0a1b2c3-daily-budget";
const ALARM_ARN = `arn:aws:cloudwatch:us-east-1:${ACCOUNT_ID}:alarm:${ALARM_NAME}`;

describe("the daily budget", () => {
    test("refuse: the alarm sums the function's CostUsd over one day, notifies an e-mailed topic, and the role may describe that alarm alone", async () => {
        const r = await run({ dailyBudgetUsd: "25", budgetEmail: "ops@example.com", budgetAction: "refuse" });

        const alarm = r.only(ALARM).inputs;
        assert.equal(alarm.name, ALARM_NAME);
        assert.deepEqual(
            {
                namespace: alarm.namespace,
                metricName: alarm.metricName,
                dimensions: alarm.dimensions,
                statistic: alarm.statistic,
                period: alarm.period,
                evaluationPeriods: alarm.evaluationPeriods,
                threshold: alarm.threshold,
                comparisonOperator: alarm.comparisonOperator,
                treatMissingData: alarm.treatMissingData,
            },
            {
                namespace: "BedrockStreamer",
                metricName: "CostUsd",
                dimensions: { function: "bedrock-streamer-4d5e6f7" },
                statistic: "Sum",
                period: 86400,
                evaluationPeriods: 1,
                threshold: 25,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                treatMissingData: "notBreaching",
            },
        );
        const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT_ID}:bedrock-streamer-budget-topic-5f6a7b8`;
        assert.ok(r.only(TOPIC));
        assert.deepEqual(alarm.alarmActions, [topicArn]);
        const subscription = r.only(SUBSCRIPTION).inputs;
        assert.deepEqual([subscription.topic, subscription.protocol, subscription.endpoint], [topicArn, "email", "ops@example.com"]);

        const describe = policies(r).flatMap((p) => p.Statement).filter((s) => JSON.stringify(s.Action).includes("cloudwatch:"));
        assert.deepEqual(describe, [{ Sid: "ReadTheDailyBudgetAlarm", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: ALARM_ARN }]);

        const env = r.only(FUNCTION).inputs.environment.variables;
        assert.equal(env.STREAMER_BUDGET_ACTION, "refuse");
        assert.equal(env.STREAMER_BUDGET_ALARM, ALARM_NAME, "the function reads the alarm the stack made");
    });

    test("notify: the alarm, topic and subscription, but no permission and no alarm for the function to read", async () => {
        const r = await run({ dailyBudgetUsd: "0.5", budgetEmail: "ops@example.com", budgetAction: "notify" });
        assert.equal(r.only(ALARM).inputs.threshold, 0.5);
        assert.ok(r.only(TOPIC) && r.only(SUBSCRIPTION));
        assert.ok(!JSON.stringify(policies(r)).includes("cloudwatch:"), "no DescribeAlarms for a stack that does not refuse");
        const env = r.only(FUNCTION).inputs.environment.variables;
        assert.equal(env.STREAMER_BUDGET_ACTION, "notify");
        assert.equal(env.STREAMER_BUDGET_ALARM, undefined);
    });

    test("unset: no alarm, no topic, no subscription, no permission, no variable", async () => {
        const r = await run({});
        assert.deepEqual([ofType(r, ALARM), ofType(r, TOPIC), ofType(r, SUBSCRIPTION)], [[], [], []]);
        assert.ok(!JSON.stringify(policies(r)).includes("cloudwatch:"));
        const env = r.only(FUNCTION).inputs.environment.variables;
        assert.deepEqual([env.STREAMER_BUDGET_ACTION, env.STREAMER_BUDGET_ALARM], [undefined, undefined]);
    });

    test("a budget without an e-mail or an action stops the preview, a line naming each key", async () => {
        await assert.rejects(run({ dailyBudgetUsd: "25" }), (error: Error) => {
            assert.match(error.message, /budgetEmail: must be set with dailyBudgetUsd/);
            assert.match(error.message, /budgetAction: must be set with dailyBudgetUsd/);
            return true;
        });
        await assert.rejects(run({ dailyBudgetUsd: "25", budgetEmail: "ops@example.com", budgetAction: "stop" }), /budgetAction: expected notify or refuse; got "stop"/);
    });
});

describe("what the budget cannot count", () => {
    const budget = { dailyBudgetUsd: "25", budgetEmail: "ops@example.com", budgetAction: "notify" };

    test("the shipped stack's model has a price in config/prices.json: no warning", async () => {
        assert.deepEqual((await run(budget)).warnings, []);
    });

    test("a model without a price, or in a tier the table does not price, is named in a warning; an alias's own price silences it", async () => {
        const models = {
            old: { modelId: "us.anthropic.claude-3-haiku-20240307-v1:0" },
            quick: { modelId: "us.anthropic.claude-haiku-5-5", serviceTier: "priority" },
            own: { modelId: "us.anthropic.claude-3-haiku-20240307-v1:0", price: { input: 0.25, output: 1.25, read: "2026-12-07" } },
            listed: { modelId: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-haiku-5-5" },
        };
        // modelId at its default: the stack file's own would clash with models.
        const r = await run({ ...budget, modelId: DEFAULTS.modelId, models: JSON.stringify(models), defaultModel: "listed" });
        assert.deepEqual(
            r.warnings.map((w) => w.split(" has no price (")[0]),
            ["models.old: us.anthropic.claude-3-haiku-20240307-v1:0", "models.quick: us.anthropic.claude-haiku-5-5"],
        );
        assert.match(r.warnings[1], /prices the standard tier only and the alias's serviceTier is "priority"/);
        assert.match(r.warnings[0], /so dailyBudgetUsd does not count them/);
    });

    test("without a budget, an unpriced model is not worth a warning", async () => {
        assert.deepEqual((await run({ modelId: "us.anthropic.claude-3-haiku-20240307-v1:0" })).warnings.filter((w) => w.includes("has no price")), []);
    });
});
