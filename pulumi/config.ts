// Stack config → BedrockStreamer arguments. Every key is declared with a default in Pulumi.yaml,
// so the CLI always supplies all of them; this file only turns config text into typed values.
// Range and consistency checks belong to the component, which reports them all at once.

import * as path from "node:path";

import { region } from "@pulumi/aws/config";
import * as pulumi from "@pulumi/pulumi";

import { type ModelMap, parseModels } from "./models";
import type { LogLevel } from "./settings";
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
    };
}
