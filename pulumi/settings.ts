// Every rule of the stack's settings, the one place the TypeScript side writes them: the handler's
// settings (each becomes one STREAMER_* environment variable; see config/default.toml and
// handler/src/settings.rs), their defaults, limits and messages, the model-id and alias rules of
// `models`, and the limits of the AWS resources' own settings. The checks mirror what the handler
// refuses at cold start, so a bad value fails `pulumi preview` instead of every invocation. Free of
// Pulumi, so the component (streamerArgs.ts), the config reading (config.ts), the IAM code
// (policy.ts) and the preflight (preflight/) all import it.

import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "smol-toml";

import type { GuardrailSpec } from "./guardrailArgs";
import { promptCacheProblem, promptCacheWarning, serviceTierProblem } from "./bedrockModels";

/** The Pulumi project, and so the namespace of every config key (`bedrock-streamer:<key>`). */
export const CONFIG_NAMESPACE = "bedrock-streamer";

/** How the preview reports what stops it: one line per problem under one heading. */
export function invalidConfiguration(problems: string[]): string {
    return `${CONFIG_NAMESPACE} configuration is invalid:\n  - ${problems.join("\n  - ")}`;
}

export const LOG_LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the handler reads, in the units the component takes them. */
export interface HandlerSettings {
    /** Foundation-model id, cross-region inference-profile id or full ARN: the one model when `models` is empty. */
    modelId: string;
    /** alias → model settings a request may choose with "model"; empty: `modelId` alone (see `ModelSettings`). */
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
    /** Sent with every request; undefined sends none. At most one of systemPrompt, systemPromptFile and systemPromptParameter. */
    systemPrompt?: string;
    /**
     * A file on the deploying machine holding the system prompt (a path relative to the Pulumi
     * project's folder, or absolute): packed into the function's package as `system-prompt.txt`
     * (STREAMER_SYSTEM_PROMPT_FILE), for a prompt longer than Lambda's 4 KB environment holds.
     */
    systemPromptFile?: string;
    /**
     * An existing Systems Manager Parameter Store parameter holding the system prompt (its name or
     * ARN; a SecureString is decrypted): read at cold start (STREAMER_SYSTEM_PROMPT_PARAMETER); the
     * role may read this parameter alone.
     */
    systemPromptParameter?: string;
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
    /** As `systemPromptFile`, for conversations: packed as `chat-system-prompt.txt`. */
    chatSystemPromptFile?: string;
    /** As `systemPromptParameter`, for conversations. */
    chatSystemPromptParameter?: string;
    /** Most messages one conversation request may send (1 to 1000). */
    chatMaxMessages: number;
    /** Most Unicode characters in one message (1 to 400000, at most `chatMaxTotalChars`). */
    chatMaxMessageChars: number;
    /** Most Unicode characters in all of a request's messages (1 to 400000). */
    chatMaxTotalChars: number;
    /** An existing Bedrock guardrail every call carries: its id or ARN, set with `guardrailVersion`. */
    guardrailId?: string;
    /** That guardrail's version: a number from 1 to 99999999, or DRAFT. */
    guardrailVersion?: string;
    /** How Bedrock applies the guardrail to the stream (`sync` or `async`; see `STREAM_PROCESSING_MODES`). */
    guardrailStreamProcessingMode: StreamProcessingMode;
    /**
     * The daily budget (budget.ts): a CloudWatch alarm on the day's summed `CostUsd` at this many US
     * dollars, e-mailing `budgetEmail`; undefined creates none. Not a handler setting: the handler
     * gets `budgetAction` (STREAMER_BUDGET_ACTION) and, to refuse, the alarm's name.
     */
    dailyBudgetUsd?: number;
    /** The address the budget alarm's SNS topic e-mails (the subscription must be confirmed from that mailbox). */
    budgetEmail?: string;
    /** notify: e-mail only; refuse: also answer 429 budget_exceeded while the alarm is in ALARM. */
    budgetAction?: BudgetAction;
}

/** What the daily budget does when the day's cost reaches it (handler/src/settings.rs `BUDGET_ACTIONS`). */
export const BUDGET_ACTIONS = ["notify", "refuse"] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

/** The budget's three keys go together; one line per problem, in the handler's words where it checks too. */
function budgetProblems(s: HandlerSettings): string[] {
    if (s.budgetAction !== undefined && !(BUDGET_ACTIONS as readonly string[]).includes(s.budgetAction)) {
        // Alone, as the handler reports it (it knows no other budget key).
        return [`budgetAction: expected ${BUDGET_ACTIONS.join(" or ")}; got ${JSON.stringify(s.budgetAction)}`];
    }
    const problems: string[] = [];
    if (s.dailyBudgetUsd === undefined) {
        if (s.budgetEmail !== undefined || s.budgetAction !== undefined) {
            problems.push("dailyBudgetUsd: must be set when budgetEmail or budgetAction is: the daily budget they belong to");
        }
        return problems;
    }
    if (!Number.isFinite(s.dailyBudgetUsd) || s.dailyBudgetUsd <= 0) {
        problems.push(`dailyBudgetUsd: expected US dollars, a number above 0; got ${JSON.stringify(s.dailyBudgetUsd)}`);
    }
    if (s.budgetEmail === undefined) {
        problems.push("budgetEmail: must be set with dailyBudgetUsd: the address the budget alarm e-mails");
    } else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s.budgetEmail)) {
        problems.push(`budgetEmail: expected an e-mail address; got ${JSON.stringify(s.budgetEmail)}`);
    }
    if (s.budgetAction === undefined) {
        problems.push(
            "budgetAction: must be set with dailyBudgetUsd: notify (an e-mail when the day's cost reaches it) or refuse " +
                "(also answer 429 budget_exceeded until the alarm clears)",
        );
    }
    return problems;
}

/**
 * ConverseStream's `streamProcessingMode` (Bedrock user guide, "Configure streaming response
 * behavior to filter content", read 2026-12-07): `sync` holds text back until the guardrail has
 * assessed it; `async` sends it at once, so text the guardrail later flags has already gone out,
 * and masking cannot work.
 */
export const STREAM_PROCESSING_MODES = ["sync", "async"] as const;
export type StreamProcessingMode = (typeof STREAM_PROCESSING_MODES)[number];

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

/** Largest maxTokens and maxTokensCap the handler reads (a u32), stack-wide and per alias. */
const MAX_WHOLE_NUMBER = 4294967295;

/** A whole number from 1 to `max`: the handler's token counts and conversation limits. */
const isWholeNumber = (value: unknown, max = MAX_WHOLE_NUMBER): value is number =>
    typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max;

/** A number from 0 to 1: temperature and topP. */
const isUnitFraction = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;

