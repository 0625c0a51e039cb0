// BedrockStreamer: the Rust handler as a Lambda behind a streaming Function URL, with a role that
// can invoke exactly one Bedrock model and write only to its own log group.

import * as fs from "node:fs";
import * as path from "node:path";

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { classifyModel, invokeModelPolicy, LAMBDA_TRUST_POLICY, writeLogsPolicy } from "./policy";
import { environmentBytes, ENVIRONMENT_LIMIT_BYTES, handlerEnvironment, type HandlerSettings, settingsProblems } from "./settings";

export const AUTH_TYPES = ["AWS_IAM", "NONE"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** Retention periods CloudWatch Logs accepts. 0 ("never expire") is left out on purpose: logs cost money forever. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Seconds kept between the handler's own deadline and the Lambda timeout, so its timeout event is written before Lambda stops it. */
export const DEADLINE_MARGIN_SECS = 5;
/** Shortest timeout that still leaves the handler a useful deadline. */
export const MIN_TIMEOUT_SECS = 10;
/** Lambda's (and a Function URL stream's) longest invocation. */
export const MAX_TIMEOUT_SECS = 900;

export interface BedrockStreamerArgs extends Partial<HandlerSettings> {
    /** The package `cargo lambda build --output-format zip` writes (`just build`). */
    codeZip: string;
    /** AWS_IAM: callers sign with SigV4. NONE: a public URL, which needs `reservedConcurrency`. */
    authType?: AuthType;
    /** Most concurrent executions; undefined leaves the function unreserved (the account's pool). */
    reservedConcurrency?: number;
    /** MB; CPU scales with it. */
    memorySize?: number;
    /** Seconds; the handler's deadline is this less DEADLINE_MARGIN_SECS. */
    timeout?: number;
    architecture?: Architecture;
    logRetentionDays?: number;
    /** Browser origins allowed to call the URL; empty configures no CORS. */
    corsAllowOrigins?: string[];
}

/** Arguments that are unset unless given: no default value stands in for them. */
type UnsetUnlessGiven = "temperature" | "topP" | "systemPrompt" | "reservedConcurrency";
type Resolved = Required<Omit<BedrockStreamerArgs, UnsetUnlessGiven>> & Pick<BedrockStreamerArgs, UnsetUnlessGiven>;

/** Defaults for every other optional argument; Pulumi.yaml declares the same ones (a test keeps them in step). */
export const DEFAULTS: Readonly<Omit<Resolved, "codeZip" | UnsetUnlessGiven>> = {
    modelId: "anthropic.claude-3-haiku-20240307-v1:0",
    maxTokens: 512,
    maxTokensCap: 2048,
    defaultTemplate: "Tell me a very short story about: {storyType}",
    templates: {},
    allowedStoryTypes: [],
    logLevel: "info",
    authType: "AWS_IAM",
    memorySize: 256,
    timeout: 60,
    architecture: "arm64",
    logRetentionDays: 14,
    corsAllowOrigins: [],
};

function withDefaults(args: BedrockStreamerArgs): Resolved {
    const given = Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
    return { ...structuredClone(DEFAULTS), ...given } as Resolved;
}

/** Everything that would make the deployment fail or misbehave, one line per problem. */
function deploymentProblems(r: Resolved, env: Record<string, string>): string[] {
    const problems: string[] = [];
    try {
        classifyModel(r.modelId);
    } catch (error) {
        problems.push((error as Error).message);
    }
    problems.push(...settingsProblems(r));
    if (!(AUTH_TYPES as readonly string[]).includes(r.authType)) {
        problems.push(`authType must be AWS_IAM or NONE, got ${JSON.stringify(r.authType)}`);
    }
    if (r.reservedConcurrency !== undefined && (!Number.isInteger(r.reservedConcurrency) || r.reservedConcurrency < 0)) {
        problems.push(`reservedConcurrency must be a whole number of at least 0 (or unset), got ${r.reservedConcurrency}`);
    }
    if (r.authType === "NONE" && r.reservedConcurrency === undefined) {
        problems.push(
            "authType NONE makes the Function URL public, and a public URL with no concurrency cap is an open wallet: " +
                "anyone can run up your Bedrock and Lambda bill. Set a cap, e.g. `pulumi config set reservedConcurrency 10`.",
        );
    }
    if (!(ARCHITECTURES as readonly string[]).includes(r.architecture)) {
        problems.push(`architecture ${JSON.stringify(r.architecture)} is not a Lambda architecture; use arm64 (the default) or x86_64`);
    }
    if (!Number.isInteger(r.memorySize) || r.memorySize < 128 || r.memorySize > 10240) {
        problems.push(`memorySize must be a whole number of MB from 128 to 10240, got ${r.memorySize}`);
    }
    if (!Number.isInteger(r.timeout) || r.timeout < MIN_TIMEOUT_SECS || r.timeout > MAX_TIMEOUT_SECS) {
        problems.push(
            `timeout must be a whole number of seconds from ${MIN_TIMEOUT_SECS} to ${MAX_TIMEOUT_SECS}, got ${r.timeout}; ` +
                `the handler's deadline is the timeout less ${DEADLINE_MARGIN_SECS} s`,
        );
    }
    if (!LOG_RETENTION_DAYS.includes(r.logRetentionDays)) {
        problems.push(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${r.logRetentionDays}`);
    }
    if (r.corsAllowOrigins.some((origin) => typeof origin !== "string" || origin.trim() === "")) {
        problems.push(`corsAllowOrigins entries must be origins such as https://example.com, got ${JSON.stringify(r.corsAllowOrigins)}`);
    }
    const envBytes = environmentBytes(env);
    if (envBytes > ENVIRONMENT_LIMIT_BYTES) {
        problems.push(
            `the function's environment is ${envBytes} bytes, over Lambda's ${ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
                "shorten templates, defaultTemplate or systemPrompt",
        );
    }
    if (!fs.existsSync(r.codeZip)) {
        problems.push(`the Lambda package ${r.codeZip} is missing: run \`just build\` first`);
    }
    return problems;
}

export class BedrockStreamer extends pulumi.ComponentResource {
    /** The Function URL; POST {"storyType": "…"} to it. */
    public readonly url: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly region: pulumi.Output<string>;
    public readonly authType: AuthType;
    public readonly modelId: string;

    constructor(name: string, args: BedrockStreamerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bedrock-streamer:index:BedrockStreamer", name, {}, opts);

        const r = withDefaults({ ...args, codeZip: path.resolve(args.codeZip) });
        const env = handlerEnvironment(r, r.timeout - DEADLINE_MARGIN_SECS);
        // Config values are plain values, so every check runs before a single resource is planned:
        // `pulumi preview` stops with the full list instead of a deploy that fails halfway.
        const problems = deploymentProblems(r, env);
        if (problems.length > 0) {
            throw new pulumi.RunError(`bedrock-streamer configuration is invalid:\n  - ${problems.join("\n  - ")}`);
        }
        if (r.authType === "NONE") {
            pulumi.log.warn(
                `authType NONE: the Function URL is public. Anyone who finds it can spend up to reservedConcurrency ` +
                    `(${r.reservedConcurrency}) concurrent Bedrock streams on this account.`,
                this,
            );
        }

        const where = pulumi.all([
            aws.getPartitionOutput({}, { parent: this }).partition,
            aws.getRegionOutput({}, { parent: this }).region,
            aws.getCallerIdentityOutput({}, { parent: this }).accountId,
        ]);

        const role = new aws.iam.Role(
            `${name}-role`,
            { description: "bedrock-streamer Lambda: invokes one Bedrock model, writes its own logs", assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY) },
            { parent: this },
        );

        // Created before the function and wired to it (loggingConfig), so its retention applies from
        // the first invocation instead of Lambda creating a never-expiring group of its own.
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: `/aws/lambda/${name}-${pulumi.getStack()}`, retentionInDays: r.logRetentionDays },
            { parent: this },
        );

        const invokeModel = new aws.iam.RolePolicy(
            `${name}-invoke-model`,
            {
                role: role.id,
                policy: where.apply(([partition, region, accountId]) =>
                    JSON.stringify(invokeModelPolicy(r.modelId, { partition, region, accountId })),
                ),
            },
            { parent: this },
        );
        const writeLogs = new aws.iam.RolePolicy(
            `${name}-write-logs`,
            { role: role.id, policy: logGroup.arn.apply((arn) => JSON.stringify(writeLogsPolicy(arn))) },
            { parent: this },
        );

        const fn = new aws.lambda.Function(
            name,
            {
                runtime: "provided.al2023",
                handler: "bootstrap",
                code: new pulumi.asset.FileArchive(r.codeZip),
                architectures: [r.architecture],
                memorySize: r.memorySize,
                timeout: r.timeout,
                reservedConcurrentExecutions: r.reservedConcurrency,
                role: role.arn,
                environment: { variables: env },
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
            },
            // The policies first: the first invocation after a deploy must already be allowed to
            // call Bedrock and to log.
            { parent: this, dependsOn: [logGroup, invokeModel, writeLogs] },
        );

        const url = new aws.lambda.FunctionUrl(
            `${name}-url`,
            {
                functionName: fn.name,
                invokeMode: "RESPONSE_STREAM",
                // With NONE the provider adds the two public permissions AWS requires
                // (lambda:InvokeFunctionUrl and lambda:InvokeFunction via the URL).
                authorizationType: r.authType,
                cors:
                    r.corsAllowOrigins.length === 0
                        ? undefined
                        : {
                              allowOrigins: r.corsAllowOrigins,
                              allowMethods: ["POST"],
                              // What a SigV4-signing browser client sends besides the body type.
                              allowHeaders: ["accept", "authorization", "content-type", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"],
                              maxAge: 300,
                          },
            },
            { parent: this },
        );

        this.url = url.functionUrl;
        this.functionName = fn.name;
        this.logGroupName = logGroup.name;
        this.region = where.apply(([, region]) => region);
        this.authType = r.authType;
        this.modelId = r.modelId;
        this.registerOutputs({
            url: this.url,
            functionName: this.functionName,
            logGroupName: this.logGroupName,
            region: this.region,
            authType: this.authType,
            modelId: this.modelId,
        });
    }
}
