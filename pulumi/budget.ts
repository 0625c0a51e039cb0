// DailyBudget: a CloudWatch alarm on the function's summed cost over a day (the handler's `CostUsd`
// EMF metric by `function`, handler/src/summary.rs), an SNS topic it notifies, an e-mail
// subscription to that topic and, for `refuse`, the role's one permission to read that alarm.
//
// One period of one day: PutMetricAlarm takes any multiple of 60 s as its period, and a period ×
// evaluation periods of up to 604,800 s (7 days) when the period is an hour or more (CloudWatch API
// reference, PutMetricAlarm `Period` and `EvaluationPeriods`, read 2026-12-07), so one 86,400 s
// period sums the day.
//
// DescribeAlarms takes resource-level permissions on the `alarm` resource type
// (arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:${AlarmName}; Service Authorization
// Reference, "Actions, resources, and condition keys for Amazon CloudWatch", read 2026-12-07), and
// only composite alarms need it on `*` (DescribeAlarms API reference, read 2026-12-07): the role may
// describe this metric alarm and no other.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { type BudgetAction } from "./settings";

/** The EMF namespace and metric the handler writes (handler/src/summary.rs `NAMESPACE`, `COST_METRIC`). */
export const COST_NAMESPACE = "BedrockStreamer";
export const COST_METRIC = "CostUsd";

/** A day, the alarm's one period. */
export const BUDGET_PERIOD_SECS = 86400;

/** The one action the handler's budget check calls. */
export const DESCRIBE_ALARMS_ACTION = "cloudwatch:DescribeAlarms";

export interface DailyBudgetArgs {
    /** The function whose `CostUsd` (dimension `function`) is summed. */
    functionName: pulumi.Input<string>;
    /** The alarm's name: the component that owns the function chooses it, so the function can be told it. */
    alarmName: pulumi.Input<string>;
    /** US dollars a day; the alarm goes to ALARM when the day's cost reaches it. */
    dailyBudgetUsd: number;
    /** The address the topic e-mails (AWS sends a confirmation first; nothing arrives until it is confirmed). */
    email: string;
    action: BudgetAction;
    /** The function's role: with `refuse`, it may describe this alarm (and only this one). */
    roleName: pulumi.Input<string>;
}

/** The `cloudwatch:DescribeAlarms` policy on one alarm's ARN. */
export function describeAlarmPolicy(alarmArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadTheDailyBudgetAlarm", Effect: "Allow", Action: DESCRIBE_ALARMS_ACTION, Resource: alarmArn }],
    };
}

export class DailyBudget extends pulumi.ComponentResource {
    public readonly alarmArn: pulumi.Output<string>;
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: DailyBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bedrock-streamer:index:DailyBudget", name, {}, opts);

        const topic = new aws.sns.Topic(`${name}-topic`, {}, { parent: this });
        new aws.sns.TopicSubscription(`${name}-email`, { topic: topic.arn, protocol: "email", endpoint: args.email }, { parent: this });
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-alarm`,
            {
                name: args.alarmName,
                alarmDescription: `bedrock-streamer: the day's Bedrock cost reached the daily budget of ${args.dailyBudgetUsd} USD`,
                namespace: COST_NAMESPACE,
                metricName: COST_METRIC,
                dimensions: { function: args.functionName },
                statistic: "Sum",
                period: BUDGET_PERIOD_SECS,
                evaluationPeriods: 1,
                threshold: args.dailyBudgetUsd,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                // A day without a priced request has no data point: within budget.
                treatMissingData: "notBreaching",
                alarmActions: [topic.arn],
                okActions: [topic.arn],
            },
            { parent: this },
        );
        if (args.action === "refuse") {
            new aws.iam.RolePolicy(
                `${name}-describe-alarm`,
                { role: args.roleName, policy: alarm.arn.apply((arn) => JSON.stringify(describeAlarmPolicy(arn))) },
                { parent: this },
            );
        }
        this.alarmArn = alarm.arn;
        this.topicArn = topic.arn;
        this.registerOutputs({ alarmArn: this.alarmArn, topicArn: this.topicArn });
    }
}
