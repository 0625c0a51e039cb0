// BedrockStreamer's arguments: their types, their defaults (from settings.ts), and every check that
// must pass before a single resource is planned (each rule is written in settings.ts). The component
// (streamer.ts) only turns resolved arguments into resources.

import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { classifyModel } from "./policy";
import {
    type Architecture,
    ARCHITECTURES,
    AUTH_TYPES,
    type AuthType,
    configuredModels,
    corsOriginProblem,
    environmentBytes,
    ENVIRONMENT_LIMIT_BYTES,
    functionUrlRegionProblem,
    HANDLER_DEFAULTS,
    handlerEnvironment,
    type HandlerSettings,
    LOG_RETENTION_DAYS,
    MAX_CORS_ORIGINS,
    MAX_MEMORY_MB,
    MAX_TIMEOUT_SECS,
    MIN_MEMORY_MB,
    MIN_TIMEOUT_SECS,
    modelIdProblem,
    RESOURCE_DEFAULTS,
    reviewModels,
    settingsProblems,
} from "./settings";

export interface BedrockStreamerArgs extends Partial<HandlerSettings> {
    /** The package `cargo lambda build --output-format zip` writes (`just build`). */
    codeZip: string;
    /**
     * The region the AWS provider deploys to, as a plain value so it is checked before anything is
     * planned (index.ts passes `aws:region`, or AWS_REGION). Unset stops the preview: the stack must say.
     */
    region?: string;
    /** AWS_IAM: callers sign with SigV4. NONE: a public URL, which needs `reservedConcurrency`. */
    authType?: AuthType;
    /** Most concurrent executions; undefined leaves the function unreserved (the account's pool). */
    reservedConcurrency?: number;
    /** MB; CPU scales with it. */
    memorySize?: number;
    /** Seconds; also the handler's STREAMER_DEADLINE_SECS (it stops 0.5 s before Lambda's deadline itself). */
    timeout?: number;
    architecture?: Architecture;
    logRetentionDays?: number;
    /** Browser origins allowed to call the URL; empty configures no CORS. */
    corsAllowOrigins?: string[];
    /**
     * Handler settings whose values must stay secret in the stack's state and outputs (index.ts
     * passes those set with `pulumi config set --secret`): any of them makes the function's
     * environment secret, and `modelId`, `models` or `defaultModel` also the model policy and the
     * `modelId` output.
     */
    secretSettings?: (keyof HandlerSettings)[];
}

/** Arguments that are unset unless given: no default value stands in for them. */
type UnsetUnlessGiven = "temperature" | "topP" | "systemPrompt" | "chatSystemPrompt" | "reservedConcurrency" | "defaultModel" | "region" | "secretSettings";

/** The arguments with every default filled in and `codeZip` an absolute path. */
export type ResolvedStreamerArgs = Required<Omit<BedrockStreamerArgs, UnsetUnlessGiven>> & Pick<BedrockStreamerArgs, UnsetUnlessGiven>;

/**
 * Defaults for every other optional argument: the handler's settings from config/default.toml
 * (HANDLER_DEFAULTS), and the resources' own (RESOURCE_DEFAULTS). Pulumi.yaml declares them all again, because the
 * CLI requires a value for every declared key a stack leaves unset; a test keeps it in step.
 */
