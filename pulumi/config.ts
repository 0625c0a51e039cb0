// Stack config → BedrockStreamer arguments. Every key is declared with a default in Pulumi.yaml,
// so the CLI always supplies all of them; this file only turns config text into typed values.
// Range and consistency checks belong to the component, which reports them all at once.

import * as path from "node:path";

import { region } from "@pulumi/aws/config";
import * as pulumi from "@pulumi/pulumi";

import {
    type Architecture,
    type AuthType,
    type BudgetAction,
    type HandlerSettings,
    invalidConfiguration,
    type LogLevel,
    NO_RESERVATION,
    parseGuardrail,
    parseModels,
    parseTemplates,
    RESOURCE_KEYS,
    type StreamProcessingMode,
} from "./settings";
import type { BedrockStreamerArgs } from "./streamerArgs";

/** An optional text setting: "" means unset. */
function optionalText(config: pulumi.Config, key: string): string | undefined {
    const value = config.require(key);
    return value === "" ? undefined : value;
}

/** An optional file's path: "" means unset; a relative path is taken from `programDir` (Pulumi.yaml's folder), as codeZip is. */
function optionalPath(config: pulumi.Config, key: string, programDir: string): string | undefined {
    const value = optionalText(config, key);
    return value === undefined ? undefined : path.resolve(programDir, value);
}

/** An optional number kept as text in config (Pulumi config has no decimal type): "" means unset, which `unset` says the meaning of. */
function optionalNumber(config: pulumi.Config, key: string, unset = "the model's default"): number | undefined {
    const text = optionalText(config, key);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
        throw new pulumi.RunError(`bedrock-streamer:${key} must be a number such as 0.7, or "" for ${unset}; got ${JSON.stringify(text)}`);
    }
    return value;
}

/** A JSON-object config key (settings.ts parses and names it); a bad one stops the preview with its one line. */
function jsonObjectFrom<T>(config: pulumi.Config, key: string, parse: (text: string) => T): T {
    try {
        return parse(config.require(key));
    } catch (error) {
        throw new pulumi.RunError((error as Error).message);
    }
}

/**
 * Whether the stack set `key` with `pulumi config set --secret`. The SDK keeps its own check
 * internal (runtime/config.ts `isConfigSecret`, which reads the PULUMI_CONFIG_SECRET_KEYS list the
 * CLI hands the program: pulumi/pulumi#6896, read 2026-12-07).
 */
function isSecret(config: pulumi.Config, key: string): boolean {
    return (pulumi.runtime as unknown as { isConfigSecret(fullKey: string): boolean }).isConfigSecret(`${config.name}:${key}`);
}

/**
 * The handler settings the stack set as secrets, which the component keeps secret in state and
 * outputs; a secret resource key stops the preview, one line each saying why.
 */
function secretSettings(config: pulumi.Config): (keyof HandlerSettings)[] {
    const secret = Object.keys(pulumi.runtime.allConfig())
        .filter((fullKey) => fullKey.startsWith(`${config.name}:`))
        .map((fullKey) => fullKey.slice(config.name.length + 1))
        .filter((key) => isSecret(config, key));
    const refused = secret.filter((key) => RESOURCE_KEYS.includes(key));
    if (refused.length > 0) {
        throw new pulumi.RunError(
            invalidConfiguration(
                refused.map(
                    (key) =>
                        `${key} is set with --secret, but it configures the AWS resources themselves, which the preview and ` +
                        `anyone who can read the function see in plain text, so the stack cannot keep it secret: set it without --secret ` +
                        `(pulumi config set ${key} <value>)`,
                ),
            ),
        );
    }
    return secret as (keyof HandlerSettings)[];
}

/** Reads the stack's config; `programDir` anchors the relative codeZip path (Pulumi.yaml's folder). */
export function readStreamerArgs(config: pulumi.Config, programDir: string): BedrockStreamerArgs {
    const reservedConcurrency = config.requireNumber("reservedConcurrency");
    return {
        codeZip: path.resolve(programDir, config.require("codeZip")),
        // The AWS provider's own setting: aws:region, else AWS_REGION / AWS_DEFAULT_REGION.
        region,
        modelId: config.require("modelId"),
        models: jsonObjectFrom(config, "models", parseModels),
        defaultModel: optionalText(config, "defaultModel"),
        maxTokens: config.requireNumber("maxTokens"),
        maxTokensCap: config.requireNumber("maxTokensCap"),
        temperature: optionalNumber(config, "temperature"),
        topP: optionalNumber(config, "topP"),
        systemPrompt: optionalText(config, "systemPrompt"),
        systemPromptFile: optionalPath(config, "systemPromptFile", programDir),
        systemPromptParameter: optionalText(config, "systemPromptParameter"),
        defaultTemplate: config.require("defaultTemplate"),
        templates: jsonObjectFrom(config, "templates", parseTemplates),
        allowedStoryTypes: config.requireObject<string[]>("allowedStoryTypes"),
        keepAliveSecs: config.requireNumber("keepAliveSecs"),
        // The component checks these against their allowed values and says what is accepted.
        logLevel: config.require("logLevel") as LogLevel,
        page: config.requireBoolean("page"),
        chat: config.requireBoolean("chat"),
        chatSystemPrompt: optionalText(config, "chatSystemPrompt"),
        chatSystemPromptFile: optionalPath(config, "chatSystemPromptFile", programDir),
        chatSystemPromptParameter: optionalText(config, "chatSystemPromptParameter"),
        chatMaxMessages: config.requireNumber("chatMaxMessages"),
        chatMaxMessageChars: config.requireNumber("chatMaxMessageChars"),
        chatMaxTotalChars: config.requireNumber("chatMaxTotalChars"),
        guardrail: jsonObjectFrom(config, "guardrail", parseGuardrail),
        guardrailId: optionalText(config, "guardrailId"),
        guardrailVersion: optionalText(config, "guardrailVersion"),
        guardrailStreamProcessingMode: config.require("guardrailStreamProcessingMode") as StreamProcessingMode,
        authType: config.require("authType") as AuthType,
        architecture: config.require("architecture") as Architecture,
        reservedConcurrency: reservedConcurrency === NO_RESERVATION ? undefined : reservedConcurrency,
        memorySize: config.requireNumber("memorySize"),
        timeout: config.requireNumber("timeout"),
        logRetentionDays: config.requireNumber("logRetentionDays"),
        corsAllowOrigins: config.requireObject<string[]>("corsAllowOrigins"),
        usagePlanRateLimit: config.requireNumber("usagePlanRateLimit"),
        usagePlanBurstLimit: config.requireNumber("usagePlanBurstLimit"),
        usagePlanQuotaPerDay: config.requireNumber("usagePlanQuotaPerDay"),
        apiKeyNames: config.requireObject<string[]>("apiKeyNames"),
        cognitoUserPoolArn: optionalText(config, "cognitoUserPoolArn"),
        gatewayRateLimit: config.requireNumber("gatewayRateLimit"),
        gatewayBurstLimit: config.requireNumber("gatewayBurstLimit"),
        dailyBudgetUsd: optionalNumber(config, "dailyBudgetUsd", "no budget"),
        budgetEmail: optionalText(config, "budgetEmail"),
        // The component checks it against notify and refuse.
        budgetAction: optionalText(config, "budgetAction") as BudgetAction | undefined,
        secretSettings: secretSettings(config),
    };
}
