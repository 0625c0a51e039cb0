// Runs the real program (index.ts) under Pulumi's unit-test mocks, as `pulumi up` would with the
// given stack config, and records what it registered: every resource with its inputs, the stack
// outputs, and the warnings it logged. A failure the program raises asynchronously (a rejected
// data-source lookup) fails the run as the Pulumi CLI would report it.

import * as pulumi from "@pulumi/pulumi";

import { PROJECT } from "./pulumiCli";

export const ACCOUNT_ID = "123456789012";

/** The id API Gateway gives the mocked REST API. */
export const REST_API_ID = "a1b2c3d4e5";

/** How every API key value API Gateway generates in these mocks begins, to look for it in outputs. */
export const GENERATED_KEY_PREFIX = "GENERATEDKEYVALUE-";

/** Claude Haiku 5.5, the model of the shipped stacks and of these mocks' inference profiles. */
export const HAIKU_55 = "anthropic.claude-haiku-5-5";

/** Where each system-defined profile routes, as GetInferenceProfile lists it (not the region-less ARN of `global.`). */
export const PROFILE_DESTINATIONS: Record<string, string[]> = {
    us: ["us-east-1", "us-east-2", "us-west-1", "us-west-2"],
    eu: ["eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"],
    au: ["ap-southeast-2", "ap-southeast-4"],
    jp: ["ap-northeast-1", "ap-northeast-3"],
    global: ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"],
};

/** An application inference profile the mocked account has, copied from the us. profile of Claude Haiku 5.5. */
export const APPLICATION_PROFILE = `arn:aws:bedrock:us-west-2:${ACCOUNT_ID}:application-inference-profile/k3x9stories`;

/** Another account's application inference profile, which GetInferenceProfile refuses to the deploying identity. */
export const FOREIGN_PROFILE = "arn:aws:bedrock:us-west-2:210987654321:application-inference-profile/shared9q";

/**
 * What GetInferenceProfile answers in `region` for `identifier` (an id or ARN), or undefined for
 * Bedrock's not-found: a geography profile exists only in its own geography's regions.
 */
export function inferenceProfile(region: string, identifier: string): { inferenceProfileArn: string; models: { modelArn: string }[] } | undefined {
    const routes = (destinations: string[], model: string) => destinations.map((to) => ({ modelArn: `arn:aws:bedrock:${to}::foundation-model/${model}` }));
    if (identifier === APPLICATION_PROFILE) {
        return region === "us-west-2" ? { inferenceProfileArn: APPLICATION_PROFILE, models: routes(PROFILE_DESTINATIONS.us, HAIKU_55) } : undefined;
    }
    const id = identifier.startsWith("arn:") ? identifier.slice(identifier.indexOf("inference-profile/") + "inference-profile/".length) : identifier;
    const [prefix, ...model] = id.split(".");
    const destinations = PROFILE_DESTINATIONS[prefix];
    if (destinations === undefined || (prefix !== "global" && !destinations.includes(region))) return undefined;
    return { inferenceProfileArn: `arn:aws:bedrock:${region}:${ACCOUNT_ID}:inference-profile/${id}`, models: routes(destinations, model.join(".")) };
}

/** The id Bedrock gives a guardrail the stack creates, in these mocks. */
export const GUARDRAIL_ID = "gr8stories1";

export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export interface ProgramRun {
    /** Inputs as the engine gets them: a secret value as `{"4dabf18193072939515e22adb298388d": SECRET_SIG, value}`. */
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    /** Every registered resource's URN, whose type part names its parents (`Parent$Child`). */
    urns: string[];
    /** The stack outputs the engine stores encrypted. */
    secretOutputs: string[];
    warnings: string[];
    /** The one resource of this type; fails the test if there is not exactly one. */
    only(type: string): RegisteredResource;
}

/** What the AWS provider would compute on create, for the attributes the program reads back. */
function providerState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
    switch (type) {
        case "aws:iam/role:Role":
            return { name: inputs.name ?? `${name}-0a1b2c3`, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}-0a1b2c3` };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { arn: `arn:aws:cloudwatch:${region}:${ACCOUNT_ID}:alarm:${inputs.name}` };
        case "aws:sns/topic:Topic":
            return { arn: `arn:aws:sns:${region}:${ACCOUNT_ID}:${name}-5f6a7b8` };
        case "aws:cloudwatch/logGroup:LogGroup": {
            // Pulumi's auto-naming: the resource name and a random suffix, unless a name is given.
            const group = inputs.name ?? `${name}-8a9b0c1`;
            return { name: group, arn: `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${group}` };
        }
        case "aws:lambda/function:Function":
            return { name: `${name}-4d5e6f7`, arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}-4d5e6f7` };
        case "aws:bedrock/guardrail:Guardrail":
            return { guardrailId: GUARDRAIL_ID, guardrailArn: `arn:aws:bedrock:${region}:${ACCOUNT_ID}:guardrail/${GUARDRAIL_ID}`, version: "DRAFT" };
        case "aws:bedrock/guardrailVersion:GuardrailVersion":
            return { version: "1" };
        case "aws:lambda/functionUrl:FunctionUrl":
            return { functionUrl: `https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.${region}.on.aws/` };
        case "aws:apigateway/restApi:RestApi":
            return { rootResourceId: "r00tr3s0ur", executionArn: `arn:aws:execute-api:${region}:${ACCOUNT_ID}:${REST_API_ID}` };
        case "aws:apigateway/stage:Stage":
            return { invokeUrl: `https://${REST_API_ID}.execute-api.${region}.amazonaws.com/${inputs.stageName}` };
        case "aws:apigateway/apiKey:ApiKey":
            // Generated by API Gateway; the provider marks it secret (additionalSecretOutputs).
            return { value: `${GENERATED_KEY_PREFIX}${name}` };
        case "aws:cognito/userPool:UserPool":
            return { arn: `arn:aws:cognito-idp:${region}:${ACCOUNT_ID}:userpool/${region}_Gen3rated` };
        default:
            return {};
    }
}

