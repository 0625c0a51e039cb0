// The AWS CLI as the preflight uses it: one call, JSON out, and AWS's error code when it fails.
// The CLI (not the SDK) because it is what the deploy recipes already require, it resolves every
// credential source (profiles, SSO) the way the user's shell does, and tests replace it with a
// stand-in on PATH exactly as they do for the other recipes.

import { spawnSync } from "node:child_process";

/**
 * A failed call: AWS's error code (e.g. `ResourceNotFoundException`) when it sent one, its message,
 * and the IAM action the call needs (e.g. `bedrock:GetFoundationModel`: the CLI's service name and
 * operation, which for Bedrock's and Lambda's control planes are the action's prefix and name).
 */
export class AwsError extends Error {
    constructor(
        readonly code: string | undefined,
        message: string,
        readonly action?: string,
    ) {
        super(message);
    }

    /** The caller's identity may not make the call (an IAM or SCP denial), as opposed to a bad answer. */
    get isAccessDenied(): boolean {
        return this.code === "AccessDeniedException" || this.code === "AccessDenied";
    }

    /** One line for a finding: which permission is missing when denied, else AWS's own message. */
    describe(region: string): string {
        return this.isAccessDenied && this.action !== undefined
            ? `the deploying identity may not call ${this.action} in ${region} (${this.code}: ${this.message})`
            : this.message;
    }

    /** Bedrock's answer for an id it does not know in the region: not found, or an id it calls invalid. */
    get isNotFound(): boolean {
        return this.code === "ResourceNotFoundException" || this.code === "ValidationException";
    }
}

/** Runs one AWS CLI command; anything the caller reads from a response is typed by the caller. */
export type Aws = (args: string[]) => unknown;

/**
 * Runs `aws <args> --output json` with the pager off. Throws AwsError with the code from the CLI's
 * "An error occurred (<code>) when calling the <operation> operation: <message>" line.
 */
export const awsCli: Aws = (args) => {
    const run = spawnSync("aws", [...args, "--output", "json"], { encoding: "utf8", env: { ...process.env, AWS_PAGER: "" } });
    if (run.error) throw new AwsError(undefined, `the AWS CLI could not run: ${run.error.message}`);
    if (run.status !== 0) {
        const stderr = run.stderr.trim();
        const code = /An error occurred \(([A-Za-z]+)\)/.exec(stderr)?.[1];
        const operation = /when calling the (\w+) operation/.exec(stderr)?.[1];
        const message = stderr.replace(/^An error occurred \([A-Za-z]+\) when calling the \w+ operation: /, "") || `exit ${run.status}`;
        throw new AwsError(code, message, operation === undefined ? undefined : `${args[0]}:${operation}`);
    }
    return run.stdout.trim() === "" ? {} : JSON.parse(run.stdout);
};
