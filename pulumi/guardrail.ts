// StoryGuardrail: a Bedrock guardrail (content filters, denied topics, blocked messages) and a
// published version of it, which every ConverseStream call of the function names.

import * as crypto from "node:crypto";

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { GuardrailSpec } from "./guardrailArgs";
import type { ContentFilterType } from "./settings";

/** Bedrock refuses an output strength other than NONE for PROMPT_ATTACK, which judges prompts only. */
const INPUT_ONLY: readonly ContentFilterType[] = ["PROMPT_ATTACK"];

export class StoryGuardrail extends pulumi.ComponentResource {
    /** The guardrail's id, STREAMER_GUARDRAIL_ID. */
    public readonly guardrailId: pulumi.Output<string>;
    /** What the function's role may call bedrock:ApplyGuardrail on. */
    public readonly guardrailArn: pulumi.Output<string>;
    /** The published version the function uses, STREAMER_GUARDRAIL_VERSION. */
    public readonly version: pulumi.Output<string>;

    constructor(name: string, spec: GuardrailSpec, opts?: pulumi.ComponentResourceOptions) {
        super("bedrock-streamer:index:StoryGuardrail", name, {}, opts);

        const topics = spec.deniedTopics ?? [];
        const guardrail = new aws.bedrock.Guardrail(
            name,
            {
                description: "bedrock-streamer: what its stories may contain",
                blockedInputMessaging: spec.blockedInputMessage,
                blockedOutputsMessaging: spec.blockedOutputMessage,
                contentPolicyConfig: {
                    filtersConfigs: Object.entries(spec.contentFilters).map(([type, strength]) => ({
                        type,
                        inputStrength: strength,
                        outputStrength: INPUT_ONLY.includes(type as ContentFilterType) ? "NONE" : strength,
                    })),
                },
                topicPolicyConfig:
                    topics.length > 0
                        ? { topicsConfigs: topics.map((t) => ({ name: t.name, definition: t.definition, examples: t.examples ?? [], type: "DENY" })) }
                        : undefined,
            },
            { parent: this },
        );
        // A version is a frozen copy of the guardrail as it was when published, so a changed spec
        // needs a new one: the spec's digest is in the description, and a changed description
        // replaces the version (the new one first, then the function moves to it, then the old goes).
        const digest = crypto.createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 16);
        const version = new aws.bedrock.GuardrailVersion(
            `${name}-version`,
            { guardrailArn: guardrail.guardrailArn, description: `bedrock-streamer guardrail, spec ${digest}` },
            { parent: this, replaceOnChanges: ["description"] },
        );

        this.guardrailId = guardrail.guardrailId;
        this.guardrailArn = guardrail.guardrailArn;
        this.version = version.version;
        this.registerOutputs({ guardrailId: this.guardrailId, guardrailArn: this.guardrailArn, version: this.version });
    }
}
