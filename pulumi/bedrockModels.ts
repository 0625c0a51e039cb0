// What the stack knows about Bedrock models' prompt caching and service tiers:
// config/bedrock-models.json, the file the handler embeds too (handler/src/settings/cache.rs), so
// both sides refuse the same `promptCache` and the preflight can warn about a `serviceTier` the
// model does not serve. Its `$comment` says how an id matches an entry; each entry cites its sources.

import * as fs from "node:fs";
import * as path from "node:path";

/** The values `models.<alias>.promptCache` takes: off, or a cache point's TTL (Converse `CachePointBlock.ttl`). */
export const PROMPT_CACHE_SETTINGS = ["off", "5m", "1h"] as const;

/** The ConverseStream `serviceTier` types an alias may ask for (API reference, `ServiceTier`, read 2026-12-07; `reserved` needs capacity bought ahead). */
export const SERVICE_TIERS = ["default", "priority", "flex"] as const;

interface ModelFacts {
    promptCaching: { minTokensPerCheckpoint: number; ttls: string[] } | null;
    serviceTiers: string[] | null;
    sources: string[];
}

const TABLE = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "config", "bedrock-models.json"), "utf8")) as { models: Record<string, ModelFacts> };

/** The table's entry for a model id, inference-profile id or ARN; undefined when it has none. */
export function modelFacts(modelId: string): ModelFacts | undefined {
    const id = modelId.slice(modelId.lastIndexOf("/") + 1);
    const key = Object.keys(TABLE.models).find((model) => id === model || id.endsWith(`.${model}`));
    return key === undefined ? undefined : TABLE.models[key];
}

/** What is wrong with an alias's `promptCache` (the handler refuses the same at cold start), if anything. */
export function promptCacheProblem(key: string, setting: unknown, modelId: string): string | undefined {
    if (setting === undefined) return undefined;
    if (!(PROMPT_CACHE_SETTINGS as readonly unknown[]).includes(setting)) {
        return `${key}.promptCache must be ${PROMPT_CACHE_SETTINGS.map((s) => `"${s}"`).join(", ")}, got ${JSON.stringify(setting)}`;
    }
    const facts = modelFacts(modelId);
    if (setting === "off" || facts === undefined) return undefined;
    if (facts.promptCaching === null) return `${key}.promptCache: ${JSON.stringify(modelId)} does not cache prompts on Bedrock (config/bedrock-models.json); set "off"`;
    if (!facts.promptCaching.ttls.includes(setting as string)) {
        return `${key}.promptCache: ${JSON.stringify(modelId)} takes a cache TTL of ${facts.promptCaching.ttls.join(" or ")} only; got ${JSON.stringify(setting)}`;
    }
    return undefined;
}

/** A warning for an alias whose `promptCache` can do nothing: its model is not in the table. */
export function promptCacheWarning(key: string, setting: unknown, modelId: string): string | undefined {
    if (setting === undefined || setting === "off" || modelFacts(modelId) !== undefined) return undefined;
    return `${key}.promptCache is ${JSON.stringify(setting)}, but ${JSON.stringify(modelId)} is not in config/bedrock-models.json: whether and from how many tokens it caches is unknown, so the function places no cache point`;
}

/** What is wrong with an alias's `serviceTier` (the handler refuses the same at cold start), if anything. */
export function serviceTierProblem(key: string, tier: unknown): string | undefined {
    if (tier === undefined || (SERVICE_TIERS as readonly unknown[]).includes(tier)) return undefined;
    return `${key}.serviceTier must be ${SERVICE_TIERS.map((t) => `"${t}"`).join(", ")}, got ${JSON.stringify(tier)}`;
}

/** A warning for a `serviceTier` the model is known not to serve (Bedrock then refuses every request). */
export function serviceTierWarning(key: string, tier: string | undefined, modelId: string): string | undefined {
    const served = modelFacts(modelId)?.serviceTiers;
    if (tier === undefined || served === undefined || served === null || served.includes(tier)) return undefined;
    const only = served.length === 1 && served[0] === "default" ? "serves only the standard tier (default)" : `serves the tiers ${served.join(", ")}`;
    return `${key}.serviceTier is "${tier}", but ${modelId} ${only} per config/bedrock-models.json: Bedrock may refuse its requests; set "default" or remove serviceTier`;
}
