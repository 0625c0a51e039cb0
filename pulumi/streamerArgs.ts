// BedrockStreamer's arguments: their types, their defaults, and every check that must pass before
// a single resource is planned. The component (streamer.ts) only turns resolved arguments into
// resources.

import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { configuredModels, reviewModels } from "./models";
import { classifyModel } from "./policy";
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
type UnsetUnlessGiven = "temperature" | "topP" | "systemPrompt" | "reservedConcurrency" | "defaultModel";

/** The arguments with every default filled in and `codeZip` an absolute path. */
export type ResolvedStreamerArgs = Required<Omit<BedrockStreamerArgs, UnsetUnlessGiven>> & Pick<BedrockStreamerArgs, UnsetUnlessGiven>;

/** Defaults for every other optional argument; Pulumi.yaml declares the same ones (a test keeps them in step). */
export const DEFAULTS: Readonly<Omit<ResolvedStreamerArgs, "codeZip" | UnsetUnlessGiven>> = {
    modelId: "anthropic.claude-3-haiku-20240307-v1:0",
    models: {},
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

/** What the component builds from: the resolved arguments and the function's environment. */
export interface StreamerPlan {
    args: ResolvedStreamerArgs;
    /** One STREAMER_* variable per handler setting, STREAMER_DEADLINE_SECS included. */
    environment: Record<string, string>;
    /** What deploys but would fail some requests; the component logs each with pulumi.log.warn. */
    warnings: string[];
}

function withDefaults(args: BedrockStreamerArgs): ResolvedStreamerArgs {
    const given = Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
    const resolved = { ...structuredClone(DEFAULTS), ...given } as ResolvedStreamerArgs;
    return { ...resolved, codeZip: path.resolve(args.codeZip) };
}

/** Everything that would make the deployment fail or misbehave, one line per problem. */
function deploymentProblems(r: ResolvedStreamerArgs, env: Record<string, string>, modelProblems: string[]): string[] {
    const problems: string[] = [];
    for (const model of configuredModels(r.modelId, r.models)) {
        if (model.modelId === "") continue;
        try {
            classifyModel(model.modelId);
        } catch (error) {
            problems.push(model.key === "modelId" ? (error as Error).message : `${model.key}: ${(error as Error).message}`);
        }
    }
    problems.push(...modelProblems);
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
                "shorten templates, defaultTemplate, systemPrompt or models",
        );
    }
    if (!fs.existsSync(r.codeZip)) {
        problems.push(`the Lambda package ${r.codeZip} is missing: run \`just build\` first`);
    }
    return problems;
}

/**
 * Fills in the defaults and checks everything at once. Config values are plain values, so this runs
 * before a single resource is planned: `pulumi preview` stops with the full list (a RunError, which
 * the CLI prints without a stack trace) instead of a deploy that fails halfway.
 */
export function planStreamer(args: BedrockStreamerArgs): StreamerPlan {
    const r = withDefaults(args);
    const environment = handlerEnvironment(r, r.timeout - DEADLINE_MARGIN_SECS);
    const models = reviewModels(r.models, r.defaultModel, { ...r, defaultModelId: DEFAULTS.modelId });
    const problems = deploymentProblems(r, environment, models.problems);
    if (problems.length > 0) {
        throw new pulumi.RunError(`bedrock-streamer configuration is invalid:\n  - ${problems.join("\n  - ")}`);
    }
    return { args: r, environment, warnings: models.warnings };
}
