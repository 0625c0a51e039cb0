// Runs the real program (index.ts) under Pulumi's unit-test mocks, as `pulumi up` would with the
// given stack config, and records what it registered: every resource with its inputs, the stack
// outputs, and the warnings it logged.

import * as pulumi from "@pulumi/pulumi";

import { PROJECT } from "./pulumiCli";

export const ACCOUNT_ID = "123456789012";

export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    warnings: string[];
    /** The one resource of this type; fails the test if there is not exactly one. */
    only(type: string): RegisteredResource;
}

/** What the AWS provider would compute on create, for the attributes the program reads back. */
function providerState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
    switch (type) {
        case "aws:iam/role:Role":
            return { arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}-0a1b2c3` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { arn: `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${inputs.name}` };
        case "aws:lambda/function:Function":
            return { name: `${name}-4d5e6f7`, arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}-4d5e6f7` };
        case "aws:lambda/functionUrl:FunctionUrl":
            return { functionUrl: `https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.${region}.on.aws/` };
        default:
            return {};
    }
}

function resolved<T>(value: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as T)));
}

export async function runProgram(stack: string, config: Record<string, string>): Promise<ProgramRun> {
    const region = config["aws:region"];
    const resources: RegisteredResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource({ type, name, inputs }) {
                resources.push({ type, name, inputs });
                return { id: `${name}-id`, state: { ...inputs, ...providerState(type, name, inputs, region) } };
            },
            call({ token }) {
                switch (token) {
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
    pulumi.runtime.setAllConfig(config);

    const warnings: string[] = [];
    const warn = pulumi.log.warn;
    pulumi.log.warn = async (message: string) => {
        warnings.push(message);
    };
    try {
        // A fresh copy of the program each run: it reads config and registers at import.
        const entry = require.resolve("../../index");
        delete require.cache[entry];
        const program = require(entry) as Record<string, pulumi.Input<unknown>>;
        const outputs: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(program)) outputs[name] = await resolved(value);
        return {
            resources,
            outputs,
            warnings,
            only(type: string): RegisteredResource {
                const matches = resources.filter((r) => r.type === type);
                if (matches.length !== 1) throw new Error(`expected one ${type}, registered ${matches.length}`);
                return matches[0];
            },
        };
    } finally {
        // Let the registrations this run started finish against its own mocks, not the next run's.
        await pulumi.runtime.disconnect();
        pulumi.log.warn = warn;
    }
}
