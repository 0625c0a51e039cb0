// IAM for the function, as pure functions: which Bedrock resources the configured models need, and
// the two inline policies (invoke those models, write to its own log group). No wildcard resources:
// the role can call exactly the configured models, and a leaked role cannot run up a bill on any other.
//
// Bedrock's inference-profile prerequisites ("Prerequisites for inference profiles" and "Supported
// Regions and models for inference profiles", read 2026-11-29): invoking through a profile needs the
// profile's ARN and the foundation model in every region the profile routes to. Those regions vary
// by model and source region, and AWS says to read them from GetInferenceProfile's `models`, so the
// component asks AWS (the provider's aws.bedrock.getInferenceProfile) and hands the answer to
// `invokeModelPolicy`; nothing here guesses regions. A `global.` profile is also authorised against
// the region-less foundation-model ARN (`arn:aws:bedrock:::foundation-model/<id>`), which AWS does
// not list among its models.

import { modelIdProblem } from "./settings";

/** The one Bedrock action ConverseStream is authorised by. */
export const INVOKE_ACTION = "bedrock:InvokeModelWithResponseStream";

/** Where the stack deploys; the model ARNs are built from it. */
export interface StackLocation {
    partition: string;
    region: string;
    accountId: string;
}

/**
 * Prefixes of Bedrock's system-defined cross-region inference profiles (`us.anthropic…`): the
 * geographies and `global`. Anything with one of these before `<provider>.<model>` is a profile id.
 * The geographies are those of the AWS CDK's CrossRegionInferenceProfileRegion (GLOBAL, US, US_GOV,
 * EU, APAC, JP, AU; docs.aws.amazon.com/cdk/api/v2/docs/@aws-cdk_aws-bedrock-alpha.CrossRegionInferenceProfileRegion.html,
 * read 2026-12-07); Claude Haiku 5.5 has us., eu., au., jp. and global. (docs/deploy.md, Choose a model).
 */
export const PROFILE_PREFIXES = ["us", "us-gov", "eu", "apac", "jp", "au", "global"] as const;

const GLOBAL_PREFIX = "global";

/** What a model setting names, which decides the resources the role needs. */
export type ModelReference =
    | { kind: "foundation-model"; modelId: string }
    | { kind: "inference-profile"; profileId: string }
    | { kind: "arn"; arn: string; resourceType: string; resourceId: string };

/**
 * Classifies a model setting: a full ARN (by its resource type), a cross-region inference-profile
 * id (`us.anthropic…`, `global.anthropic…`) or a plain foundation-model id. Throws on anything that
 * is not a Bedrock id (settings.ts `modelIdProblem`) or that cannot be classified safely.
 */
export function classifyModel(modelId: string): ModelReference {
    // The policy names exactly this text: a '*', '?' or '${…}' in it would grant more than one model.
    const problem = modelIdProblem(modelId);
    if (problem !== undefined) throw new Error(`modelId ${JSON.stringify(modelId)} ${problem}`);
    if (modelId.startsWith("arn:")) {
        const arn = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:[0-9]*:([a-z-]+)\/(.+)$/.exec(modelId);
        if (!arn) {
            throw new Error(
                `modelId ${JSON.stringify(modelId)} starts like an ARN but is not a Bedrock resource ARN ` +
                    `(arn:<partition>:bedrock:<region>:<account>:<type>/<id>)`,
            );
        }
        return { kind: "arn", arn: modelId, resourceType: arn[1], resourceId: arn[2] };
    }
    const segments = modelId.split(".");
    const prefix = segments[0];
    if ((PROFILE_PREFIXES as readonly string[]).includes(prefix)) {
        if (segments.length < 3) {
            throw new Error(`modelId ${JSON.stringify(modelId)} has the inference-profile prefix '${prefix}.' but no <provider>.<model> after it`);
        }
        return { kind: "inference-profile", profileId: modelId };
    }
    // Foundation-model ids are <provider>.<model>; a third dot-separated part means a profile
    // prefix this program does not know, and treating it as a model would grant the wrong resource.
    if (segments.length > 2) {
        throw new Error(
            `modelId ${JSON.stringify(modelId)} looks like an inference-profile id with an unknown prefix '${prefix}.'; ` +
                `known prefixes are ${PROFILE_PREFIXES.map((p) => `${p}.`).join(", ")}. Add it to PROFILE_PREFIXES in pulumi/policy.ts.`,
        );
    }
    return { kind: "foundation-model", modelId };
}

/** What to ask GetInferenceProfile for, when the setting names a profile (system or application); else undefined. */
export function profileIdentifier(reference: ModelReference): string | undefined {
    if (reference.kind === "inference-profile") return reference.profileId;
    if (reference.kind === "arn" && (reference.resourceType === "inference-profile" || reference.resourceType === "application-inference-profile")) {
        return reference.arn;
    }
    return undefined;
}

/** What AWS reports for an inference profile (GetInferenceProfile, or the provider's aws.bedrock.getInferenceProfile). */
export interface InferenceProfileFacts {
    inferenceProfileArn: string;
    /** The foundation-model ARNs the profile routes to, one per destination region. */
    modelArns: string[];
}

function foundationModelArn(where: StackLocation, region: string, modelId: string): string {
    return `arn:${where.partition}:bedrock:${region}::foundation-model/${modelId}`;
}

function isGlobal(reference: ModelReference): boolean {
    const id = reference.kind === "inference-profile" ? reference.profileId : reference.kind === "arn" ? reference.resourceId : "";
    return id.startsWith(`${GLOBAL_PREFIX}.`);
}

