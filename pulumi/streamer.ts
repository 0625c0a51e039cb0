// BedrockStreamer: the Rust handler as a Lambda behind a streaming Function URL (authType AWS_IAM,
// NONE) or an API Gateway REST API (API_KEY, COGNITO; gateway.ts), with a role that can invoke
// exactly the configured Bedrock models and write only to its own log group.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { DailyBudget } from "./budget";
import { packageWithFiles } from "./codePackage";
import { functionUrlCors } from "./cors";
import { StreamingGateway } from "./gateway";
import { StoryGuardrail } from "./guardrail";
import { lookUpInferenceProfiles } from "./inferenceProfiles";
import { applyGuardrailPolicy, getParameterPolicy, guardrailArn, invokeModelPolicy, LAMBDA_TRUST_POLICY, parameterArn, writeLogsPolicy } from "./policy";
import { type AuthType, configuredModels, invalidConfiguration, isGatewayAuth, resolveDefaultModel, SYSTEM_PROMPTS } from "./settings";
import { type BedrockStreamerArgs, planStreamer } from "./streamerArgs";

/** Statement ids of the public permissions with authType NONE; the provider's own are FunctionURLAllowPublicAccess and FunctionURLAllowInvokeAction. */
export const PUBLIC_URL_STATEMENT_ID = "BedrockStreamerPublicUrl";
export const PUBLIC_INVOKE_STATEMENT_ID = "BedrockStreamerPublicInvokeViaUrl";

/** The package with the prompt files added; a package they cannot be added to stops the preview with its one line. */
function packed(codeZip: string, files: Record<string, string>): string {
    try {
        return packageWithFiles(codeZip, files);
    } catch (error) {
        throw new pulumi.RunError(invalidConfiguration([(error as Error).message]));
    }
}

export class BedrockStreamer extends pulumi.ComponentResource {
    /** The URL callers use, ending in `/`: the Function URL, or the API Gateway stage's; POST {"storyType": "…"} to it. */
    public readonly url: pulumi.Output<string>;
    /** API_KEY, COGNITO: the API Gateway stage's URL (the same as `url`). */
    public readonly apiUrl?: pulumi.Output<string>;
    /** API_KEY, COGNITO: the stage's access log group (the gateway's refusals are only there). */
    public readonly accessLogGroupName?: pulumi.Output<string>;
    /** API_KEY: key name → API key id. */
    public readonly apiKeyIds?: pulumi.Output<Record<string, string>>;
    /** COGNITO: the user pool and the app client callers sign in with. */
    public readonly userPoolId?: pulumi.Output<string>;
    public readonly userPoolClientId?: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly region: pulumi.Output<string>;
    public readonly authType: AuthType;
    /** Secret when the stack's modelId, models or defaultModel is. */
    public readonly modelId: pulumi.Output<string>;

    constructor(name: string, args: BedrockStreamerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bedrock-streamer:index:BedrockStreamer", name, {}, opts);

        const { args: r, environment: env, warnings } = planStreamer(args);
        // A setting set as a secret stays one wherever its value lands: the environment holds
        // every handler setting, the model policy and the modelId output name the models.
        const secret = new Set<string>(r.secretSettings ?? []);
        const modelsAreSecret = ["modelId", "models", "defaultModel"].some((key) => secret.has(key));
        const keptSecret = <T>(value: pulumi.Input<T>, isSecret: boolean) => (isSecret ? pulumi.secret(value) : pulumi.output(value));
        for (const warning of warnings) pulumi.log.warn(warning, this);

        const where = pulumi.all([
            aws.getPartitionOutput({}, { parent: this }).partition,
            aws.getRegionOutput({}, { parent: this }).region,
            aws.getCallerIdentityOutput({}, { parent: this }).accountId,
        ]);

        const role = new aws.iam.Role(
            `${name}-role`,
            { description: "bedrock-streamer Lambda: invokes the configured Bedrock models, writes its own logs", assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY) },
            { parent: this },
        );

        // Created before the function and wired to it (loggingConfig), so its retention applies from
        // the first invocation instead of Lambda creating a never-expiring group of its own. Pulumi
        // names it (a random suffix), so two stacks or projects in one account and region never collide.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: r.logRetentionDays }, { parent: this });

