// Is each configured model callable from the stack's region today? Asked of Bedrock's control plane
// through the AWS CLI, because the AWS provider's foundation-model data source has no lifecycle.
//
// What Bedrock reports (GetFoundationModel, GetInferenceProfile and ListInferenceProfiles API
// references; Bedrock "Model lifecycle" page, read 2026-11-29):
// - `modelDetails.modelLifecycle.status` is only ACTIVE or LEGACY, with optional `legacyTime` and
//   `endOfLifeTime`; a model past its end of life shows as LEGACY with a past end date, or is not
//   found at all.
// - `modelDetails.inferenceTypesSupported` without ON_DEMAND means the bare id cannot be called:
//   the model is offered only through inference profiles (INFERENCE_PROFILE).
// - A system-defined (cross-region) profile exists only in its source regions: a `eu.` profile is
//   not found from us-west-2. Its `models` are the foundation-model ARNs it routes to.

import { classifyModel, profileIdentifier } from "../policy";
import type { ConfiguredModel } from "../settings";
import { type Aws, AwsError } from "./awsCli";
import { denied, error, type Finding, ok, warning } from "./findings";

/** What the checks read from `bedrock get-foundation-model`. */
interface FoundationModelDetails {
    inferenceTypesSupported?: string[];
    modelLifecycle?: { status?: string; legacyTime?: string; endOfLifeTime?: string };
}

/** What the checks read from `bedrock get-inference-profile` and each `list-inference-profiles` entry. */
interface InferenceProfile {
    inferenceProfileId: string;
    status?: string;
    models?: { modelArn: string }[];
}

const README = "docs/deploy.md: Choose a model";

/** The model id an ARN such as `arn:aws:bedrock:us-east-1::foundation-model/<id>` names. */
function modelIdOf(modelArn: string): string {
    return modelArn.slice(modelArn.indexOf("foundation-model/") + "foundation-model/".length);
}

function regionOf(arn: string): string {
    return arn.split(":")[3] ?? "";
}

function day(timestamp: string): string {
    const date = new Date(timestamp);
    return Number.isNaN(date.getTime()) ? timestamp : date.toISOString().slice(0, 10);
}

/** Checks configured models in one region by asking `aws`; `now` decides whether an end-of-life date has passed. */
export class ModelCheck {
    private systemProfiles?: InferenceProfile[];

    constructor(
        private readonly aws: Aws,
        private readonly stack: string,
        private readonly region: string,
        private readonly now: Date = new Date(),
    ) {}

    /** One finding per configured model; never throws (an AWS failure is an error finding). */
    check(model: ConfiguredModel): Finding {
        const subject = `${model.key} ${model.modelId}`;
        try {
            const reference = classifyModel(model.modelId);
            if (reference.kind === "foundation-model") return this.foundationModel(model, subject, model.modelId, this.region);
            if (reference.kind === "inference-profile") return this.profile(model, subject, model.modelId);
            if (reference.resourceType === "foundation-model") {
                return this.foundationModel(model, subject, reference.resourceId, regionOf(reference.arn) || this.region);
            }
            const profile = profileIdentifier(reference);
            if (profile !== undefined) return this.profile(model, subject, profile);
            return ok(`${subject}: a ${reference.resourceType} ARN, which has no Bedrock lifecycle to check`);
        } catch (failure) {
            if (failure instanceof AwsError && failure.isAccessDenied) return denied(`${subject}: ${failure.describe(this.region)}`);
            if (failure instanceof AwsError) return error(`${subject}: could not ask Bedrock in ${this.region} about it: ${failure.message}`);
            return error(`${subject}: ${(failure as Error).message}`);
        }
    }

    /** How to change this model: the config command for its key. */
    private fix(model: ConfiguredModel, id = "<model or profile id>"): string {
        return model.key === "modelId"
            ? `pulumi config set modelId ${id} --stack ${this.stack}`
            : `change ${model.key} to ${id} in pulumi config set models '…' --stack ${this.stack}`;
    }

    private foundationModel(model: ConfiguredModel, subject: string, modelId: string, region: string): Finding {
        let details: FoundationModelDetails;
        try {
            details = (this.aws(["bedrock", "get-foundation-model", "--model-identifier", modelId, "--region", region]) as { modelDetails: FoundationModelDetails }).modelDetails;
        } catch (failure) {
            if (!(failure instanceof AwsError) || !failure.isNotFound) throw failure;
            const profiles = this.profilesContaining(modelId);
            if (profiles.length > 0) {
                return error(`${subject}: Bedrock in ${region} offers this model only through the inference profiles ${profiles.join(", ")}; set one: ${this.fix(model, profiles[0])}`);
            }
            return error(
                `${subject}: Bedrock in ${region} does not know this model: it has reached end of life there, is not offered in ${region}, ` +
                    `or the id is wrong. Set a live model: ${this.fix(model)} (${README})`,
            );
        }
        const lifecycle = this.lifecycle(model, subject, details, region);
        if (lifecycle.level === "error") return lifecycle;
        if (!(details.inferenceTypesSupported ?? []).includes("ON_DEMAND")) {
            const profiles = this.profilesContaining(modelId);
            return profiles.length > 0
                ? error(`${subject}: Bedrock in ${region} offers this model only through the inference profiles ${profiles.join(", ")}; a bare id fails with "on-demand throughput isn't supported". Set one: ${this.fix(model, profiles[0])}`)
                : error(`${subject}: Bedrock in ${region} cannot call this model on demand, and no system inference profile here contains it (${README})`);
        }
        return lifecycle.level === "warning" ? lifecycle : ok(`${subject}: ${lifecycle.message}, on demand in ${region}`);
    }

