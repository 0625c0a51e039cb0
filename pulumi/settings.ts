// The handler's settings as the stack sets them: each becomes one STREAMER_* environment variable
// (see config/default.toml and handler/src/settings.rs). The checks here mirror what the handler
// refuses at cold start, so a bad value fails `pulumi preview` instead of every invocation.

import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "smol-toml";

import { type ModelMap, modelIdProblem, resolveDefaultModel } from "./models";

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
    /** storyType (case- and composition-insensitive) → template; each must contain {storyType}. */
    templates: Record<string, string>;
    /** Accepted story types (case- and composition-insensitive); empty accepts any valid storyType. */
    allowedStoryTypes: string[];
    /**
     * Seconds a stream may stay silent (a model thinking) before a keep-alive is written (an SSE
     * comment, an NDJSON `ping` event); 0 sends none. 0 to 900.
     */
    keepAliveSecs: number;
    logLevel: LogLevel;
    /** Serve the story page at GET / (handler/assets/page.html); false answers GET / with 405. */
    page: boolean;
    /** Serve conversations (POST /chat, POST /v1/chat/completions, GET /v1/models); false answers them with 405. */
    chat: boolean;
    /** Sent first with every conversation, before the caller's own system messages; undefined sends none. */
    chatSystemPrompt?: string;
    /** Most messages one conversation request may send (1 to 1000). */
    chatMaxMessages: number;
    /** Most Unicode characters in one message (1 to 400000, at most `chatMaxTotalChars`). */
    chatMaxMessageChars: number;
    /** Most Unicode characters in all of a request's messages (1 to 400000). */
    chatMaxTotalChars: number;
}

/** The settings that always have a value: those config/default.toml gives a default. */
type SettingsWithDefaults = { [K in keyof HandlerSettings as undefined extends HandlerSettings[K] ? never : K]: HandlerSettings[K] };

/**
 * The handler's own defaults, the one place they are written: config/default.toml, which the
 * handler embeds at build time and the stack reads here, each `snake_case` key as its camelCase
 * config key. `deadline_secs` is not a stack key (the stack sets it from `timeout`), and the maps
 * and lists default.toml leaves unset are empty.
 */
export const HANDLER_DEFAULTS: Readonly<SettingsWithDefaults> = handlerDefaults(path.join(__dirname, "..", "config", "default.toml"));

function handlerDefaults(file: string): SettingsWithDefaults {
    const toml = parse(fs.readFileSync(file, "utf8"));
    const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const given = Object.entries(toml).filter(([key]) => key !== "deadline_secs");
    const defaults: Record<string, unknown> = { models: {}, templates: {}, allowedStoryTypes: [] };
    for (const [key, value] of given) defaults[camelCase(key)] = value;
    return defaults as SettingsWithDefaults;
}

/** Where a template puts the caller's storyType. */
export const PLACEHOLDER = "{storyType}";

/** Lambda's limit on all of a function's environment variables together. */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

/** Most characters (after NFC) a storyType may have; handler/src/request/story_type.rs `MAX_CHARS`. */
export const MAX_STORY_TYPE_CHARS = 64;

const ZERO_WIDTH_NON_JOINER = "\u200C";
const ZERO_WIDTH_JOINER = "\u200D";

type StoryTypeClass = "letter" | "number" | "mark" | "joiner" | "punctuation" | "other";

function storyTypeClass(c: string): StoryTypeClass {
    if (c === " " || c === "-" || c === "_") return "punctuation";
    if (c === ZERO_WIDTH_NON_JOINER || c === ZERO_WIDTH_JOINER) return "joiner";
    if (/^\p{L}$/u.test(c)) return "letter";
    if (/^\p{N}$/u.test(c)) return "number";
    if (/^\p{M}$/u.test(c)) return "mark";
    return "other";
}