        // The union of the configured models; profiles are granted what AWS says they route to.
        const models = configuredModels(r.modelId, r.models);
        const invokeModel = new aws.iam.RolePolicy(
            `${name}-invoke-model`,
            {
                role: role.id,
                policy: keptSecret(
                    pulumi.all([where, lookUpInferenceProfiles(models, this)]).apply(([[partition, region, accountId], profiles]) =>
                        JSON.stringify(invokeModelPolicy(models.map((m) => m.modelId), profiles, { partition, region, accountId })),
                    ),
                    modelsAreSecret,
                ),
            },
            { parent: this },
        );
        const writeLogs = new aws.iam.RolePolicy(
            `${name}-write-logs`,
            { role: role.id, policy: logGroup.arn.apply((arn) => JSON.stringify(writeLogsPolicy(arn))) },
            { parent: this },
        );

        // The guardrail every call carries: one the stack creates, or one it names; the role may
        // apply that one alone.
        const created = r.guardrail === undefined ? undefined : new StoryGuardrail(`${name}-guardrail`, r.guardrail, { parent: this });
        const noVariables: Record<string, pulumi.Output<string>> = {};
        const guardrail = created
            ? { arn: created.guardrailArn, env: { STREAMER_GUARDRAIL_ID: created.guardrailId, STREAMER_GUARDRAIL_VERSION: created.version } }
            : r.guardrailId !== undefined
              ? { arn: where.apply(([partition, region, accountId]) => guardrailArn(r.guardrailId!, { partition, region, accountId })), env: noVariables }
              : undefined;
        const applyGuardrail =
            guardrail &&
            new aws.iam.RolePolicy(
                `${name}-apply-guardrail`,
                { role: role.id, policy: guardrail.arn.apply((arn) => JSON.stringify(applyGuardrailPolicy(arn))) },
                { parent: this },
            );
        // The system prompts from Parameter Store: the role may read those parameters alone.
        const promptParameters = SYSTEM_PROMPTS.flatMap(({ key }) => r[`${key}Parameter`] ?? []);
        const readPrompts =
            promptParameters.length > 0 &&
            new aws.iam.RolePolicy(
                `${name}-read-system-prompts`,
                {
                    role: role.id,
                    policy: where.apply(([partition, region, accountId]) =>
                        JSON.stringify(getParameterPolicy(promptParameters.map((p) => parameterArn(p, { partition, region, accountId })))),
                    ),
                },
                { parent: this },
            );
        // The system-prompt files, packed next to bootstrap under the names the function is given.
        const promptFiles = Object.fromEntries(SYSTEM_PROMPTS.flatMap(({ key, packedAs }) => (r[`${key}File`] === undefined ? [] : [[packedAs, r[`${key}File`]!]])));
        const withGuardrail: pulumi.Input<Record<string, string>> = guardrail
            ? pulumi.all([env, guardrail.env]).apply(([own, ids]): Record<string, string> => ({ ...own, ...ids }))
            : env;
        // The daily budget's alarm is named after the role (unique: Pulumi's random suffix), so a
        // refusing function can be told the name before the alarm, which watches the function, exists.
        const budgetAlarmName = role.name.apply((roleName) => `${roleName}-daily-budget`);
        const refusing = r.dailyBudgetUsd !== undefined && r.budgetAction === "refuse";
        const variables = refusing
            ? pulumi.all([withGuardrail, budgetAlarmName]).apply(([own, alarm]): Record<string, string> => ({ ...own, STREAMER_BUDGET_ALARM: alarm }))
            : withGuardrail;

        const fn = new aws.lambda.Function(
            name,
            {
                runtime: "provided.al2023",
                handler: "bootstrap",
                code: new pulumi.asset.FileArchive(packed(r.codeZip, promptFiles)),
                architectures: [r.architecture],
                memorySize: r.memorySize,
                timeout: r.timeout,
                reservedConcurrentExecutions: r.reservedConcurrency,
                role: role.arn,
                environment: { variables: keptSecret(variables, secret.size > 0) },
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
            },
            // The policies first: the first invocation after a deploy must already be allowed to
            // call Bedrock and to log.
            // (A prompt parameter is read at cold start: its policy too.)
            { parent: this, dependsOn: [logGroup, invokeModel, writeLogs, ...(applyGuardrail ? [applyGuardrail] : []), ...(readPrompts ? [readPrompts] : [])] },
        );

