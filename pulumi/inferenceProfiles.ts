// What AWS says about each configured inference profile, asked in the stack's region through the
// provider's aws.bedrock.getInferenceProfile data source (GetInferenceProfile). Its answer decides
// the role's grants (policy.ts), and its absence stops the preview: a profile Bedrock does not
// offer in the stack's region (a geography profile from outside its geography, e.g. `eu.` from
// us-west-2) would deploy cleanly and then fail every call.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { type ConfiguredModel, invalidConfiguration } from "./settings";
import { classifyModel, type InferenceProfileFacts, profileIdentifier } from "./policy";

/**
 * A refusal of the deploying identity rather than an answer about the profile: the provider passes
 * on the AWS SDK for Go's error text ("… StatusCode: 403, … AccessDeniedException: …").
 */
function isAccessDenied(failure: Error): boolean {
    return /AccessDenied|StatusCode: 403\b/.test(failure.message ?? "");
}

/** Every profile among `models`, keyed by its setting (id or ARN); empty when there is none. */
export function lookUpInferenceProfiles(models: ConfiguredModel[], parent: pulumi.Resource): pulumi.Output<Record<string, InferenceProfileFacts>> {
    const region = aws.getRegion({}, { parent }).then((r) => r.region);
    const seen = new Set<string>();
    const lookups: Promise<[string, InferenceProfileFacts]>[] = [];
    for (const model of models) {
        const identifier = profileIdentifier(classifyModel(model.modelId));
        if (identifier === undefined || seen.has(model.modelId)) continue;
        seen.add(model.modelId);
        lookups.push(
            region.then((stackRegion) =>
                aws.bedrock.getInferenceProfile({ inferenceProfileId: identifier }, { parent }).then(
                    (profile): [string, InferenceProfileFacts] => [
                        model.modelId,
                        { inferenceProfileArn: profile.inferenceProfileArn, modelArns: profile.models.map((m) => m.modelArn) },
                    ],
                    (failure: Error) => {
                        const problem = isAccessDenied(failure)
                            ? `could not be looked up in ${stackRegion}: the deploying identity may not call bedrock:GetInferenceProfile, ` +
                              `which the role's grants are read from; grant it that action`
                            : `cannot be called from ${stackRegion}: Bedrock has no such inference profile there (a geography profile such as ` +
                              `eu. is offered only in its own geography's regions; \`just preview\` names the profiles ${stackRegion} has)`;
                        throw new pulumi.RunError(
                            invalidConfiguration([`${model.key} ${model.modelId} ${problem}` + (failure.message ? `: ${failure.message}` : "")]),
                        );
                    },
                ),
            ),
        );
    }
    return pulumi.output(Promise.all(lookups).then((entries) => Object.fromEntries(entries)));
}
