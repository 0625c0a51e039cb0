// IAM for the function, as pure functions: which Bedrock resources the configured model needs, and
// the two inline policies (invoke that model, write to its own log group). No wildcard resources:
// the role can call exactly one model, and a leaked role cannot run up a bill on any other.

/** The one Bedrock action ConverseStream is authorised by. */
export const INVOKE_ACTION = "bedrock:InvokeModelWithResponseStream";

/** Where the stack deploys; the model ARNs are built from it. */
export interface StackLocation {
    partition: string;
    region: string;
    accountId: string;
}

/**
 * Regions each cross-region inference-profile prefix may route to. A request through a profile is
 * authorised against the foundation model in whichever region serves it, so every region the
 * geography can route to must be listed. The sets follow Bedrock's published geographies and err
 * on the side of a region too many (a grant in a region that never serves is inert; a missing one
 * fails some requests at random). `global.` is not here: it routes to every commercial region and
 * AWS authorises it against the region-less foundation-model ARN instead.
 */
export const PROFILE_GEOGRAPHIES: Readonly<Record<string, readonly string[]>> = {
    us: ["us-east-1", "us-east-2", "us-west-1", "us-west-2"],
    "us-gov": ["us-gov-east-1", "us-gov-west-1"],
    eu: ["eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3"],
    apac: [
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "me-central-1",
    ],
    jp: ["ap-northeast-1", "ap-northeast-3"],
    au: ["ap-southeast-2", "ap-southeast-4"],
};

const GLOBAL_PREFIX = "global";
const REGIONLESS = "";

/** What a `modelId` setting names, which decides the resources the role needs. */
export type ModelReference =
    | { kind: "arn"; arn: string }
    | { kind: "foundation-model"; modelId: string }
    | { kind: "inference-profile"; profileId: string; geography: string; modelId: string };

/**
 * Classifies a model setting: a full ARN (used as given), a cross-region inference-profile id
 * (`us.anthropic…`, `global.anthropic…`) or a plain foundation-model id. Throws on anything that
 * would need a wildcard or that cannot be classified safely.
 */
export function classifyModel(modelId: string): ModelReference {
    if (modelId.trim() === "" || /\s/.test(modelId)) {
        throw new Error(`modelId ${JSON.stringify(modelId)} is not a Bedrock model id: it is empty or contains spaces`);
    }
    if (modelId.includes("*")) {
        throw new Error(`modelId ${JSON.stringify(modelId)} contains '*'; name exactly one model, the policy never grants a wildcard`);
    }
    if (modelId.startsWith("arn:")) {
        if (!/^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:[0-9]*:[a-z-]+\/.+$/.test(modelId)) {
            throw new Error(
                `modelId ${JSON.stringify(modelId)} starts like an ARN but is not a Bedrock resource ARN ` +
                    `(arn:<partition>:bedrock:<region>:<account>:<type>/<id>)`,
            );
        }
        return { kind: "arn", arn: modelId };
    }
    const segments = modelId.split(".");
    const prefix = segments[0];
    if (prefix === GLOBAL_PREFIX || Object.hasOwn(PROFILE_GEOGRAPHIES, prefix)) {
        const underlying = segments.slice(1).join(".");
        if (segments.length < 3) {
            throw new Error(`modelId ${JSON.stringify(modelId)} has the inference-profile prefix '${prefix}.' but no <provider>.<model> after it`);
        }
        return { kind: "inference-profile", profileId: modelId, geography: prefix, modelId: underlying };
    }
    // Foundation-model ids are <provider>.<model>; a third dot-separated part means a profile
    // prefix this table does not know, and guessing its regions would grant the wrong ones.
    if (segments.length > 2) {
        const known = [...Object.keys(PROFILE_GEOGRAPHIES), GLOBAL_PREFIX].map((g) => `${g}.`).join(", ");
        throw new Error(
            `modelId ${JSON.stringify(modelId)} looks like an inference-profile id with an unknown prefix '${prefix}.'; ` +
                `known prefixes are ${known}. Add its regions to PROFILE_GEOGRAPHIES in pulumi/policy.ts.`,
        );
    }
    return { kind: "foundation-model", modelId };
}

function foundationModelArn(where: StackLocation, region: string, modelId: string): string {
    return `arn:${where.partition}:bedrock:${region}::foundation-model/${modelId}`;
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

/**
 * The statements that let the function stream from the configured model:
 * - a foundation-model id: that model in the stack's region;
 * - a full ARN: that ARN, as given;
 * - an inference profile: the profile in the stack's region and account, plus the foundation
 *   model in the stack's region and in every region the profile routes to (`global.`: the
 *   region-less foundation-model ARN AWS authorises global routing against), usable only through
 *   that profile (`bedrock:InferenceProfileArn`), so the role cannot call the model directly.
 */
export function invokeModelStatements(modelId: string, where: StackLocation): PolicyStatement[] {
    const model = classifyModel(modelId);
    const allow = (resources: string[]): PolicyStatement => ({ Effect: "Allow", Action: [INVOKE_ACTION], Resource: resources });
    switch (model.kind) {
        case "arn":
            return [allow([model.arn])];
        case "foundation-model":
            return [allow([foundationModelArn(where, where.region, model.modelId)])];
        case "inference-profile": {
            const profileArn = `arn:${where.partition}:bedrock:${where.region}:${where.accountId}:inference-profile/${model.profileId}`;
            // Global routing is authorised against the foundation-model ARN with an empty region.
            const destinations = model.geography === GLOBAL_PREFIX ? [REGIONLESS] : PROFILE_GEOGRAPHIES[model.geography];
            const regions = [...new Set([where.region, ...destinations])];
            return [
                allow([profileArn]),
                {
                    ...allow(regions.map((region) => foundationModelArn(where, region, model.modelId))),
                    Condition: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
                },
            ];
        }
    }
}

/** Every Bedrock resource the role may invoke, in policy order. */
export function modelResourceArns(modelId: string, where: StackLocation): string[] {
    return invokeModelStatements(modelId, where).flatMap((statement) => statement.Resource);
}

export function invokeModelPolicy(modelId: string, where: StackLocation): PolicyDocument {
    return { Version: "2012-10-17", Statement: invokeModelStatements(modelId, where) };
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

/** Lets the Lambda service, and nothing else, assume the function's role. */
export const LAMBDA_TRUST_POLICY = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;
