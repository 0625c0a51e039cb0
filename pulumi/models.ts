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
}

export type ModelMap = Record<string, ModelSettings>;

/** The alias of the one-model form (`modelId`). */
export const DEFAULT_ALIAS = "default";

/** A model the stack invokes, with the config key a message should name to change it. */
export interface ConfiguredModel {
    alias: string;
    modelId: string;
    key: string;
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

/** Parses the `models` config text into a map; throws one line naming the key when it is not one. */
export function parseModels(text: string): ModelMap {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new Error(`bedrock-streamer:models is not valid JSON (${(error as Error).message}); expected an object such as ${EXAMPLE}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error(`bedrock-streamer:models must be a JSON object of alias to model settings, such as ${EXAMPLE}; got ${text}`);
    }
    return parsed as ModelMap;
}

/** Every model the stack invokes: each alias of `models`, or `modelId` as the alias `default`. */
export function configuredModels(modelId: string, models: ModelMap): ConfiguredModel[] {
    const aliases = Object.entries(models);
    if (aliases.length === 0) return [{ alias: DEFAULT_ALIAS, modelId, key: "modelId" }];
    return aliases.map(([alias, settings]) => ({ alias, modelId: String(settings?.modelId ?? ""), key: `models.${alias}.modelId` }));
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
/** Largest token count the handler reads (a u32). */
const MAX_TOKENS = 4294967295;
const isWholeNumber = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_TOKENS;
const isUnitFraction = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;

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
                problems.push(`${key}.${field} must be a whole number from 1 to ${MAX_TOKENS}, got ${JSON.stringify(settings[field])}`);
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
        if (settings.temperature !== undefined && settings.topP !== undefined) warnings.push(bothSamplingSettings(key));
    }
    return { problems, warnings };
}