export const DEFAULTS: Readonly<Omit<ResolvedStreamerArgs, "codeZip" | UnsetUnlessGiven>> = {
    ...HANDLER_DEFAULTS,
    ...RESOURCE_DEFAULTS,
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
        // Reported by settingsProblems or reviewModels in the handler's words.
        if (modelIdProblem(model.modelId) !== undefined) continue;
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
    } else if (r.authType === "NONE" && r.reservedConcurrency === 0) {
        // Lambda throttles every invocation of a function reserved at 0 (its switch to turn one off).
        problems.push(
            "authType NONE needs reservedConcurrency of at least 1: 0 is not a cap but Lambda's off switch, " +
                "which throttles every invocation, so the public URL would serve nothing. Set a cap, e.g. `pulumi config set reservedConcurrency 10`.",
        );
    }
    if (!(ARCHITECTURES as readonly string[]).includes(r.architecture)) {
        problems.push(`architecture ${JSON.stringify(r.architecture)} is not a Lambda architecture; use arm64 (the default) or x86_64`);
    }
    if (!Number.isInteger(r.memorySize) || r.memorySize < MIN_MEMORY_MB || r.memorySize > MAX_MEMORY_MB) {
        problems.push(`memorySize must be a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, got ${r.memorySize}`);
    }
    if (!Number.isInteger(r.timeout) || r.timeout < MIN_TIMEOUT_SECS || r.timeout > MAX_TIMEOUT_SECS) {
        problems.push(
            `timeout must be a whole number of seconds from ${MIN_TIMEOUT_SECS} to ${MAX_TIMEOUT_SECS}, got ${r.timeout}`,
        );
    }
    if (!LOG_RETENTION_DAYS.includes(r.logRetentionDays)) {
        problems.push(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${r.logRetentionDays}`);
    }
    if (!r.region) {
        problems.push("the stack's region is not set: `pulumi config set aws:region <region>` (or AWS_REGION), so it can be checked before deploying");
    } else {
        const problem = functionUrlRegionProblem(r.region);
        if (problem !== undefined) problems.push(problem);
    }
    if (r.corsAllowOrigins.length > MAX_CORS_ORIGINS) {
        problems.push(`corsAllowOrigins has ${r.corsAllowOrigins.length} origins; a Function URL takes at most ${MAX_CORS_ORIGINS}`);
    }
    for (const origin of r.corsAllowOrigins) {
        const problem = corsOriginProblem(origin);
        if (problem !== undefined) problems.push(`corsAllowOrigins entry ${JSON.stringify(origin)} ${problem}`);
    }
    const envBytes = environmentBytes(env);
    if (envBytes > ENVIRONMENT_LIMIT_BYTES) {
        problems.push(
            `the function's environment is ${envBytes} bytes, over Lambda's ${ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
                "shorten templates, defaultTemplate, systemPrompt, chatSystemPrompt or models",
        );
    }
    if (!fs.existsSync(r.codeZip)) {
        problems.push(`the Lambda package ${r.codeZip} is missing: run \`just build\` first`);
    }
    return problems;
}

/** What deploys and works but exposes more than the stack may mean to, one line each. */
function exposureWarnings(r: ResolvedStreamerArgs): string[] {
    const warnings: string[] = [];
    if (r.logLevel.trim().toLowerCase() === "trace") {
        warnings.push(
            `logLevel trace: every request writes the prompt (story type and system prompt included) and the AWS SDK's debug lines ` +
                `to CloudWatch Logs, kept ${r.logRetentionDays} days and readable by anyone who may read the log group. ` +
                "Use it to investigate, then set it back: `pulumi config set logLevel info`.",
        );
    }
    if (r.authType === "NONE") {
        warnings.push(
            `authType NONE: the Function URL is public. Anyone who finds it can spend up to reservedConcurrency ` +
                `(${r.reservedConcurrency}) concurrent Bedrock streams on this account.`,
        );
    }
    if (r.authType === "NONE" && r.corsAllowOrigins.includes("*")) {
        warnings.push(
            `corsAllowOrigins "*" on a public (authType NONE) URL: any web page, in any visitor's browser, can call it and read ` +
                `the stories, spending this account's Bedrock tokens (up to reservedConcurrency streams at once). ` +
                "List the origins that need it instead, e.g. `pulumi config set --path 'corsAllowOrigins[0]' https://example.com`.",
        );
    }
    return warnings;
}

/**
 * Fills in the defaults and checks everything at once. Config values are plain values, so this runs
 * before a single resource is planned: `pulumi preview` stops with the full list (a RunError, which
 * the CLI prints without a stack trace) instead of a deploy that fails halfway.
 */
export function planStreamer(args: BedrockStreamerArgs): StreamerPlan {
    const r = withDefaults(args);
    const environment = handlerEnvironment(r, r.timeout);
    const models = reviewModels(r.models, r.defaultModel, { ...r, defaultModelId: DEFAULTS.modelId });
    const problems = deploymentProblems(r, environment, models.problems);
    if (problems.length > 0) {
        throw new pulumi.RunError(`bedrock-streamer configuration is invalid:\n  - ${problems.join("\n  - ")}`);
    }
    return { args: r, environment, warnings: [...models.warnings, ...exposureWarnings(r)] };
}