/** The value of an output, or its failure (Output's own promise: `apply` would never run on a failure). */
function resolved<T>(value: pulumi.Input<T>): Promise<T> {
    return (pulumi.output(value) as unknown as { promise(): Promise<T> }).promise();
}

/**
 * Runs the program with `config`; `secretKeys` (full keys, `bedrock-streamer:systemPrompt`) are
 * the ones the stack set with `pulumi config set --secret`, as the CLI tells the program.
 */
export async function runProgram(stack: string, config: Record<string, string>, secretKeys: string[] = []): Promise<ProgramRun> {
    const region = config["aws:region"];
    const resources: RegisteredResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource({ type, name, inputs }) {
                resources.push({ type, name, inputs });
                const state = { ...inputs, ...providerState(type, name, inputs, region) };
                // A user pool's id is the last part of its ARN.
                const id = type === "aws:cognito/userPool:UserPool" ? state.arn.split("/")[1] : type === "aws:apigateway/restApi:RestApi" ? REST_API_ID : `${name}-id`;
                return { id, state };
            },
            call({ token, inputs }) {
                switch (token) {
                    case "aws:bedrock/getInferenceProfile:getInferenceProfile": {
                        if (inputs.inferenceProfileId === FOREIGN_PROFILE) {
                            // The AWS SDK for Go's text, which the provider passes on; the SDK rejects the
                            // invoke with the engine's gRPC error `details`, as it does under the CLI.
                            const details =
                                `error reading inference profile: ${FOREIGN_PROFILE}: operation error Bedrock: GetInferenceProfile, https response error StatusCode: 403, ` +
                                `RequestID: 5e1f, AccessDeniedException: User: arn:aws:iam::${ACCOUNT_ID}:user/deployer is not authorized to perform: bedrock:GetInferenceProfile`;
                            throw Object.assign(new Error(details), { details });
                        }
                        const profile = inferenceProfile(region, inputs.inferenceProfileId);
                        if (profile === undefined) throw new Error(`ResourceNotFoundException: no inference profile ${inputs.inferenceProfileId} in ${region}`);
                        return { ...profile, inferenceProfileId: inputs.inferenceProfileId, status: "ACTIVE", region };
                    }
                    case "aws:index/getRegion:getRegion":
                        return { region, name: region, id: region };
                    case "aws:index/getPartition:getPartition":
                        return { partition: "aws", dnsSuffix: "amazonaws.com" };
                    case "aws:index/getCallerIdentity:getCallerIdentity":
                        return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`, userId: "AIDEXAMPLE" };
                    default:
                        throw new Error(`unexpected provider call ${token}`);
                }
            },
        },
        PROJECT,
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config, secretKeys);

    const warnings: string[] = [];
    const warn = pulumi.log.warn;
    pulumi.log.warn = async (message: string) => {
        warnings.push(message);
    };
    // Pulumi's language host fails the run with the message of a rejection nothing handled (a
    // failed lookup rejects every registration that waits on it); this run does the same, in place
    // of the test runner's own handler, which would blame the rejections on whichever test is running.
    const failures: Error[] = [];
    const fail = (reason: unknown) => failures.push(reason instanceof Error ? reason : new Error(String(reason)));
    const runnerHandlers = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", fail);
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    const urns: string[] = [];
    try {
        // A fresh copy of the program each run: it reads config and registers at import.
        const entry = require.resolve("../../index");
        delete require.cache[entry];
        const program = require(entry) as Record<string, pulumi.Input<unknown>>;
        for (const [name, value] of Object.entries(program)) {
            const output = await resolved(value);
            // The CLI stores no output whose value is undefined (apiKeyIds on a stack without keys).
            if (output === undefined) continue;
            outputs[name] = output;
            if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(name);
        }
        // The mock monitor's record of what it registered (URNs carry the parent chain).
        for (let turn = 0; turn < 20; turn++) await new Promise((settle) => setImmediate(settle));
        const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
        urns.push(...monitor.getRegisteredResources().keys());
    } finally {
        // Let the registrations this run started finish against its own mocks, not the next run's,
        // and let any rejected one surface: they settle in the turns after the RPCs drain.
        await pulumi.runtime.disconnect();
        for (let turn = 0; turn < 20; turn++) await new Promise((settle) => setImmediate(settle));
        pulumi.log.warn = warn;
        process.off("unhandledRejection", fail);
        for (const handler of runnerHandlers) process.on("unhandledRejection", handler);
    }
    if (failures.length > 0) throw failures[0];
    return {
        resources,
        outputs,
        urns,
        secretOutputs,
        warnings,
        only(type: string): RegisteredResource {
            const matches = resources.filter((r) => r.type === type);
            if (matches.length !== 1) throw new Error(`expected one ${type}, registered ${matches.length}`);
            return matches[0];
        },
    };
}