/** One IAM policy statement, in the JSON shape AWS stores. */
export interface PolicyStatement {
    Effect: "Allow";
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

const allow = (resources: string[]): PolicyStatement => ({ Effect: "Allow", Action: [INVOKE_ACTION], Resource: [...new Set(resources)] });

/**
 * The statements that let the function stream from the union of the configured models:
 * - first, one statement for everything invoked directly: a foundation-model id's model in the
 *   stack's region, a full ARN as given, and each inference profile (its ARN as AWS reports it);
 * - then, per profile, the foundation models AWS says it routes to (and, for `global.`, the
 *   region-less model ARN), usable only through that profile: `ArnEquals` on the ARN-typed
 *   `bedrock:InferenceProfileArn`, so the role cannot call those models directly or elsewhere.
 * `profiles` holds what AWS reported for every profile among `modelIds`, keyed by the setting.
 */
export function invokeModelStatements(modelIds: string[], profiles: Readonly<Record<string, InferenceProfileFacts>>, where: StackLocation): PolicyStatement[] {
    const direct: string[] = [];
    const throughProfiles: PolicyStatement[] = [];
    for (const modelId of new Set(modelIds)) {
        const reference = classifyModel(modelId);
        if (reference.kind === "foundation-model") {
            direct.push(foundationModelArn(where, where.region, reference.modelId));
            continue;
        }
        if (profileIdentifier(reference) === undefined) {
            direct.push((reference as { arn: string }).arn);
            continue;
        }
        const profile = profiles[modelId];
        if (profile === undefined) throw new Error(`no GetInferenceProfile answer for ${modelId}; the role cannot be granted its models`);
        direct.push(profile.inferenceProfileArn);
        const models = [...profile.modelArns];
        if (isGlobal(reference)) {
            for (const arn of profile.modelArns) models.push(foundationModelArn(where, "", arn.slice(arn.indexOf("foundation-model/") + "foundation-model/".length)));
        }
        throughProfiles.push({ ...allow(models), Condition: { ArnEquals: { "bedrock:InferenceProfileArn": profile.inferenceProfileArn } } });
    }
    return [...(direct.length > 0 ? [allow(direct)] : []), ...throughProfiles];
}

/** Every Bedrock resource the role may invoke, in policy order. */
export function modelResourceArns(modelIds: string[], profiles: Readonly<Record<string, InferenceProfileFacts>>, where: StackLocation): string[] {
    return invokeModelStatements(modelIds, profiles, where).flatMap((statement) => statement.Resource);
}

export function invokeModelPolicy(modelIds: string[], profiles: Readonly<Record<string, InferenceProfileFacts>>, where: StackLocation): PolicyDocument {
    return { Version: "2012-10-17", Statement: invokeModelStatements(modelIds, profiles, where) };
}

/**
 * Log writes to the function's own log group only. The group is created by the stack (with its
 * retention), so the role has no logs:CreateLogGroup; `:*` covers the streams Lambda creates in it.
 */
export function writeLogsPolicy(logGroupArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`] }],
    };
}

/**
 * A role whose model calls carry a guardrail (`guardrailConfig`) needs `bedrock:ApplyGuardrail` on
 * that guardrail, `arn:PARTITION:bedrock:REGION:ACCOUNT:guardrail/ID` (Bedrock user guide, "Set up
 * permissions to use Amazon Bedrock Guardrails", "Permissions for invoking guardrails to filter
 * content", read 2026-12-07).
 */
export const APPLY_GUARDRAIL_ACTION = "bedrock:ApplyGuardrail";

/** The ARN of the guardrail a stack names by id or ARN (an ARN is used as given). */
export function guardrailArn(idOrArn: string, where: StackLocation): string {
    return idOrArn.startsWith("arn:") ? idOrArn : `arn:${where.partition}:bedrock:${where.region}:${where.accountId}:guardrail/${idOrArn}`;
}

/** ApplyGuardrail on the stack's one guardrail, and nothing else. */
export function applyGuardrailPolicy(arn: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [APPLY_GUARDRAIL_ACTION], Resource: [arn] }] };
}

/**
 * A system prompt from Parameter Store is read with `GetParameter`, which IAM authorises as
 * `ssm:GetParameter` on the parameter's ARN, `arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME` with
 * a hierarchy's name written without its leading slash (Service Authorization Reference, "Actions,
 * resources, and condition keys for AWS Systems Manager", resource type `parameter`; Systems Manager
 * user guide, "Restricting access to Systems Manager parameters using IAM policies"; both read
 * 2026-12-07). A SecureString encrypted with the AWS managed key `aws/ssm` needs nothing more: that
 * key lets every principal of the account decrypt through Parameter Store; one encrypted with a
 * customer managed key also needs `kms:Decrypt` on that key, which its key policy or the operator
 * grants (Systems Manager user guide, "Restricting decryption of SecureString parameter values",
 * read 2026-12-07).
 */
export const GET_PARAMETER_ACTION = "ssm:GetParameter";

/** The ARN of a parameter a stack names by name or ARN (an ARN is used as given). */
export function parameterArn(nameOrArn: string, where: StackLocation): string {
    if (nameOrArn.startsWith("arn:")) return nameOrArn;
    return `arn:${where.partition}:ssm:${where.region}:${where.accountId}:parameter/${nameOrArn.replace(/^\//, "")}`;
}

/** GetParameter on the stack's prompt parameters, and nothing else. */
export function getParameterPolicy(arns: string[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [GET_PARAMETER_ACTION], Resource: [...new Set(arns)] }] };
}

/** Lets the Lambda service, and nothing else, assume the function's role. */
export const LAMBDA_TRUST_POLICY = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;