/** Longest keep-alive interval the handler takes (handler/src/settings.rs `MAX_KEEP_ALIVE_SECS`). */
export const MAX_KEEP_ALIVE_SECS = 900;

/** A value as the handler quotes it in a message: JSON text of the value as text. */
function quoted(value: unknown): string {
    return JSON.stringify(String(value));
}

function wholeNumberProblem(value: number, max = MAX_WHOLE_NUMBER): string | undefined {
    return isWholeNumber(value, max) ? undefined : `expected a whole number from 1 to ${max}, got ${quoted(value)}`;
}

/** Most messages a conversation may be allowed (handler/src/settings.rs `MAX_CHAT_MESSAGES`). */
export const MAX_CHAT_MESSAGES = 1000;

/** Most characters a conversation may be allowed (handler/src/settings.rs `MAX_CHAT_CHARS`: its body stays under Lambda's 6 MB). */
export const MAX_CHAT_CHARS = 400000;

function unitFractionProblem(value: number | undefined): string | undefined {
    return value === undefined || isUnitFraction(value) ? undefined : `expected a number from 0.0 to 1.0, got ${quoted(value)}`;
}

// ---- Where the system prompts come from ----
// Lambda holds 4 KB of environment variables in all (Lambda quotas, "Function configuration,
// deployment, and execution", read 2026-12-07): a longer prompt comes from a file packed into the
// function's package or from a Parameter Store parameter (handler/src/settings/system_prompt.rs).

/**
 * The most characters a system prompt from a file or a parameter may have
 * (handler/src/settings/system_prompt.rs `MAX_CHARS`). A parameter holds less anyway: 4 KB
 * (standard tier) or 8 KB (advanced) (Systems Manager user guide, "Managing parameter tiers", read
 * 2026-12-07).
 */
export const MAX_SYSTEM_PROMPT_CHARS = 100000;

/** The stack's two system prompts: their config key, and the name each file has in the package. */
export const SYSTEM_PROMPTS = [
    { key: "systemPrompt", packedAs: "system-prompt.txt" },
    { key: "chatSystemPrompt", packedAs: "chat-system-prompt.txt" },
] as const;

/** One of the two prompts' three keys: the text, the file, the parameter. */
type PromptKeys = "systemPrompt" | "systemPromptFile" | "systemPromptParameter" | "chatSystemPrompt" | "chatSystemPromptFile" | "chatSystemPromptParameter";

/** A parameter name's level: PutParameter `Name` takes `a-zA-Z0-9_.-`, levels after a `/` (SSM API reference, read 2026-12-07). */
const PARAMETER_LEVEL = "[A-Za-z0-9_.-]+";
/** A parameter's name (`prompt`, `/stories/prompt`) or ARN, as SSM writes them (handler/src/settings/system_prompt.rs `is_parameter`). */
const PARAMETER = new RegExp(
    `^(${PARAMETER_LEVEL}|(/${PARAMETER_LEVEL})+|arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/${PARAMETER_LEVEL}(/${PARAMETER_LEVEL})*)$`,
);
/** Longest parameter name, its hierarchy included (PutParameter `Name`). */
const MAX_PARAMETER_NAME_CHARS = 1011;

/** Whether `text` names a Parameter Store parameter (by name or ARN) as the handler takes it. */
export function isParameter(text: string): boolean {
    const name = text.startsWith("arn:") ? text.slice(text.indexOf(":parameter/") + ":parameter/".length) : text;
    return PARAMETER.test(text) && name.length <= MAX_PARAMETER_NAME_CHARS;
}

/** The text of a prompt file, or the problem (the handler's words for empty and too long). */
export function readPromptFile(file: string): { text: string } | { problem: string } {
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(file);
    } catch (error) {
        return { problem: `cannot read ${file}: ${(error as Error).message}` };
    }
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        return { problem: `${file} is not UTF-8 text` };
    }
    if (text.trim() === "") return { problem: `${file} is empty; a system prompt needs text` };
    const chars = [...text].length;
    if (chars > MAX_SYSTEM_PROMPT_CHARS) {
        return { problem: `${file} holds ${chars} characters, over the ${MAX_SYSTEM_PROMPT_CHARS} a system prompt may have` };
    }
    return { text };
}

/** Each prompt's problems: two sources at once (alone, as the handler reports it), a parameter that is not one, a file that cannot be the prompt. */
function systemPromptProblems(s: Pick<HandlerSettings, PromptKeys>): string[] {
    const problems: string[] = [];
    for (const { key } of SYSTEM_PROMPTS) {
        const fileKey = `${key}File` as const;
        const parameterKey = `${key}Parameter` as const;
        const set = [key, fileKey, parameterKey].filter((k) => s[k] !== undefined);
        if (set.length > 1) {
            problems.push(
                `${set[set.length - 1]}: is set together with ${set[0]}; the prompt comes from one of ${key}, ${fileKey} and ${parameterKey}: set one`,
            );
            continue;
        }
        const parameter = s[parameterKey];
        if (parameter !== undefined && !isParameter(parameter)) {
            problems.push(
                `${parameterKey}: expected a Parameter Store parameter's name (letters, digits and "_.-", a hierarchy's levels each after a "/") ` +
                    `or its ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME); got ${JSON.stringify(parameter)}`,
            );
        }
        const file = s[fileKey];
        if (file !== undefined) {
            const read = readPromptFile(file);
            if ("problem" in read) problems.push(`${fileKey}: ${read.problem}`);
        }
    }
    return problems;
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
    problem("chatMaxMessages", wholeNumberProblem(s.chatMaxMessages, MAX_CHAT_MESSAGES));
    const messageCharsProblem = wholeNumberProblem(s.chatMaxMessageChars, MAX_CHAT_CHARS);
    const totalCharsProblem = wholeNumberProblem(s.chatMaxTotalChars, MAX_CHAT_CHARS);
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
    const guardrail = guardrailProblem(s);
    if (guardrail !== undefined) problems.push(guardrail);
    problems.push(...systemPromptProblems(s));
    problems.push(...budgetProblems(s));
    return problems;
}

