// Is each system prompt's Parameter Store parameter there, in the stack's region? The function
// reads it at cold start (handler/src/ssm.rs) and does not start without it, and the preview cannot
// ask AWS. `ssm get-parameter` without --with-decryption: a SecureString's value stays encrypted,
// and nothing of the answer but its type and version is printed.

import { type Aws, AwsError } from "./awsCli";
import { denied, error, type Finding, ok } from "./findings";
import type { StackFacts } from "./stack";

interface GetParameterAnswer {
    Parameter?: { Type?: string; Version?: number };
}

/** One finding per prompt parameter the stack names. */
export function checkPromptParameters(aws: Aws, stack: StackFacts): Finding[] {
    return stack.promptParameters.map(({ key, name }) => {
        try {
            const parameter = (aws(["ssm", "get-parameter", "--name", name, "--region", stack.region]) as GetParameterAnswer).Parameter ?? {};
            return ok(`${key} ${name}: a ${parameter.Type ?? "?"} parameter (version ${parameter.Version ?? "?"}) in ${stack.region}`);
        } catch (failure) {
            if (!(failure instanceof AwsError)) throw failure;
            if (failure.isAccessDenied) return denied(`${key} ${name}: ${failure.describe(stack.region)}`);
            if (failure.code === "ParameterNotFound") {
                return error(
                    `${key} ${name}: Parameter Store in ${stack.region} has no such parameter, and the function would not start without it: ` +
                        `create it (aws ssm put-parameter --name ${name} --type String --value file://<prompt file> --region ${stack.region}) ` +
                        `or name one that exists (docs/deploy.md: A long system prompt)`,
                );
            }
            return error(`${key} ${name}: could not read it in ${stack.region}: ${failure.message}`);
        }
    });
}
