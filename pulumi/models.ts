// The models a stack may stream from. Stack config `models` is JSON text (Pulumi.yaml's typed config
// has no object type, and JSON text is also what the handler reads from STREAMER_MODELS): a map of
// alias → model settings, with `defaultModel` naming the alias a request without "model" uses. A
// stack without `models` streams from `modelId` alone, under the alias `default`.

/** How a model's reasoning deltas reach the caller: dropped, or relayed as `reasoning` events. */
export const REASONING = ["hide", "show"] as const;
export type Reasoning = (typeof REASONING)[number];

/** One alias of `models` (the shape of one entry of STREAMER_MODELS). */
export interface ModelSettings {
    /** Foundation-model id, inference-profile id or full Bedrock ARN. */
    modelId: string;
    /** maxTokens for a request that does not ask for one; the stack's `maxTokens` when absent. */
    maxTokens?: number;
    /** Highest maxTokens a caller may ask for; the stack's `maxTokensCap` when absent. */
    maxTokensCap?: number;
    /** 0..1; absent leaves the model's default. */
    temperature?: number;
    /** 0..1; absent leaves the model's default. */
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