/** Bedrock's pattern for a guardrail identifier (GuardrailStreamConfiguration, Bedrock API reference, read 2026-12-07). */
const GUARDRAIL_ID = /^([a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+)$/;
/** Bedrock's pattern for a guardrail version (same page). */
const GUARDRAIL_VERSION = /^([1-9][0-9]{0,7}|DRAFT)$/;
/** Longest guardrail identifier Bedrock takes. */
const MAX_GUARDRAIL_ID_CHARS = 2048;

/**
 * The first problem of the guardrail settings, as the handler reports it
 * (handler/src/settings/guardrail.rs): the mode, then an id and a version together, then each.
 */
export function guardrailProblem(s: Pick<HandlerSettings, "guardrailId" | "guardrailVersion" | "guardrailStreamProcessingMode">): string | undefined {
    if (!(STREAM_PROCESSING_MODES as readonly string[]).includes(s.guardrailStreamProcessingMode.trim())) {
        return `guardrailStreamProcessingMode: expected "sync" or "async"; got ${JSON.stringify(s.guardrailStreamProcessingMode)}`;
    }
    if (s.guardrailId !== undefined && s.guardrailVersion === undefined) {
        return "guardrailVersion: must be set with guardrailId: a version number or DRAFT";
    }
    if (s.guardrailId === undefined && s.guardrailVersion !== undefined) {
        return "guardrailId: must be set with guardrailVersion";
    }
    if (s.guardrailId !== undefined && (s.guardrailId.length > MAX_GUARDRAIL_ID_CHARS || !GUARDRAIL_ID.test(s.guardrailId))) {
        return (
            "guardrailId: expected a guardrail id (lowercase letters and digits) or a guardrail ARN " +
            `(arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID); got ${JSON.stringify(s.guardrailId)}`
        );
    }
    if (s.guardrailVersion !== undefined && !GUARDRAIL_VERSION.test(s.guardrailVersion)) {
        return `guardrailVersion: expected a version number from 1 to 99999999 or DRAFT; got ${JSON.stringify(s.guardrailVersion)}`;
    }
    return undefined;
}

// ---- The guardrail a stack creates (stack config `guardrail`) ----
// Limits: CreateGuardrail's GuardrailTopicConfig (name 1 to 100 characters of [0-9a-zA-Z-_ !?.],
// definition 1 to 200, up to 5 examples of 1 to 100) and blocked messages (1 to 500 characters),
// Bedrock API reference, read 2026-12-07.

/**
 * Bedrock's content filters (CreateGuardrail, GuardrailContentFilterConfig, Bedrock API reference,
 * read 2026-12-07). PROMPT_ATTACK applies to prompts only: Bedrock requires its output strength NONE.
 */
export const CONTENT_FILTER_TYPES = ["HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"] as const;
export type ContentFilterType = (typeof CONTENT_FILTER_TYPES)[number];

/** How readily a filter blocks: NONE turns it off, HIGH blocks the most. */
export const FILTER_STRENGTHS = ["NONE", "LOW", "MEDIUM", "HIGH"] as const;
export type FilterStrength = (typeof FILTER_STRENGTHS)[number];

const TOPIC_NAME = /^[0-9a-zA-Z\-_ !?.]{1,100}$/;
const MAX_TOPIC_DEFINITION_CHARS = 200;
const MAX_TOPIC_EXAMPLES = 5;
const MAX_TOPIC_EXAMPLE_CHARS = 100;
const MAX_BLOCKED_MESSAGE_CHARS = 500;

/** `guardrail` as the stack sets it: JSON text of a GuardrailSpec, or "" for none. */
export function parseGuardrail(text: string): GuardrailSpec | undefined {
    if (text.trim() === "") return undefined;
    return parseJsonObject(
        "guardrail",
        text,
        "contentFilters, deniedTopics, blockedInputMessage and blockedOutputMessage",
        '{"contentFilters": {"VIOLENCE": "HIGH"}, "blockedInputMessage": "…", "blockedOutputMessage": "…"}',
    ) as unknown as GuardrailSpec;
}

/** What CreateGuardrail would refuse of the stack's `guardrail`, one line each, and naming both a created and an existing one. */
export function guardrailSpecProblems(spec: GuardrailSpec | undefined, existing: Pick<HandlerSettings, "guardrailId" | "guardrailVersion">): string[] {
    if (spec === undefined) return [];
    const problems: string[] = [];
    const problem = (text: string) => problems.push(`guardrail: ${text}`);
    if (existing.guardrailId !== undefined || existing.guardrailVersion !== undefined) {
        problem("creates a guardrail, while guardrailId and guardrailVersion name an existing one: set one or the other");
    }
    const known = ["contentFilters", "deniedTopics", "blockedInputMessage", "blockedOutputMessage"];
    for (const key of Object.keys(spec).filter((k) => !known.includes(k))) {
        problem(`${JSON.stringify(key)} is not a guardrail setting; known: ${known.join(", ")}`);
    }
    const filters = isObject(spec.contentFilters) ? Object.entries(spec.contentFilters) : [];
    if (filters.length === 0) {
        problem(`contentFilters: expected an object of filter type to strength, e.g. {"VIOLENCE": "HIGH"}; types: ${CONTENT_FILTER_TYPES.join(", ")}`);
    }
    for (const [type, strength] of filters) {
        if (!(CONTENT_FILTER_TYPES as readonly string[]).includes(type)) {
            problem(`contentFilters: ${JSON.stringify(type)} is not a content filter; known: ${CONTENT_FILTER_TYPES.join(", ")}`);
        } else if (!(FILTER_STRENGTHS as readonly unknown[]).includes(strength)) {
            problem(`contentFilters.${type}: expected one of ${FILTER_STRENGTHS.join(", ")}; got ${JSON.stringify(strength)}`);
        }
    }
    const topics: unknown[] = spec.deniedTopics === undefined ? [] : Array.isArray(spec.deniedTopics) ? spec.deniedTopics : [null];
    topics.forEach((topic, i) => {
        const at = `deniedTopics[${i}]`;
        if (!isObject(topic)) {
            problem(`${at}: expected {"name", "definition", "examples"}; got ${JSON.stringify(topic)}`);
            return;
        }
        const { name, definition, examples } = topic as Record<string, unknown>;
        if (typeof name !== "string" || !TOPIC_NAME.test(name)) {
            problem(`${at}.name: expected 1 to 100 letters, digits, spaces or -_!?.; got ${JSON.stringify(name)}`);
        }
        if (typeof definition !== "string" || definition.length < 1 || definition.length > MAX_TOPIC_DEFINITION_CHARS) {
            problem(`${at}.definition: expected 1 to ${MAX_TOPIC_DEFINITION_CHARS} characters; got ${JSON.stringify(definition)}`);
        }
        const list = examples ?? [];
        if (!Array.isArray(list) || list.length > MAX_TOPIC_EXAMPLES || list.some((e) => typeof e !== "string" || e.length < 1 || e.length > MAX_TOPIC_EXAMPLE_CHARS)) {
            problem(`${at}.examples: expected up to ${MAX_TOPIC_EXAMPLES} examples of 1 to ${MAX_TOPIC_EXAMPLE_CHARS} characters; got ${JSON.stringify(examples)}`);
        }
    });
    for (const key of ["blockedInputMessage", "blockedOutputMessage"] as const) {
        const message: unknown = spec[key];
        if (typeof message !== "string" || message.trim() === "" || message.length > MAX_BLOCKED_MESSAGE_CHARS) {
            problem(`${key}: expected 1 to ${MAX_BLOCKED_MESSAGE_CHARS} characters, what the caller gets instead; got ${JSON.stringify(message)}`);
        }
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
    // A prompt file is packed into the package under its own name (streamer.ts); a parameter is read as named.
    if (s.systemPromptFile !== undefined) env.STREAMER_SYSTEM_PROMPT_FILE = SYSTEM_PROMPTS[0].packedAs;
    if (s.chatSystemPromptFile !== undefined) env.STREAMER_CHAT_SYSTEM_PROMPT_FILE = SYSTEM_PROMPTS[1].packedAs;
    if (s.systemPromptParameter !== undefined) env.STREAMER_SYSTEM_PROMPT_PARAMETER = s.systemPromptParameter;
    if (s.chatSystemPromptParameter !== undefined) env.STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER = s.chatSystemPromptParameter;
    if (Object.keys(s.templates).length > 0) env.STREAMER_TEMPLATES = JSON.stringify(s.templates);
    if (s.allowedStoryTypes.length > 0) env.STREAMER_ALLOWED_STORY_TYPES = s.allowedStoryTypes.join(",");
    if (s.guardrailId !== undefined) env.STREAMER_GUARDRAIL_ID = s.guardrailId;
    if (s.guardrailVersion !== undefined) env.STREAMER_GUARDRAIL_VERSION = s.guardrailVersion;
    env.STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE = s.guardrailStreamProcessingMode;
    // The alarm's name (STREAMER_BUDGET_ALARM) comes from the component, which names the alarm.
    if (s.dailyBudgetUsd !== undefined && s.budgetAction !== undefined) env.STREAMER_BUDGET_ACTION = s.budgetAction;
    return env;
}

/**
 * STREAMER_CORS_ALLOW_ORIGINS, on API Gateway stacks (authType API_KEY, COGNITO) with origins only:
 * the gateway adds no CORS headers to a proxied answer, so the function must. A Function URL adds
 * its own (its `cors` block), which the function's would double, so there it gets none.
 */
export function corsEnvironment(authType: AuthType, corsAllowOrigins: string[]): Record<string, string> {
    if (!isGatewayAuth(authType) || corsAllowOrigins.length === 0) return {};
    return { STREAMER_CORS_ALLOW_ORIGINS: corsAllowOrigins.join(",") };
}

/**
 * Size of an environment as counted against Lambda's 4 KB: the UTF-8 bytes of its JSON form.
 * That is at least what Lambda counts (names and values), so a stack that passes here fits.
 */
export function environmentBytes(env: Record<string, string>): number {
    return Buffer.byteLength(JSON.stringify(env), "utf8");
}

/** Why the function's environment would not fit Lambda's limit, or undefined when it fits. */
export function environmentProblem(env: Record<string, string>): string | undefined {
    const envBytes = environmentBytes(env);
    if (envBytes > ENVIRONMENT_LIMIT_BYTES) {
        return (
            `the function's environment is ${envBytes} bytes, over Lambda's ${ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
            "shorten templates, defaultTemplate or models, or move a long systemPrompt or chatSystemPrompt to a file (systemPromptFile, " +
            "chatSystemPromptFile) or a Parameter Store parameter (systemPromptParameter, chatSystemPromptParameter)"
        );
    }
    return undefined;
}

// ---- The models a stack may stream from ----
// The models a stack may stream from. Stack config `models` is JSON text (Pulumi.yaml's typed config
// has no object type, and JSON text is also what the handler reads from STREAMER_MODELS, so the
// value passes through unchanged): a map of alias → model settings, with `defaultModel` naming the
// alias a request without "model" uses. A stack without `models` streams from `modelId` alone,
// under the alias `default`.

/** How a model's reasoning deltas reach the caller: dropped, or relayed as `reasoning` events. */
export const REASONING = ["hide", "show"] as const;
export type Reasoning = (typeof REASONING)[number];

/** One alias of `models` (the shape of one entry of STREAMER_MODELS). */
export interface ModelSettings {
    /** Foundation-model id, inference-profile id or full Bedrock ARN. */
    modelId: string;
    /** maxTokens for a request that does not ask for one; the stack's `maxTokens` (STREAMER_MAX_TOKENS) when absent. */
    maxTokens?: number;
    /** Highest maxTokens a caller may ask for; the stack's `maxTokensCap` (STREAMER_MAX_TOKENS_CAP) when absent. */
    maxTokensCap?: number;
    /** 0..1; absent leaves the model's default (the stack's `temperature` applies to `modelId` alone). */
    temperature?: number;
    /** 0..1; absent leaves the model's default (the stack's `topP` applies to `modelId` alone). */
    topP?: number;
    /** Absent means "hide". */
    reasoning?: Reasoning;
    /** Passed to ConverseStream as given, e.g. {"thinking": {"type": "disabled"}}. */
    additionalModelRequestFields?: Record<string, unknown>;
    /** What the alias's requests cost, replacing config/prices.json's price for its model (see `ModelPrice`). */
    price?: ModelPrice;
    /** "off" (absent), "5m" or "1h": cache points after the stack's system prompt and a conversation's earlier turns (bedrockModels.ts). */
    promptCache?: string;
    /** ConverseStream's serviceTier: "default", "priority" or "flex"; absent sends none. */
    serviceTier?: string;
}

/**
 * A model's on-demand price in US dollars per million tokens, as config/prices.json and an alias's
 * `price` write it (handler/src/price.rs `Price::from_json`).
 */
export interface ModelPrice {
    input: number;
    output: number;
    /** Absent: requests that read the cache have no cost. */
    cacheRead?: number;
    /** The write price for the TTL the alias caches with; absent as for cacheRead. */
    cacheWrite?: number;
    /** The longest prompt (input + cache read + cache write tokens) the price holds for; a longer request has no cost. */
    maxPromptTokens?: number;
    /** The date the price was read, YYYY-MM-DD. */
    read: string;
    /** The page it was read from. */
    source?: string;
}

/** The fields of a price object (handler/src/price.rs `PRICE_FIELDS`). */
export const PRICE_FIELDS = ["input", "output", "cacheRead", "cacheWrite", "maxPromptTokens", "read", "source"] as const;

/** The largest amount a price may give, in US dollars per million tokens (handler/src/price.rs). */
const MAX_PRICE = 1e9;

/** The most tokens `maxPromptTokens` may give (handler/src/price.rs `MAX_PROMPT_TOKENS`). */
const MAX_PROMPT_TOKENS = 1e9;

/** `YYYY-MM-DD` with a month from 01 to 12 and a day from 01 to 31 (handler/src/price.rs `PriceDate::parse`). */
function isPriceDate(value: unknown): boolean {
    const m = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
    return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31;
}

/**
 * What the handler says of a price object it refuses (handler/src/price.rs `Price::from_json`), in
 * its words and order: `price…: <problem>`; undefined when it is a price.
 */
export function priceProblem(price: unknown): string | undefined {
    if (!isObject(price)) {
        return `price: expected an object {"input", "output", "cacheRead"?, "cacheWrite"?, "read"} in US dollars per million tokens; got ${JSON.stringify(price)}`;
    }
    const unknown = Object.keys(price).find((field) => !(PRICE_FIELDS as readonly string[]).includes(field));
    if (unknown !== undefined) return `price: ${JSON.stringify(unknown)} is not a price field; known: ${PRICE_FIELDS.join(", ")}`;
    if (!isPriceDate(price.read)) {
        return `price.read: expected the date the price was read, as YYYY-MM-DD; got ${price.read === undefined ? "nothing" : JSON.stringify(price.read)}`;
    }
    if (price.source !== undefined && typeof price.source !== "string") {
        return `price.source: expected the address of the page the price was read from; got ${JSON.stringify(price.source)}`;
    }
    for (const field of ["input", "output", "cacheRead", "cacheWrite"] as const) {
        const value = price[field];
        const required = field === "input" || field === "output";
        if (value === undefined && !required) continue;
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_PRICE) {
            return `price.${field}: expected US dollars per million tokens, a number from 0 to ${MAX_PRICE}; got ${value === undefined ? "nothing" : JSON.stringify(value)}`;
        }
    }
    const longest = price.maxPromptTokens;
    if (longest !== undefined && !(typeof longest === "number" && Number.isInteger(longest) && longest >= 1 && longest <= MAX_PROMPT_TOKENS)) {
        return `price.maxPromptTokens: expected the longest prompt in tokens the price holds for, a whole number from 1 to ${MAX_PROMPT_TOKENS}; got ${JSON.stringify(longest)}`;
    }
    return undefined;
}

export type ModelMap = Record<string, ModelSettings>;

/** The alias of the one-model form (`modelId`). */
export const DEFAULT_ALIAS = "default";

/** A model the stack invokes, with the config key a message should name to change it. */
export interface ConfiguredModel {
    alias: string;
    modelId: string;
    key: string;
    /** The alias's `serviceTier`, when it sets one (the preflight checks the model serves it). */
    serviceTier?: string;
}

const EXAMPLE = `{"fast": {"modelId": "us.anthropic.claude-haiku-5-5"}}`;

/**
 * What the handler says of a model id it refuses at cold start (handler/src/settings.rs
 * `model_id_problem`), or undefined. Bedrock's model ids, inference-profile ids and ARNs are made
 * of ASCII letters, digits, '.', '-', '_', ':' and '/', and nothing else is accepted: the role's
 * policy names exactly this text, where `*` and `?` would be IAM wildcards and `${…}` a policy variable.
 */
export function modelIdProblem(modelId: string): string | undefined {
    if (modelId.trim() === "") return "must not be empty";
    if (/\s/.test(modelId)) return "must not contain spaces or other whitespace";
    const other = /[^A-Za-z0-9.\-_:/]/.exec(modelId);
    if (other !== null) return `may contain only ASCII letters, digits, '.', '-', '_', ':' and '/', as Bedrock's ids and ARNs do; found ${JSON.stringify(other[0])}`;
    return undefined;
}

/**
 * Parses a config key that holds JSON object text (`models`, `templates`: the form the handler reads
 * from STREAMER_MODELS and STREAMER_TEMPLATES); throws one line naming the key when it is not one.
 */
function parseJsonObject(key: string, text: string, what: string, example: string): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new Error(`${CONFIG_NAMESPACE}:${key} is not valid JSON (${(error as Error).message}); expected an object such as ${example}`);
    }
    if (!isObject(parsed)) throw new Error(`${CONFIG_NAMESPACE}:${key} must be a JSON object of ${what}, such as ${example}; got ${text}`);
    return parsed;
}

/** Parses the `models` config text into a map; its entries are checked by `reviewModels`. */
export function parseModels(text: string): ModelMap {
    return parseJsonObject("models", text, "alias to model settings", EXAMPLE) as ModelMap;
}

/** Parses the `templates` config text; its entries are checked by `settingsProblems`. */
export function parseTemplates(text: string): Record<string, string> {
    return parseJsonObject("templates", text, "storyType to template", `{"CATS": "Tell me a rhyming story about {storyType}"}`) as Record<string, string>;
}

/** Every model the stack invokes: each alias of `models`, or `modelId` as the alias `default`. */
export function configuredModels(modelId: string, models: ModelMap): ConfiguredModel[] {
    const aliases = Object.entries(models);
    if (aliases.length === 0) return [{ alias: DEFAULT_ALIAS, modelId, key: "modelId" }];
    return aliases.map(([alias, settings]) => ({
        alias,
        modelId: String(settings?.modelId ?? ""),
        key: `models.${alias}.modelId`,
        ...(typeof settings?.serviceTier === "string" ? { serviceTier: settings.serviceTier } : {}),
    }));
}

/** The fields an alias may set; anything else is a typo the handler would refuse. */
const FIELDS: readonly (keyof ModelSettings)[] = [
    "modelId",
    "maxTokens",
    "maxTokensCap",
    "temperature",
    "topP",
    "reasoning",
    "additionalModelRequestFields",
    "price",
    "promptCache",
    "serviceTier",
];

/** How a request names an alias ("model": "<alias>"); also the EMF `model` dimension, so kept short and plain. */
const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The stack-wide values an alias falls back to, and the default `modelId` (which `models` replaces). */
export interface StackModelDefaults {
    modelId: string;
    defaultModelId: string;
    maxTokens: number;
    maxTokensCap: number;
    temperature?: number;
    topP?: number;
}

export interface ModelsReview {
    /** What the handler would refuse at cold start: stops the preview. One line each, naming the key. */
    problems: string[];
    /** What deploys but fails requests: printed by the preview (pulumi.log.warn). */
    warnings: string[];
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Current Claude models answer 400 when temperature and topP are both set (Anthropic's migration
 * guides, read 2026-11-29), but older models accept both, so this is a warning, not a refusal.
 */
function bothSamplingSettings(key: string): string {
    return `${key} sets both temperature and topP; current Claude models refuse the two together (Bedrock answers 400): drop one of them`;
}

/** The alias a request without "model" uses: `defaultModel`, or the only alias. */
export function resolveDefaultModel(models: ModelMap, defaultModel: string | undefined): string | undefined {
    const aliases = Object.keys(models);
    return defaultModel ?? (aliases.length === 1 ? aliases[0] : undefined);
}

/** Checks `models` and `defaultModel` against each other and the stack's one-model settings. */
export function reviewModels(models: ModelMap, defaultModel: string | undefined, stack: StackModelDefaults): ModelsReview {
    const problems: string[] = [];
    const warnings: string[] = [];
    const aliases = Object.keys(models);
    if (aliases.length === 0) {
        if (defaultModel !== undefined) problems.push(`defaultModel ${JSON.stringify(defaultModel)} names an alias of models, but models is empty`);
        if (stack.temperature !== undefined && stack.topP !== undefined) warnings.push(bothSamplingSettings("the stack"));
        return { problems, warnings };
    }
    if (stack.temperature !== undefined || stack.topP !== undefined) {
        problems.push(`temperature and topP apply to modelId alone; with models, set them per alias (models.<alias>.temperature)`);
    }
    if (stack.modelId !== stack.defaultModelId) {
        problems.push(
            `modelId and models are both set: with models, every model is an alias there (pulumi config rm modelId), ` +
                `and defaultModel names the one a request without "model" uses`,
        );
    }
    const resolved = resolveDefaultModel(models, defaultModel);
    if (resolved === undefined) {
        problems.push(`defaultModel must name the alias a request without "model" uses, one of ${aliases.join(", ")}`);
    } else if (!aliases.includes(resolved)) {
        problems.push(`defaultModel ${JSON.stringify(resolved)} is not an alias of models (${aliases.join(", ")})`);
    }
    for (const [alias, settings] of Object.entries(models)) {
        const key = `models.${alias}`;
        if (!ALIAS.test(alias)) problems.push(`models alias ${JSON.stringify(alias)} must be 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit`);
        if (!isObject(settings)) {
            problems.push(`${key} must be an object with a modelId, such as ${EXAMPLE}; got ${JSON.stringify(settings)}`);
            continue;
        }
        for (const field of Object.keys(settings)) {
            if (!(FIELDS as readonly string[]).includes(field)) problems.push(`${key}.${field} is not a model setting; known: ${FIELDS.join(", ")}`);
        }
        if (typeof settings.modelId !== "string" || settings.modelId.trim() === "") {
            problems.push(`${key}.modelId must be a Bedrock model id, profile id or ARN`);
        } else {
            const problem = modelIdProblem(settings.modelId);
            if (problem !== undefined) problems.push(`${key}.modelId ${problem}; got ${JSON.stringify(settings.modelId)}`);
        }
        for (const field of ["maxTokens", "maxTokensCap"] as const) {
            if (settings[field] !== undefined && !isWholeNumber(settings[field])) {
                problems.push(`${key}.${field} must be a whole number from 1 to ${MAX_WHOLE_NUMBER}, got ${JSON.stringify(settings[field])}`);
            }
        }
        const maxTokens = settings.maxTokens ?? stack.maxTokens;
        const cap = settings.maxTokensCap ?? stack.maxTokensCap;
        // Both inherited: the stack's own check (settingsProblems) names the stack's keys.
        const ownTokens = settings.maxTokens !== undefined || settings.maxTokensCap !== undefined;
        if (ownTokens && isWholeNumber(maxTokens) && isWholeNumber(cap) && cap < maxTokens) {
            // Name the keys the values came from: an alias without its own cap or default inherits the stack's.
            if (settings.maxTokensCap === undefined) {
                problems.push(`${key}.maxTokens (${maxTokens}) is above the stack's maxTokensCap (${cap}), which the alias inherits: set ${key}.maxTokensCap`);
            } else if (settings.maxTokens === undefined) {
                problems.push(`${key}.maxTokensCap (${cap}) is below the stack's maxTokens (${maxTokens}), which the alias inherits: set ${key}.maxTokens`);
            } else {
                problems.push(`${key}.maxTokensCap (${cap}) is below its maxTokens (${maxTokens}); the cap must be at least the default`);
            }
        }
        for (const field of ["temperature", "topP"] as const) {
            if (settings[field] !== undefined && !isUnitFraction(settings[field])) {
                problems.push(`${key}.${field} must be a number from 0 to 1, got ${JSON.stringify(settings[field])}`);
            }
        }
        if (settings.reasoning !== undefined && !(REASONING as readonly unknown[]).includes(settings.reasoning)) {
            problems.push(`${key}.reasoning must be ${REASONING.map((r) => `"${r}"`).join(" or ")}, got ${JSON.stringify(settings.reasoning)}`);
        }
        if (settings.additionalModelRequestFields !== undefined && !isObject(settings.additionalModelRequestFields)) {
            problems.push(`${key}.additionalModelRequestFields must be a JSON object passed to ConverseStream as given, got ${JSON.stringify(settings.additionalModelRequestFields)}`);
        }
        if (settings.price !== undefined) {
            const problem = priceProblem(settings.price);
            if (problem !== undefined) problems.push(`${key}.${problem}`);
        }
        if (settings.temperature !== undefined && settings.topP !== undefined) warnings.push(bothSamplingSettings(key));
        const modelId = typeof settings.modelId === "string" ? settings.modelId : "";
        for (const problem of [promptCacheProblem(key, settings.promptCache, modelId), serviceTierProblem(key, settings.serviceTier)]) {
            if (problem !== undefined) problems.push(problem);
        }
        const cacheWarning = promptCacheWarning(key, settings.promptCache, modelId);
        if (cacheWarning !== undefined) warnings.push(cacheWarning);
    }
    return { problems, warnings };
}

// ---- API Gateway's settings (authType API_KEY and COGNITO) ----

/** The auth kinds served through an API Gateway REST API (gateway.ts) instead of a Function URL. */
export const GATEWAY_AUTH_TYPES = ["API_KEY", "COGNITO"] as const;
export type GatewayAuthType = (typeof GATEWAY_AUTH_TYPES)[number];

export function isGatewayAuth(authType: string): authType is GatewayAuthType {
    return (GATEWAY_AUTH_TYPES as readonly string[]).includes(authType);
}

/**
 * API Gateway's account-level throttle per region: 10,000 requests per second with a bucket of
 * 5,000 (2,500 and 1,250 in the newer regions). No stage or usage-plan limit can exceed it
 * ("Amazon API Gateway quotas", https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
 * read 2026-12-07; AWS raises it on request).
 */
export const MAX_GATEWAY_RATE_LIMIT = 10000;
export const MAX_GATEWAY_BURST_LIMIT = 5000;

/**
 * The most a usage plan's quota may be: QuotaSettings `limit` is an Integer, 32 bits (API Gateway
 * API reference, QuotaSettings, read 2026-12-07).
 */
export const MAX_USAGE_PLAN_QUOTA = 2_147_483_647;

/** An `apiKeyNames` entry: what names the key in the console and in the `apiKeyIds` output. */
const API_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A Cognito user pool's ARN, as the console and `aws cognito-idp describe-user-pool` show it. */
const USER_POOL_ARN = /^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):(\d{12}):userpool\/(([a-z0-9-]+)_[A-Za-z0-9]+)$/;

/** The settings of the API Gateway REST API in front of the function (ignored by AWS_IAM and NONE). */
export interface GatewaySettings {
    /** Requests per second each API key may send (its usage plan's steady rate). API_KEY only. */
    usagePlanRateLimit: number;
    /** Requests each API key may send at once above that rate (the token bucket). API_KEY only. */
    usagePlanBurstLimit: number;
    /** Requests each API key may send per day (UTC); the 429 `quota_exceeded` after that. API_KEY only. */
    usagePlanQuotaPerDay: number;
    /** One API key per name, its value generated by API Gateway. API_KEY only. */
    apiKeyNames: string[];
    /** An existing user pool's ARN; undefined: the stack creates one. COGNITO only. */
    cognitoUserPoolArn?: string;
    /** Requests per second the whole stage takes, all callers together. */
    gatewayRateLimit: number;
    /** Requests the whole stage takes at once above that rate. */
    gatewayBurstLimit: number;
}

/** Their defaults (Pulumi.yaml declares them again; a test keeps it in step). */
export const GATEWAY_DEFAULTS: Readonly<Omit<GatewaySettings, "cognitoUserPoolArn">> = {
    usagePlanRateLimit: 10,
    usagePlanBurstLimit: 20,
    usagePlanQuotaPerDay: 1000,
    apiKeyNames: ["default"],
    gatewayRateLimit: 50,
    gatewayBurstLimit: 100,
};

/** The config keys of GatewaySettings, all of which configure resources (never secret). */
export const GATEWAY_KEYS: (keyof GatewaySettings)[] = [
    "usagePlanRateLimit",
    "usagePlanBurstLimit",
    "usagePlanQuotaPerDay",
    "apiKeyNames",
    "cognitoUserPoolArn",
    "gatewayRateLimit",
    "gatewayBurstLimit",
];

/** The parts of a user pool ARN, or undefined when `arn` is not one. */
export function parseUserPoolArn(arn: string): { region: string; accountId: string; userPoolId: string } | undefined {
    const match = USER_POOL_ARN.exec(arn);
    if (match === null || match[1] !== match[4]) return undefined;
    return { region: match[1], accountId: match[2], userPoolId: match[3] };
}

function wholeNumberIn(key: string, value: number, min: number, max: number, unit: string): string | undefined {
    if (Number.isInteger(value) && value >= min && value <= max) return undefined;
    return `${key} must be a whole number of ${unit} from ${min} to ${max}, got ${value}`;
}

/** Everything API Gateway or Cognito would refuse of the gateway settings of `authType`, one line each. */
export function gatewayProblems(authType: string, g: GatewaySettings, region: string | undefined): string[] {
    if (!isGatewayAuth(authType)) return [];
    const problems = [
        wholeNumberIn("gatewayRateLimit", g.gatewayRateLimit, 1, MAX_GATEWAY_RATE_LIMIT, "requests per second"),
        wholeNumberIn("gatewayBurstLimit", g.gatewayBurstLimit, 1, MAX_GATEWAY_BURST_LIMIT, "requests"),
    ];
    if (authType === "API_KEY") {
        problems.push(
            wholeNumberIn("usagePlanRateLimit", g.usagePlanRateLimit, 1, MAX_GATEWAY_RATE_LIMIT, "requests per second"),
            wholeNumberIn("usagePlanBurstLimit", g.usagePlanBurstLimit, 1, MAX_GATEWAY_BURST_LIMIT, "requests"),
            wholeNumberIn("usagePlanQuotaPerDay", g.usagePlanQuotaPerDay, 1, MAX_USAGE_PLAN_QUOTA, "requests"),
        );
        if (g.apiKeyNames.length === 0) {
            problems.push("apiKeyNames is empty, so no caller could use an API_KEY stack: name at least one key, e.g. `pulumi config set --path 'apiKeyNames[0]' default`");
        }
        const seen = new Set<string>();
        for (const name of g.apiKeyNames) {
            if (typeof name !== "string" || !API_KEY_NAME.test(name)) {
                problems.push(`apiKeyNames entry ${JSON.stringify(name)} must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit`);
            } else if (seen.has(name)) {
                problems.push(`apiKeyNames names ${JSON.stringify(name)} twice; each name is one key`);
            }
            seen.add(name);
        }
    }
    if (authType === "COGNITO" && g.cognitoUserPoolArn !== undefined) {
        const pool = parseUserPoolArn(g.cognitoUserPoolArn);
        if (pool === undefined) {
            problems.push(
                `cognitoUserPoolArn ${JSON.stringify(g.cognitoUserPoolArn)} is not a user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>); ` +
                    'set "" to let the stack create a pool',
            );
        } else if (region !== undefined && pool.region !== region) {
            problems.push(`cognitoUserPoolArn names a pool in ${pool.region}, but the stack deploys to ${region}: use a pool in ${region}, or "" to let the stack create one`);
        }
    }
    return problems.filter((p): p is string => p !== undefined);
}

// ---- The AWS resources' own settings ----

export const AUTH_TYPES = ["AWS_IAM", "NONE", ...GATEWAY_AUTH_TYPES] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** Retention periods CloudWatch Logs accepts. 0 ("never expire") is left out on purpose: logs cost money forever. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Shortest timeout that still leaves the handler a useful deadline. */
export const MIN_TIMEOUT_SECS = 10;
/** Lambda's (and a Function URL stream's) longest invocation. */
export const MAX_TIMEOUT_SECS = 900;

/** The memory Lambda lets a function have, in MB. */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10240;

/** How config says "no reservation" for reservedConcurrency: -1, Lambda's own word for it. */
export const NO_RESERVATION = -1;

/** Most CORS origins a Function URL takes, and their length in characters (Lambda API reference, Cors, read 2026-11). */
export const MAX_CORS_ORIGINS = 100;
export const MAX_CORS_ORIGIN_CHARS = 253;

/** The AWS resources' own settings, as the component takes them. */
export interface ResourceSettings extends GatewaySettings {
    /**
     * The region the AWS provider deploys to, as a plain value so it is checked before anything is
     * planned (index.ts passes `aws:region`, or AWS_REGION). Unset stops the preview: the stack must say.
     */
    region?: string;
    /**
     * AWS_IAM: callers sign with SigV4. NONE: a public URL, which needs `reservedConcurrency`.
     * API_KEY, COGNITO: no Function URL; an API Gateway REST API in front (gateway.ts).
     */
    authType: AuthType;
    /** Most concurrent executions; undefined leaves the function unreserved (the account's pool). */
    reservedConcurrency?: number;
    /** MB; CPU scales with it. */
    memorySize: number;
    /** Seconds; also the handler's STREAMER_DEADLINE_SECS (it stops 0.5 s before Lambda's deadline itself). */
    timeout: number;
    architecture: Architecture;
    logRetentionDays: number;
    /** Browser origins allowed to call the URL; empty configures no CORS. */
    corsAllowOrigins: string[];
}

/** Defaults of the resources' own settings (Pulumi.yaml declares them again; a test keeps it in step). */
export const RESOURCE_DEFAULTS: Readonly<Omit<ResourceSettings, "region" | "reservedConcurrency" | "cognitoUserPoolArn">> = {
    ...GATEWAY_DEFAULTS,
    authType: "AWS_IAM",
    memorySize: 256,
    timeout: 60,
    architecture: "arm64",
    logRetentionDays: 14,
    corsAllowOrigins: [],
};

/**
 * Keys that configure the AWS resources themselves rather than the handler: their values are in
 * the plan and in AWS's plain view of the function, so the stack cannot keep them secret.
 */
export const RESOURCE_KEYS = [
    "authType",
    "reservedConcurrency",
    "memorySize",
    "timeout",
    "architecture",
    "logRetentionDays",
    "corsAllowOrigins",
    "codeZip",
    ...GATEWAY_KEYS,
    // The guardrail is a resource (guardrail) or named in the role's policy (guardrailId).
    "guardrail",
    "guardrailId",
    // A prompt file is packed into the package, which whoever may read the function's code can
    // download; a prompt parameter is named in the role's policy. A secret prompt belongs in a
    // SecureString parameter, whose value the stack never sees.
    "systemPromptFile",
    "chatSystemPromptFile",
    "systemPromptParameter",
    "chatSystemPromptParameter",
];

/**
 * Why a browser would never match this CORS origin, or undefined when it can. A browser's `Origin`
 * header is `scheme://host[:port]`, lower case, without the default port, path or trailing `/`;
 * `*` allows every origin.
 */
export function corsOriginProblem(origin: unknown): string | undefined {
    if (typeof origin !== "string" || origin.length < 1 || origin.length > MAX_CORS_ORIGIN_CHARS) {
        return `must be text of 1 to ${MAX_CORS_ORIGIN_CHARS} characters`;
    }
    if (origin === "*") return undefined;
    let url: URL;
    try {
        url = new URL(origin);
    } catch {
        return "is not an origin: use scheme://host[:port], e.g. https://example.com";
    }
    if (url.origin === "null") return "is not an origin: use scheme://host[:port], e.g. https://example.com";
    if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
        return `has more than scheme://host[:port] (a path, query or credentials); a browser sends only ${url.origin}`;
    }
    if (origin.endsWith("/")) return `ends with "/", which a browser's Origin never does: use ${url.origin}`;
    if (origin !== url.origin) return `is not written as a browser sends it (lower case, no default port): use ${url.origin}`;
    return undefined;
}

/** Everything Lambda, CloudWatch Logs or a browser would refuse of the resources' settings, one line each. */
export function resourceProblems(r: ResourceSettings): string[] {
    const problems: string[] = [];
    if (!(AUTH_TYPES as readonly string[]).includes(r.authType)) {
        problems.push(`authType must be ${AUTH_TYPES.slice(0, -1).join(", ")} or ${AUTH_TYPES.at(-1)}, got ${JSON.stringify(r.authType)}`);
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
    } else if (!isGatewayAuth(r.authType)) {
        // API_KEY and COGNITO stacks have no Function URL.
        const problem = functionUrlRegionProblem(r.region);
        if (problem !== undefined) problems.push(problem);
    }
    problems.push(...gatewayProblems(r.authType, r, r.region));
    for (const origin of isGatewayAuth(r.authType) ? r.corsAllowOrigins : []) {
        // API Gateway writes them into its preflight answer's template and header values.
        if (origin !== "*" && corsOriginProblem(origin) === undefined && /['"$#\\]/.test(origin)) {
            problems.push(`corsAllowOrigins entry ${JSON.stringify(origin)} holds ' " $ # or \\, which API Gateway's preflight answer cannot carry`);
        }
        // The function gets them joined by commas (corsEnvironment); JavaScript's URL takes a comma in a host.
        if (corsOriginProblem(origin) === undefined && origin.includes(",")) {
            problems.push(`corsAllowOrigins entry ${JSON.stringify(origin)} holds ",", which separates the origins the function is given`);
        }
    }
    if (isGatewayAuth(r.authType) && r.corsAllowOrigins.includes("*") && r.corsAllowOrigins.length > 1) {
        problems.push(
            'corsAllowOrigins lists "*" beside other origins: on an API Gateway stack "*" must stand alone (it allows every origin, ' +
                "never with credentials); keep it alone or list the origins",
        );
    }
    if (r.corsAllowOrigins.length > MAX_CORS_ORIGINS) {
        problems.push(`corsAllowOrigins has ${r.corsAllowOrigins.length} origins; a Function URL takes at most ${MAX_CORS_ORIGINS}`);
    }
    for (const origin of r.corsAllowOrigins) {
        const problem = corsOriginProblem(origin);
        if (problem !== undefined) problems.push(`corsAllowOrigins entry ${JSON.stringify(origin)} ${problem}`);
    }
    return problems;
}

// ---- Where the stack may deploy ----

/**
 * Regions where Lambda offers no Function URLs, so the stack's URL cannot be created there
 * (Lambda developer guide, "Creating and managing Lambda function URLs", read 2026-11; the list
 * shrinks as AWS adds regions).
 */
export const REGIONS_WITHOUT_FUNCTION_URLS: readonly string[] = [
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
];

/** Why the stack cannot serve its stream from `region`, or undefined when Lambda offers Function URLs there. */
export function functionUrlRegionProblem(region: string): string | undefined {
    if (!REGIONS_WITHOUT_FUNCTION_URLS.includes(region)) return undefined;
    return (
        `Lambda offers no Function URLs in ${region}, so the stack cannot serve its stream there; ` +
        `deploy to a region not in ${REGIONS_WITHOUT_FUNCTION_URLS.join(", ")} (Lambda developer guide, read 2026-11)`
    );
}
