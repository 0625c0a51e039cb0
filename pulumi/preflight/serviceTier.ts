// Does each model serve the service tier its alias asks for? Not every model serves every tier
// (Bedrock user guide, "Service tiers for optimizing performance and cost", read 2026-12-07), and a
// tier a model or region does not serve is refused with a ValidationException (strands-agents
// 1.35.0 release notes, read 2026-12-07: no AWS page quoted that answer). What is known per model is
// in config/bedrock-models.json: Claude Haiku 5.5 serves only the standard tier, per a third-party
// summary of its launch, which AWS's card could not confirm here (the file says so). So a warning,
// not an error: the fact may have changed, and a model the file does not list is not judged.

import { serviceTierWarning } from "../bedrockModels";
import type { ConfiguredModel } from "../settings";
import { type Finding, warning } from "./findings";

/** One warning per alias whose serviceTier its model is known not to serve. */
export function checkServiceTiers(models: ConfiguredModel[]): Finding[] {
    return models.flatMap(({ alias, modelId, serviceTier }) => {
        const found = serviceTierWarning(`models.${alias}`, serviceTier, modelId);
        return found === undefined ? [] : [warning(found)];
    });
}