function codePoint(c: string): string {
    return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A character as a message shows it: itself in quotes when it can be seen, and its code point. */
function shown(c: string): string {
    return /^[\p{C}\p{Z}\p{M}]$/u.test(c) ? codePoint(c) : `'${c}' (${codePoint(c)})`;
}

/**
 * The handler's storyType rule (handler/src/request/story_type.rs), word for word: in NFC, 1 to 64
 * characters of letters (L), numbers (N), combining marks (M) right after a letter, number or
 * mark, space, '-', '_', and the zero-width non-joiner/joiner between two letters; at least one
 * letter or number. Returns why `text` is not a storyType (the handler's own words), or undefined.
 */
export function storyTypeProblem(text: string): string | undefined {
    const chars = [...text.normalize("NFC")];
    if (chars.length === 0 || chars.length > MAX_STORY_TYPE_CHARS) {
        return `must be 1 to ${MAX_STORY_TYPE_CHARS} characters long; got ${chars.length}`;
    }
    let base: StoryTypeClass | undefined;
    for (const [i, c] of chars.entries()) {
        const cls = storyTypeClass(c);
        if (cls === "mark") {
            if (base !== "letter" && base !== "number") return `has a combining mark (${codePoint(c)}) with no letter or digit before it`;
            continue;
        }
        if (cls === "joiner" && (base !== "letter" || i + 1 >= chars.length || storyTypeClass(chars[i + 1]) !== "letter")) {
            return `has a zero-width joiner or non-joiner (${codePoint(c)}) that is not between two letters`;
        }
        if (cls === "other") return `may contain only letters, digits, combining marks, space, '-' and '_'; found ${shown(c)}`;
        base = cls;
    }
    if (!chars.some((c) => ["letter", "number"].includes(storyTypeClass(c)))) return "must contain a letter or digit";
    return undefined;
}

/** What story types are compared by (allow-list, template keys): NFC and lower case. */
export function storyTypeKey(storyType: string): string {
    return storyType.normalize("NFC").toLowerCase().normalize("NFC");
}

/** Largest maxTokens and maxTokensCap the handler reads (a u32). */
const MAX_WHOLE_NUMBER = 4294967295;

/** Longest keep-alive interval the handler takes (handler/src/settings.rs `MAX_KEEP_ALIVE_SECS`). */
export const MAX_KEEP_ALIVE_SECS = 900;

/** A value as the handler quotes it in a message: JSON text of the value as text. */
function quoted(value: unknown): string {
    return JSON.stringify(String(value));
}

function wholeNumberProblem(value: number): string | undefined {
    return Number.isInteger(value) && value >= 1 && value <= MAX_WHOLE_NUMBER
        ? undefined
        : `expected a whole number from 1 to ${MAX_WHOLE_NUMBER}, got ${quoted(value)}`;
}

/** Most messages a conversation may be allowed (handler/src/settings.rs `MAX_CHAT_MESSAGES`). */
export const MAX_CHAT_MESSAGES = 1000;

/** Most characters a conversation may be allowed (handler/src/settings.rs `MAX_CHAT_CHARS`: its body stays under Lambda's 6 MB). */
export const MAX_CHAT_CHARS = 400000;

function boundedWholeNumberProblem(value: number, max: number): string | undefined {
    return Number.isInteger(value) && value >= 1 && value <= max ? undefined : `expected a whole number from 1 to ${max}, got ${quoted(value)}`;
}

function unitFractionProblem(value: number | undefined): string | undefined {
    return value === undefined || (Number.isFinite(value) && value >= 0 && value <= 1) ? undefined : `expected a number from 0.0 to 1.0, got ${quoted(value)}`;
}

/**
 * Everything the handler would refuse at cold start, one line per problem: the config key, then
 * the handler's own words for the problem (config/settings-cases.json holds the cases both sides
 * run, handler/tests/settings_cases.rs and test/settings.test.ts).
 */
export function settingsProblems(s: HandlerSettings): string[] {
    const problems: string[] = [];
    const problem = (key: string, text: string | undefined) => {
        if (text !== undefined) problems.push(`${key}: ${text}`);
    };
    problem("modelId", modelIdProblem(s.modelId));
    problem("maxTokens", wholeNumberProblem(s.maxTokens));
    const capProblem = wholeNumberProblem(s.maxTokensCap);
    problem("maxTokensCap", capProblem);
    if (capProblem === undefined && wholeNumberProblem(s.maxTokens) === undefined && s.maxTokensCap < s.maxTokens) {
        problem("maxTokensCap", `${s.maxTokensCap} is below maxTokens (${s.maxTokens}); the cap must be at least the default`);
    }
    problem("temperature", unitFractionProblem(s.temperature));
    problem("topP", unitFractionProblem(s.topP));
    if (!s.defaultTemplate.includes(PLACEHOLDER)) {
        problem("defaultTemplate", `must contain ${PLACEHOLDER}, where the story type goes; got ${JSON.stringify(s.defaultTemplate)}`);
    }
    // Sorted as the handler sorts them, so of two keys for one story type both name the same pair.
    const seen = new Map<string, string>();
    for (const [storyType, template] of Object.entries(s.templates).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const keyProblem = storyTypeProblem(storyType);
        if (keyProblem !== undefined) problem("templates", `key ${JSON.stringify(storyType)}: ${keyProblem}`);
        if (typeof template !== "string" || !template.includes(PLACEHOLDER)) {
            problem("templates", `template for ${JSON.stringify(storyType)}: must contain ${PLACEHOLDER}, where the story type goes; got ${JSON.stringify(template)}`);
        }
        const key = storyTypeKey(storyType);
        const previous = seen.get(key);
        if (previous !== undefined) {
            problem("templates", `keys ${JSON.stringify(previous)} and ${JSON.stringify(storyType)} are one story type; storyType matching ignores case and composition`);
        }
        seen.set(key, storyType);
    }
    for (const storyType of s.allowedStoryTypes) {
        const entryProblem = storyTypeProblem(storyType);
        if (entryProblem !== undefined) problem("allowedStoryTypes", `entry ${JSON.stringify(storyType)}: ${entryProblem}`);
    }
    if (!Number.isInteger(s.keepAliveSecs) || s.keepAliveSecs < 0 || s.keepAliveSecs > MAX_KEEP_ALIVE_SECS) {
        problem("keepAliveSecs", `expected a whole number from 0 to ${MAX_KEEP_ALIVE_SECS}, got ${quoted(s.keepAliveSecs)}`);
    }
    problem("chatMaxMessages", boundedWholeNumberProblem(s.chatMaxMessages, MAX_CHAT_MESSAGES));
    const messageCharsProblem = boundedWholeNumberProblem(s.chatMaxMessageChars, MAX_CHAT_CHARS);
    const totalCharsProblem = boundedWholeNumberProblem(s.chatMaxTotalChars, MAX_CHAT_CHARS);
    problem("chatMaxMessageChars", messageCharsProblem);
    problem("chatMaxTotalChars", totalCharsProblem);
    if (messageCharsProblem === undefined && totalCharsProblem === undefined && s.chatMaxMessageChars > s.chatMaxTotalChars) {
        problem(
            "chatMaxMessageChars",
            `${s.chatMaxMessageChars} is above chatMaxTotalChars (${s.chatMaxTotalChars}); one message cannot be longer than the whole conversation`,
        );
    }
    if (!(LOG_LEVELS as readonly string[]).includes(s.logLevel.trim().toLowerCase())) {
        problem("logLevel", `expected one of ${LOG_LEVELS.join(", ")}; got ${JSON.stringify(s.logLevel)}`);
    }
    return problems;
}

/**
 * The function's environment: one STREAMER_* variable per setting, and none for an optional
 * setting left unset (the handler would treat an empty one as unset anyway, but an absent one
 * says so plainly and costs nothing of the 4 KB). STREAMER_DEADLINE_SECS is not a config key: it
 * is the Lambda timeout, unchanged. The handler alone owns the margin that gets the caller its
 * `timeout` event before Lambda stops the function: it ends the stream 0.5 s before the
 * invocation's own deadline (handler/src/stream/deadline.rs), whatever STREAMER_DEADLINE_SECS says.
 */
export function handlerEnvironment(s: HandlerSettings, timeoutSecs: number): Record<string, string> {
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
        STREAMER_DEADLINE_SECS: String(timeoutSecs),
        STREAMER_KEEP_ALIVE_SECS: String(s.keepAliveSecs),
        STREAMER_LOG_LEVEL: s.logLevel,
        STREAMER_PAGE: String(s.page),
        STREAMER_CHAT: String(s.chat),
        STREAMER_CHAT_MAX_MESSAGES: String(s.chatMaxMessages),
        STREAMER_CHAT_MAX_MESSAGE_CHARS: String(s.chatMaxMessageChars),
        STREAMER_CHAT_MAX_TOTAL_CHARS: String(s.chatMaxTotalChars),
    };
    if (!hasModels && s.temperature !== undefined) env.STREAMER_TEMPERATURE = String(s.temperature);
    if (!hasModels && s.topP !== undefined) env.STREAMER_TOP_P = String(s.topP);
    if (s.systemPrompt !== undefined) env.STREAMER_SYSTEM_PROMPT = s.systemPrompt;
    if (s.chatSystemPrompt !== undefined) env.STREAMER_CHAT_SYSTEM_PROMPT = s.chatSystemPrompt;
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
