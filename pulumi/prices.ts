// What the stack knows about what its models' requests cost: config/prices.json, the dated table the
// handler embeds too (handler/src/price.rs). The preview warns where a daily budget is set but a
// model has no price: its requests carry no cost, so the budget's alarm never counts them.

import * as fs from "node:fs";
import * as path from "node:path";

import type { ModelSettings } from "./settings";

const TABLE = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "config", "prices.json"), "utf8")) as { prices: Record<string, unknown> };

/**
 * Whether the table prices `modelId`: by the id itself, or by the model a foundation-model or
 * inference-profile ARN names (handler/src/price.rs `Price::listed`). An application inference
 * profile's ARN names no model, so it has no table price.
 */
export function listed(modelId: string): boolean {
    const arn = /:(?:foundation-model|inference-profile)\/([^/]+)$/.exec(modelId);
    const id = modelId.startsWith("arn:") ? arn?.[1] : modelId;
    return id !== undefined && Object.hasOwn(TABLE.prices, id);
}

/**
 * Whether an alias's requests get a cost (handler/src/settings.rs `table_price`): its own `price`,
 * or the table's, which holds for the standard service tier only.
 */
export function priced(settings: Pick<ModelSettings, "modelId" | "price" | "serviceTier">): boolean {
    if (settings.price !== undefined) return true;
    if (settings.serviceTier === "priority" || settings.serviceTier === "flex") return false;
    return listed(settings.modelId);
}

/** A warning for a model whose requests the daily budget cannot count; undefined when it has a price or no budget is set. */
export function unpricedWarning(key: string, settings: Pick<ModelSettings, "modelId" | "price" | "serviceTier">, dailyBudgetUsd: number | undefined): string | undefined {
    if (dailyBudgetUsd === undefined || priced(settings)) return undefined;
    const why =
        settings.serviceTier === "priority" || settings.serviceTier === "flex"
            ? `config/prices.json prices the standard tier only and the alias's serviceTier is "${settings.serviceTier}"`
            : "config/prices.json has no price for it";
    return (
        `${key}: ${settings.modelId} has no price (${why}, and the alias sets no price of its own): its requests carry no cost, ` +
        `so dailyBudgetUsd does not count them. Give the alias a price read from https://aws.amazon.com/bedrock/pricing/ (docs/cost.md)`
    );
}
