// What the preflight needs from a stack, read the way `pulumi up` will see it: the stack's config
// from the Pulumi CLI (`pulumi config --json`, which also lists Pulumi.yaml's values on current
// CLIs), over Pulumi.yaml's declared defaults (for CLIs that list only the stack file's keys).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "yaml";

import { CONFIG_NAMESPACE as PROJECT, type ConfiguredModel, configuredModels, NO_RESERVATION, parseModels } from "../settings";

/** One entry of `pulumi config --json --show-secrets`: text in `value` (without --show-secrets, a secret has none). */
interface CliConfigValue {
    value?: string;
    secret?: boolean;
}

/** What the preflight checks about one stack. */
export interface StackFacts {
    stack: string;
    region: string;
    models: ConfiguredModel[];
    /** undefined: no reservation (`-1`). */
    reservedConcurrency?: number;
    /** The deployed function, when the stack has been deployed before. */
    functionName?: string;
    /** `authType`, as configured (the preview checks its value). */
    authType: string;
    /** COGNITO: the existing user pool the stack names; undefined: the stack creates one. */
    cognitoUserPoolArn?: string;
    /** The system prompts' Parameter Store parameters: the config key and the name or ARN it gives. */
    promptParameters: { key: string; name: string }[];
}

function pulumi(args: string[], dir: string): { ok: boolean; stdout: string; stderr: string } {
    const run = spawnSync("pulumi", args, { cwd: dir, encoding: "utf8" });
    return { ok: run.status === 0 && !run.error, stdout: run.stdout ?? "", stderr: (run.stderr ?? "") || (run.error?.message ?? "") };
}

/** Pulumi.yaml's `config:` defaults, keyed `bedrock-streamer:<key>`, as config text. */
function declaredDefaults(dir: string): Record<string, string> {
    const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
    const defaults: Record<string, string> = {};
    for (const [key, declaration] of Object.entries(project.config ?? {})) {
        if (declaration?.default === undefined) continue;
        const value = declaration.default;
        defaults[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return defaults;
}

/** The region `pulumi up` deploys to: `aws:region`, else the AWS environment, else the CLI profile's. */
function stackRegion(config: Record<string, string>): string | undefined {
    const configured = config["aws:region"] || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
    if (configured) return configured;
    const run = spawnSync("aws", ["configure", "get", "region"], { encoding: "utf8" });
    return run.status === 0 ? run.stdout.trim() || undefined : undefined;
}

/** Reads the stack's config; throws a one-line reason when it cannot. */
export function readStack(stack: string, dir: string): StackFacts {
    // --show-secrets: a model or region set with --secret is still the one to check; without it the
    // CLI leaves the value out and Pulumi.yaml's default would be checked instead. Nothing is printed.
    const listed = pulumi(["config", "--json", "--show-secrets", "--stack", stack], dir);
    if (!listed.ok) throw new Error(`could not read the stack's config (pulumi config --json --show-secrets --stack ${stack}): ${listed.stderr.trim()}`);
    const config = declaredDefaults(dir);
    for (const [key, entry] of Object.entries(JSON.parse(listed.stdout) as Record<string, CliConfigValue>)) {
        if (entry.value !== undefined) config[key.includes(":") ? key : `${PROJECT}:${key}`] = entry.value;
    }
    const region = stackRegion(config);
    if (!region) throw new Error(`stack ${stack} has no region: pulumi config set aws:region <region> --stack ${stack}`);
    const models = configuredModels(config[`${PROJECT}:modelId`] ?? "", parseModels(config[`${PROJECT}:models`] ?? "{}"));
    const reserved = Number(config[`${PROJECT}:reservedConcurrency`] ?? String(NO_RESERVATION));
    const output = pulumi(["stack", "output", "functionName", "--stack", stack], dir);
    return {
        stack,
        region,
        models,
        reservedConcurrency: reserved === NO_RESERVATION ? undefined : reserved,
        functionName: output.ok && output.stdout.trim() !== "" ? output.stdout.trim() : undefined,
        authType: config[`${PROJECT}:authType`] ?? "AWS_IAM",
        cognitoUserPoolArn: config[`${PROJECT}:cognitoUserPoolArn`] || undefined,
        promptParameters: ["systemPromptParameter", "chatSystemPromptParameter"]
            .map((key) => ({ key, name: config[`${PROJECT}:${key}`] ?? "" }))
            .filter(({ name }) => name !== ""),
    };
}
