// config/bedrock-models.json as the stack reads it: an alias's promptCache and serviceTier are
// checked against its model (the same refusals as the handler's: config/settings-cases.json), the
// preview warns where a cache can do nothing, and the preflight where a tier is not served.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import { modelFacts, promptCacheProblem, promptCacheWarning } from "../bedrockModels";
import { checkServiceTiers } from "../preflight/serviceTier";
import { configuredModels, reviewModels } from "../settings";

const STACK = { modelId: "m", defaultModelId: "m", maxTokens: 512, maxTokensCap: 2048 };

describe("config/bedrock-models.json", () => {
    test("a profile or an ARN finds its model's entry, and every entry cites its sources", () => {
        assert.equal(modelFacts("us.anthropic.claude-haiku-5-5")?.promptCaching?.minTokensPerCheckpoint, 512);
        assert.equal(modelFacts("arn:aws:bedrock:us-west-2:123456789012:inference-profile/global.anthropic.claude-haiku-5-5")?.serviceTiers?.[0], "default");
        assert.equal(modelFacts("anthropic.claude-haiku-4-5-20251001-v1:0")?.promptCaching?.minTokensPerCheckpoint, 4096);
        assert.equal(modelFacts("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k3x9"), undefined);
        assert.equal(modelFacts("xanthropic.claude-haiku-5-5"), undefined, "a prefix is a whole dotted part");
        for (const id of ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-haiku-5-5"]) {
            assert.ok(modelFacts(id)!.sources.every((s) => /read 2026-\d\d-\d\d/.test(s)), id);
        }
    });

    test("a promptCache the model cannot do stops the preview; one on an unknown model only warns", () => {
        assert.equal(promptCacheProblem("models.a", "1h", "us.anthropic.claude-haiku-5-5"), undefined);
        assert.match(promptCacheProblem("models.a", "1h", "anthropic.claude-3-5-haiku-20241022-v1:0")!, /^models\.a\.promptCache: .* takes a cache TTL of 5m only; got "1h"$/);
        assert.match(promptCacheProblem("models.a", "5m", "anthropic.claude-3-haiku-20240307-v1:0")!, /does not cache prompts on Bedrock/);
        const unknown = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k3x9";
        assert.equal(promptCacheProblem("models.a", "5m", unknown), undefined);
        assert.match(promptCacheWarning("models.a", "5m", unknown)!, /places no cache point/);
        assert.equal(promptCacheWarning("models.a", "off", unknown), undefined);

        const review = reviewModels({ a: { modelId: unknown, promptCache: "5m" } }, undefined, STACK);
        assert.deepEqual(review.problems, []);
        assert.equal(review.warnings.length, 1);
        assert.match(review.warnings[0], /^models\.a\.promptCache is "5m", but/);
    });

    test("the preflight warns where an alias asks for a tier its model does not serve, and only there", () => {
        const models = configuredModels("m", {
            fast: { modelId: "us.anthropic.claude-haiku-5-5", serviceTier: "priority" },
            cheap: { modelId: "global.anthropic.claude-haiku-5-5", serviceTier: "default" },
            old: { modelId: "anthropic.claude-haiku-4-5-20251001-v1:0", serviceTier: "flex" },
            none: { modelId: "us.anthropic.claude-haiku-5-5" },
        });
        const findings = checkServiceTiers(models);
        assert.deepEqual(
            findings.map((f) => f.level),
            ["warning"],
            "Haiku 5.5 serves only the standard tier; Haiku 4.5's tiers are not in the file, so it is not judged",
        );
        assert.match(findings[0].message, /^models\.fast\.serviceTier is "priority", but us\.anthropic\.claude-haiku-5-5 serves only the standard tier \(default\)/);
    });
});
