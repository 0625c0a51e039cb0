// BedrockStreamer's arguments: their types, their defaults (from settings.ts), and every check that
// must pass before a single resource is planned (each rule is written in settings.ts). The component
// (streamer.ts) only turns resolved arguments into resources.

import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import type { GuardrailSpec } from "./guardrailArgs";
import { classifyModel } from "./policy";
import { unpricedWarning } from "./prices";
import {
    configuredModels,
    corsEnvironment,
    environmentProblem,
    guardrailSpecProblems,
    HANDLER_DEFAULTS,
    handlerEnvironment,
    invalidConfiguration,
    type HandlerSettings,
    modelIdProblem,
    RESOURCE_DEFAULTS,
    resourceProblems,
    type ResourceSettings,
    reviewModels,
    settingsProblems,
} from "./settings";

export interface BedrockStreamerArgs extends Partial<HandlerSettings>, Partial<ResourceSettings> {
    /** The package `cargo lambda build --output-format zip` writes (`just build`). */
    codeZip: string;
    /**
     * A Bedrock guardrail for the stack to create and publish (guardrail.ts), which every call then
     * carries; not together with `guardrailId`, which names an existing one.
     */
    guardrail?: GuardrailSpec;
    /**
     * Handler settings whose values must stay secret in the stack's state and outputs (index.ts
     * passes those set with `pulumi config set --secret`): any of them makes the function's
     * environment secret, and `modelId`, `models` or `defaultModel` also the model policy and the
     * `modelId` output.
     */
    secretSettings?: (keyof HandlerSettings)[];
}

/** Arguments that are unset unless given: no default value stands in for them. */
type UnsetUnlessGiven =
    | "temperature"
    | "topP"
    | "systemPrompt"
    | "systemPromptFile"
    | "systemPromptParameter"
    | "chatSystemPrompt"
    | "chatSystemPromptFile"
    | "chatSystemPromptParameter"
    | "reservedConcurrency"
    | "defaultModel"
    | "region"
    | "secretSettings"
    | "cognitoUserPoolArn"
    | "guardrail"
    | "guardrailId"
    | "guardrailVersion"
    | "dailyBudgetUsd"
    | "budgetEmail"
    | "budgetAction";

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
    problems.push(...guardrailSpecProblems(r.guardrail, r));
    problems.push(...resourceProblems(r));
    const envProblem = environmentProblem(env);
    if (envProblem !== undefined) problems.push(envProblem);
    if (!fs.existsSync(r.codeZip)) {
        problems.push(`the Lambda package ${r.codeZip} is missing: run \`just build\` first`);
    }
    return problems;
}

/** A daily budget that cannot count some models' requests (prices.ts), one line per model. */
function costWarnings(r: ResolvedStreamerArgs): string[] {
    const aliases = Object.entries(r.models);
    const models = aliases.length === 0 ? [["modelId", { modelId: r.modelId }] as const] : aliases.map(([alias, settings]) => [`models.${alias}`, settings] as const);
    return models.flatMap(([key, settings]) => unpricedWarning(key, settings, r.dailyBudgetUsd) ?? []);
}

/** What deploys and works but exposes more than the stack may mean to, one line each. */
function exposureWarnings(r: ResolvedStreamerArgs): string[] {
    const warnings: string[] = [];
    if (r.logLevel.trim().toLowerCase() === "trace") {
        warnings.push(
            `logLevel trace: every request writes the prompt (story type and system prompt included) and the HTTP client's debug lines ` +
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
    if (r.authType === "API_KEY" && r.reservedConcurrency === undefined) {
        // "Usage plan throttling and quotas aren't hard limits, and are applied on a best-effort
        // basis": AWS says not to rely on them to control costs ("Usage plans and API keys for REST
        // APIs in API Gateway", read 2026-12-07).
        warnings.push(
            "authType API_KEY without reservedConcurrency: API Gateway applies the usage plan's throttle and quota on a best-effort basis, " +
                "not as hard limits, so nothing caps how many Bedrock streams the keys' holders run at once. " +
                "Set a cap, e.g. `pulumi config set reservedConcurrency 10`.",
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
    const environment = { ...handlerEnvironment(r, r.timeout), ...corsEnvironment(r.authType, r.corsAllowOrigins) };
    // A guardrail the stack creates has its id and version only once it exists: the 4 KB check
    // counts the largest version and an allowance of 32 characters for the id Bedrock assigns.
    const sized = r.guardrail === undefined ? environment : { ...environment, STREAMER_GUARDRAIL_ID: "x".repeat(32), STREAMER_GUARDRAIL_VERSION: "99999999" };
    const models = reviewModels(r.models, r.defaultModel, { ...r, defaultModelId: DEFAULTS.modelId });
    const problems = deploymentProblems(r, sized, models.problems);
    if (problems.length > 0) {
        throw new pulumi.RunError(invalidConfiguration(problems));
    }
    return { args: r, environment, warnings: [...models.warnings, ...costWarnings(r), ...exposureWarnings(r)] };
}