        if (isGatewayAuth(r.authType)) {
            // No Function URL: nothing may reach the function but through the gateway's checks.
            const gateway = new StreamingGateway(
                `${name}-api`,
                {
                    ...r,
                    authType: r.authType,
                    functionName: fn.name,
                    functionArn: fn.arn,
                    functionTimeoutSecs: r.timeout,
                    partition: where.apply(([partition]) => partition),
                    region: where.apply(([, region]) => region),
                },
                { parent: this },
            );
            this.url = gateway.url;
            this.apiUrl = gateway.url;
            this.apiKeyIds = gateway.apiKeyIds;
            this.accessLogGroupName = gateway.accessLogGroupName;
            this.userPoolId = gateway.userPoolId;
            this.userPoolClientId = gateway.userPoolClientId;
        } else {
            this.url = this.functionUrl(name, fn, r.authType, r.corsAllowOrigins);
        }
        if (r.dailyBudgetUsd !== undefined && r.budgetEmail !== undefined && r.budgetAction !== undefined) {
            new DailyBudget(
                `${name}-budget`,
                {
                    functionName: fn.name,
                    alarmName: budgetAlarmName,
                    dailyBudgetUsd: r.dailyBudgetUsd,
                    email: r.budgetEmail,
                    action: r.budgetAction,
                    roleName: role.name,
                },
                { parent: this },
            );
        }
        this.functionName = fn.name;
        this.logGroupName = logGroup.name;
        this.region = where.apply(([, region]) => region);
        this.authType = r.authType;
        // The model a request without "model" streams from.
        const defaultAlias = resolveDefaultModel(r.models, r.defaultModel);
        this.modelId = keptSecret(models.find((m) => m.alias === defaultAlias)?.modelId ?? r.modelId, modelsAreSecret);
        this.registerOutputs({
            url: this.url,
            functionName: this.functionName,
            logGroupName: this.logGroupName,
            region: this.region,
            authType: this.authType,
            modelId: this.modelId,
            apiUrl: this.apiUrl,
            apiKeyIds: this.apiKeyIds,
            accessLogGroupName: this.accessLogGroupName,
            userPoolId: this.userPoolId,
            userPoolClientId: this.userPoolClientId,
        });
    }

    /** The streaming Function URL of an AWS_IAM or NONE stack, and with NONE the public statements it needs. */
    private functionUrl(name: string, fn: aws.lambda.Function, authType: "AWS_IAM" | "NONE", corsAllowOrigins: string[]): pulumi.Output<string> {
        const url = new aws.lambda.FunctionUrl(
            `${name}-url`,
            {
                functionName: fn.name,
                invokeMode: "RESPONSE_STREAM",
                authorizationType: authType,
                cors: functionUrlCors(corsAllowOrigins),
            },
            { parent: this },
        );

        if (authType === "NONE") {
            // The two statements a public URL needs (Lambda developer guide, "Control access to Lambda
            // function URLs", read 2026-11). The provider adds its own only when it creates a URL with
            // NONE, so a stack switched to NONE would stay closed (403); these are in state, so they
            // appear on the switch and go when the stack switches back. Fixed statement ids: a
            // replacement must delete the old statement before adding the new one.
            const publicStatement = { function: fn.name, principal: "*" };
            new aws.lambda.Permission(
                `${name}-public-url`,
                { ...publicStatement, statementId: PUBLIC_URL_STATEMENT_ID, action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE" },
                { parent: this, deleteBeforeReplace: true },
            );
            new aws.lambda.Permission(
                `${name}-public-invoke`,
                { ...publicStatement, statementId: PUBLIC_INVOKE_STATEMENT_ID, action: "lambda:InvokeFunction", invokedViaFunctionUrl: true },
                { parent: this, deleteBeforeReplace: true },
            );
        }

        return url.functionUrl;
    }
}
