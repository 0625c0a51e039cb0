// The handler's settings as the stack sets them: each becomes one STREAMER_* environment variable
// (see config/default.toml and handler/src/settings.rs). The checks here mirror what the handler
// refuses at cold start, so a bad value fails `pulumi preview` instead of every invocation.

import { type ModelMap, resolveDefaultModel } from "./models";

export const LOG_LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the handler reads, in the units the component takes them. */
export interface HandlerSettings {
    /** Foundation-model id, cross-region inference-profile id or full ARN: the one model when `models` is empty. */
    modelId: string;
    /** alias → model settings a request may choose with "model"; empty: `modelId` alone (see models.ts). */
    models: ModelMap;
    /** The alias a request without "model" uses; undefined: the only alias of `models`. */
    defaultModel?: string;
    /** maxTokens for a request that does not ask for one. */
    maxTokens: number;
    /** Highest maxTokens a caller may ask for; at least `maxTokens`. */
    maxTokensCap: number;
    /** 0..1; undefined leaves the model's default. */
    temperature?: number;
    /** 0..1; undefined leaves the model's default. */
    topP?: number;
    /** Sent with every request; undefined sends none. */
    systemPrompt?: string;
    /** Prompt for story types without their own template; must contain {storyType}. */
    defaultTemplate: string;
    /** storyType (case-insensitive) → template; each must contain {storyType}. */
    templates: Record<string, string>;
    /** Accepted story types (case-insensitive); empty accepts any valid storyType. */
    allowedStoryTypes: string[];
    logLevel: LogLevel;
}

/** Where a template puts the caller's storyType. */
export const PLACEHOLDER = "{storyType}";

/** Lambda's limit on all of a function's environment variables together. */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

/** The handler's storyType rule (handler/src/request.rs): 1..64 letters, digits, space, '-', '_'. */
const STORY_TYPE = /^[\p{L}\p{N} _-]{1,64}$/u;

function isStoryType(value: string): boolean {
    return STORY_TYPE.test(value) && /[\p{L}\p{N}]/u.test(value);
}

function isUnitFraction(value: number | undefined): boolean {
    return value === undefined || (Number.isFinite(value) && value >= 0 && value <= 1);
}

/** Everything the handler would reject at cold start, one line per problem, named by config key. */
export function settingsProblems(s: HandlerSettings): string[] {
    const problems: string[] = [];
    if (!Number.isInteger(s.maxTokens) || s.maxTokens < 1) {
        problems.push(`maxTokens must be a whole number of at least 1, got ${s.maxTokens}`);
    }
    if (!Number.isInteger(s.maxTokensCap) || s.maxTokensCap < 1) {
        problems.push(`maxTokensCap must be a whole number of at least 1, got ${s.maxTokensCap}`);
    } else if (s.maxTokensCap < s.maxTokens) {
        problems.push(`maxTokensCap (${s.maxTokensCap}) is below maxTokens (${s.maxTokens}); the cap must be at least the default`);
    }
    if (!isUnitFraction(s.temperature)) problems.push(`temperature must be a number from 0 to 1, got ${s.temperature}`);
    if (!isUnitFraction(s.topP)) problems.push(`topP must be a number from 0 to 1, got ${s.topP}`);
    if (!s.defaultTemplate.includes(PLACEHOLDER)) {
        problems.push(`defaultTemplate must contain ${PLACEHOLDER}, where the story type goes; got ${JSON.stringify(s.defaultTemplate)}`);
    }
    const seen = new Map<string, string>();
    for (const [storyType, template] of Object.entries(s.templates)) {
        if (typeof template !== "string" || !template.includes(PLACEHOLDER)) {
            problems.push(`templates.${storyType} must be text containing ${PLACEHOLDER}; got ${JSON.stringify(template)}`);
        }
        if (!isStoryType(storyType)) {
            problems.push(`templates key ${JSON.stringify(storyType)} can never match a storyType (1-64 letters, digits, space, '-', '_')`);
        }
        const previous = seen.get(storyType.toLowerCase());
        if (previous !== undefined) {
            problems.push(`templates keys ${JSON.stringify(previous)} and ${JSON.stringify(storyType)} differ only in case; storyType matching ignores case`);
        }
        seen.set(storyType.toLowerCase(), storyType);
    }
    for (const storyType of s.allowedStoryTypes) {
        if (!isStoryType(storyType)) {
            problems.push(`allowedStoryTypes entry ${JSON.stringify(storyType)} is not a storyType (1-64 letters, digits, space, '-', '_')`);
        }
    }
    if (!(LOG_LEVELS as readonly string[]).includes(s.logLevel)) {
        problems.push(`logLevel must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(s.logLevel)}`);
    }
    return problems;
}

/**
 * The function's environment: one STREAMER_* variable per setting, and none for an optional
 * setting left unset (the handler would treat an empty one as unset anyway, but an absent one
 * says so plainly and costs nothing of the 4 KB). STREAMER_DEADLINE_SECS is not a config key:
 * the component derives it from the Lambda timeout.
 */
export function handlerEnvironment(s: HandlerSettings, deadlineSecs: number): Record<string, string> {
    // With `models`, the map and its default alias replace STREAMER_MODEL_ID (and the one-model
    // sampling settings, which the preview refuses alongside `models`).
    const hasModels = Object.keys(s.models).length > 0;
    const model: Record<string, string> = hasModels
        ? { STREAMER_MODELS: JSON.stringify(s.models), STREAMER_DEFAULT_MODEL: resolveDefaultModel(s.models, s.defaultModel) ?? "" }
        : { STREAMER_MODEL_ID: s.modelId };
    const env: Record<string, string> = {
        ...model,
        STREAMER_MAX_TOKENS: String(s.maxTokens),
        STREAMER_MAX_TOKENS_CAP: String(s.maxTokensCap),
        STREAMER_DEFAULT_TEMPLATE: s.defaultTemplate,
        STREAMER_DEADLINE_SECS: String(deadlineSecs),
        STREAMER_LOG_LEVEL: s.logLevel,
    };
    if (!hasModels && s.temperature !== undefined) env.STREAMER_TEMPERATURE = String(s.temperature);
    if (!hasModels && s.topP !== undefined) env.STREAMER_TOP_P = String(s.topP);
    if (s.systemPrompt !== undefined) env.STREAMER_SYSTEM_PROMPT = s.systemPrompt;
    if (Object.keys(s.templates).length > 0) env.STREAMER_TEMPLATES = JSON.stringify(s.templates);
    if (s.allowedStoryTypes.length > 0) env.STREAMER_ALLOWED_STORY_TYPES = s.allowedStoryTypes.join(",");
    return env;
}

/**
 * Size of an environment as counted against Lambda's 4 KB: the UTF-8 bytes of its JSON form.
 * That is at least what Lambda counts (names and values), so a stack that passes here fits.
 */
export function environmentBytes(env: Record<string, string>): number {
    return Buffer.byteLength(JSON.stringify(env), "utf8");
}
