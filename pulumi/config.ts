// Stack config → BedrockStreamer arguments. Every key is declared with a default in Pulumi.yaml,
// so the CLI always supplies all of them; this file only turns config text into typed values.
// Range and consistency checks belong to the component, which reports them all at once.

import * as path from "node:path";

import { region } from "@pulumi/aws/config";
import * as pulumi from "@pulumi/pulumi";

import { type ModelMap, parseModels } from "./models";
import type { HandlerSettings, LogLevel } from "./settings";
import type { Architecture, AuthType, BedrockStreamerArgs } from "./streamerArgs";

/** An optional text setting: "" means unset. */
function optionalText(config: pulumi.Config, key: string): string | undefined {
    const value = config.require(key);
    return value === "" ? undefined : value;
}

/** An optional number kept as text in config (Pulumi config has no decimal type): "" means unset. */
function optionalNumber(config: pulumi.Config, key: string): number | undefined {
    const text = optionalText(config, key);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
        throw new pulumi.RunError(`bedrock-streamer:${key} must be a number such as 0.7, or "" for the model's default; got ${JSON.stringify(text)}`);
    }
    return value;
}

/** `templates` is JSON object text, the form the handler reads from STREAMER_TEMPLATES. */
function templatesFrom(config: pulumi.Config): Record<string, string> {
    const text = config.require("templates");
    const example = `{"CATS": "Tell me a rhyming story about {storyType}"}`;
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new pulumi.RunError(`bedrock-streamer:templates is not valid JSON (${(error as Error).message}); expected an object such as ${example}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new pulumi.RunError(`bedrock-streamer:templates must be a JSON object of storyType to template, such as ${example}; got ${text}`);
    }
    return parsed as Record<string, string>;
}

/** `models` is JSON object text, passed to the handler as STREAMER_MODELS; its entries are checked by the component. */
function modelsFrom(config: pulumi.Config): ModelMap {
    try {
        return parseModels(config.require("models"));
    } catch (error) {
        throw new pulumi.RunError((error as Error).message);
    }
}

/**
 * Keys that configure the AWS resources themselves rather than the handler: their values are in
 * the plan and in AWS's plain view of the function, so the stack cannot keep them secret.
 */
const RESOURCE_KEYS = ["authType", "reservedConcurrency", "memorySize", "timeout", "architecture", "logRetentionDays", "corsAllowOrigins", "codeZip"];

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
            `bedrock-streamer configuration is invalid:\n` +
                refused
                    .map(
                        (key) =>
                            `  - ${key} is set with --secret, but it configures the AWS resources themselves, which the preview and ` +
                            `anyone who can read the function see in plain text, so the stack cannot keep it secret: set it without --secret ` +
                            `(pulumi config set ${key} <value>)`,
                    )
                    .join("\n"),
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
        models: modelsFrom(config),
        defaultModel: optionalText(config, "defaultModel"),
        maxTokens: config.requireNumber("maxTokens"),
        maxTokensCap: config.requireNumber("maxTokensCap"),
        temperature: optionalNumber(config, "temperature"),
        topP: optionalNumber(config, "topP"),
        systemPrompt: optionalText(config, "systemPrompt"),
        defaultTemplate: config.require("defaultTemplate"),
        templates: templatesFrom(config),
        allowedStoryTypes: config.requireObject<string[]>("allowedStoryTypes"),
        keepAliveSecs: config.requireNumber("keepAliveSecs"),
        // The component checks these against their allowed values and says what is accepted.
        logLevel: config.require("logLevel") as LogLevel,
        page: config.requireBoolean("page"),
        chat: config.requireBoolean("chat"),
        chatSystemPrompt: optionalText(config, "chatSystemPrompt"),
        chatMaxMessages: config.requireNumber("chatMaxMessages"),
        chatMaxMessageChars: config.requireNumber("chatMaxMessageChars"),
        chatMaxTotalChars: config.requireNumber("chatMaxTotalChars"),
        authType: config.require("authType") as AuthType,
        architecture: config.require("architecture") as Architecture,
        // -1, Lambda's own word for "no reservation", is how config says unset.
        reservedConcurrency: reservedConcurrency === -1 ? undefined : reservedConcurrency,
        memorySize: config.requireNumber("memorySize"),
        timeout: config.requireNumber("timeout"),
        logRetentionDays: config.requireNumber("logRetentionDays"),
        corsAllowOrigins: config.requireObject<string[]>("corsAllowOrigins"),
        secretSettings: secretSettings(config),
    };
}