    private profile(model: ConfiguredModel, subject: string, identifier: string): Finding {
        let profile: InferenceProfile;
        try {
            profile = this.aws(["bedrock", "get-inference-profile", "--inference-profile-identifier", identifier, "--region", this.region]) as InferenceProfile;
        } catch (failure) {
            if (!(failure instanceof AwsError) || !failure.isNotFound) throw failure;
            const underlying = identifier.startsWith("arn:") ? undefined : identifier.split(".").slice(1).join(".");
            const here = underlying === undefined ? [] : this.profilesContaining(underlying);
            return error(
                `${subject}: no such inference profile can be called from ${this.region}. A geography profile (us., eu., apac., …) ` +
                    `is offered only in its own geography's regions, and an end-of-life model's profiles are withdrawn with it.` +
                    (here.length > 0 ? ` Profiles for the same model here: ${here.join(", ")}.` : "") +
                    ` Set one that is: ${this.fix(model, here[0])} (${README})`,
            );
        }
        if (profile.status !== undefined && profile.status !== "ACTIVE") {
            return error(`${subject}: the inference profile is ${profile.status}, not ACTIVE, in ${this.region}; ${this.fix(model)}`);
        }
        const arns = profile.models ?? [];
        const modelIds = [...new Set(arns.map((m) => modelIdOf(m.modelArn)))];
        const states: string[] = [];
        for (const modelId of modelIds) {
            const regions = [this.region, ...arns.filter((m) => modelIdOf(m.modelArn) === modelId).map((m) => regionOf(m.modelArn))];
            const asked = [...new Set(regions.filter(Boolean))];
            const details = this.lifecycleIn(modelId, asked);
            if (details === undefined) {
                // An end-of-life model is not found at all; a profile that still names it fails every call.
                return error(
                    `${subject}: Bedrock knows the profile, but none of its regions (${asked.join(", ")}) knows its model ${modelId}: ` +
                        `it has most likely reached end of life. Set a live model: ${this.fix(model)} (${README})`,
                );
            }
            const lifecycle = this.lifecycle(model, `${subject} (model ${modelId})`, details.details, details.region);
            if (lifecycle.level !== "ok") return lifecycle;
            states.push(`${modelId} ${lifecycle.message}`);
        }
        return ok(`${subject}: an active inference profile in ${this.region}, routing to ${states.join(", ") || "no listed model"}`);
    }

    /** The model's details from the first of `regions` that knows it. */
    private lifecycleIn(modelId: string, regions: string[]): { details: FoundationModelDetails; region: string } | undefined {
        for (const region of regions) {
            try {
                const answer = this.aws(["bedrock", "get-foundation-model", "--model-identifier", modelId, "--region", region]) as { modelDetails: FoundationModelDetails };
                return { details: answer.modelDetails, region };
            } catch (failure) {
                if (!(failure instanceof AwsError) || !failure.isNotFound) throw failure;
            }
        }
        return undefined;
    }

    /**
     * End of life (LEGACY with an end date in the past) is an error; Legacy is a warning with its
     * dates; anything else is ok, with "Active" as its message.
     */
    private lifecycle(model: ConfiguredModel, subject: string, details: FoundationModelDetails, region: string): Finding {
        const { status, legacyTime, endOfLifeTime } = details.modelLifecycle ?? {};
        if (status !== "LEGACY") return ok("Active");
        if (endOfLifeTime !== undefined && new Date(endOfLifeTime) <= this.now) {
            return error(
                `${subject}: reached end of life in ${region} on ${day(endOfLifeTime)}; every call fails with ResourceNotFoundException. ` +
                    `Set a live model: ${this.fix(model)} (${README})`,
            );
        }
        const since = legacyTime === undefined ? "" : ` since ${day(legacyTime)}`;
        // AWS CLI versions older than the lifecycle dates drop them from the output.
        const until =
            endOfLifeTime === undefined
                ? "no end-of-life date in the answer (announced on the model card; an older AWS CLI leaves the dates out)"
                : `it reaches end of life on ${day(endOfLifeTime)}`;
        return warning(`${subject}: Legacy in ${region}${since}; ${until}. Move to a newer model before then: ${this.fix(model)}`);
    }

    /** Ids of the region's system-defined inference profiles that route to this foundation model. */
    private profilesContaining(modelId: string): string[] {
        this.systemProfiles ??= (
            this.aws(["bedrock", "list-inference-profiles", "--type-equals", "SYSTEM_DEFINED", "--region", this.region]) as {
                inferenceProfileSummaries?: InferenceProfile[];
            }
        ).inferenceProfileSummaries ?? [];
        return this.systemProfiles
            .filter((profile) => (profile.models ?? []).some((m) => modelIdOf(m.modelArn) === modelId))
            .map((profile) => profile.inferenceProfileId)
            // A geography profile first: it keeps requests in the stack's geography, `global.` does not.
            .sort((a, b) => Number(a.startsWith("global.")) - Number(b.startsWith("global.")) || a.localeCompare(b));
    }
}
