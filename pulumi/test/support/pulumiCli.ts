// What the Pulumi CLI does with Pulumi.yaml and Pulumi.<stack>.yaml before the program runs, for
// tests that have no CLI: check stack values against the project's typed config, fill in the
// defaults, and hand every value to the program as text (objects and arrays as JSON), the way
// PULUMI_CONFIG carries them. Mirrors sdk/go/common/workspace (ValidateConfigValue, mergeConfig).

import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "yaml";

export const PROGRAM_DIR = path.resolve(__dirname, "../..");
export const PROJECT = "bedrock-streamer";

export interface ConfigDeclaration {
    type: "string" | "integer" | "boolean" | "array";
    items?: { type: ConfigDeclaration["type"] };
    default?: unknown;
    description?: string;
}

export interface Project {
    name: string;
    config: Record<string, ConfigDeclaration>;
}

export function loadProject(dir = PROGRAM_DIR): Project {
    return parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Project;
}

/** The `config:` block of Pulumi.<stack>.yaml, as written. */
export function loadStackFile(stack: string, dir = PROGRAM_DIR): Record<string, unknown> {
    const file = parse(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    return file.config ?? {};
}

function isScalar(value: unknown): value is string | number | boolean {
    return ["string", "number", "boolean"].includes(typeof value);
}

/**
 * The CLI's type check. A scalar in a stack file is read as text whatever YAML thinks it is, so any
 * scalar is a valid `string`; `integer` needs text that parses as one; arrays check their items
 * as JSON values (a number item is not a string).
 */
export function satisfiesType(declaration: Pick<ConfigDeclaration, "type" | "items">, value: unknown, fromStackFile: boolean): boolean {
    switch (declaration.type) {
        case "string":
            return fromStackFile ? isScalar(value) : typeof value === "string";
        case "integer":
            return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "array":
            return Array.isArray(value) && declaration.items !== undefined && value.every((item) => satisfiesType(declaration.items!, item, false));
    }
}

/** Problems `pulumi` would report for this stack's config (empty when the CLI accepts it). */
export function stackConfigProblems(stack: string, stackConfig: Record<string, unknown>, project = loadProject()): string[] {
    const problems: string[] = [];
    for (const [fullKey, value] of Object.entries(stackConfig)) {
        const [namespace, key] = fullKey.includes(":") ? fullKey.split(":", 2) : [project.name, fullKey];
        if (namespace !== project.name) continue;
        const declaration = project.config[key];
        if (declaration === undefined) {
            problems.push(`Stack '${stack}' uses configuration value '${fullKey}' which is not defined by the project configuration`);
        } else if (!satisfiesType(declaration, value, true)) {
            problems.push(`Stack '${stack}' with configuration key '${key}' must be of type '${declaration.type}'`);
        }
    }
    return problems;
}

function asConfigText(value: unknown): string {
    return isScalar(value) ? String(value) : JSON.stringify(value);
}

/**
 * The config a stack's program sees, as `pulumi up --stack <stack>` would pass it: Pulumi.yaml
 * defaults, then the stack file, then `overrides` (what `pulumi config set` would add). Throws
 * what the CLI would refuse.
 */
export function programConfig(stack: string, overrides: Record<string, unknown> = {}, project = loadProject()): Record<string, string> {
    const stackConfig: Record<string, unknown> = { ...loadStackFile(stack) };
    for (const [key, value] of Object.entries(overrides)) {
        stackConfig[key.includes(":") ? key : `${project.name}:${key}`] = value;
    }
    const problems = stackConfigProblems(stack, stackConfig, project);
    if (problems.length > 0) throw new Error(problems.join("\n"));
    const merged: Record<string, string> = {};
    for (const [key, declaration] of Object.entries(project.config)) {
        merged[`${project.name}:${key}`] = asConfigText(declaration.default);
    }
    for (const [key, value] of Object.entries(stackConfig)) {
        merged[key] = asConfigText(value);
    }
    return merged;
}
