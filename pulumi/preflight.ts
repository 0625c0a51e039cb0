// `just preview` and `just deploy` run this before Pulumi changes anything:
//     node --import tsx preflight.ts <stack>
// It checks that Lambda offers Function URLs in the stack's region (authType AWS_IAM, NONE), and, against the live account
// there, what Pulumi's preview cannot see: that every configured model is callable there today (not
// end of life, not Legacy without a warning, not a bare id of a profile-only model, not a profile
// from another geography; a warning where an alias asks for a service tier its model does not
// serve), that the account can give the stack's reservedConcurrency, for
// API_KEY and COGNITO what API Gateway needs (preflight/gateway.ts), and that each system prompt's
// Parameter Store parameter exists (preflight/promptParameters.ts). It prints one line per check and exits 1
// when any would make the deploy fail. BEDROCK_STREAMER_SKIP_PREFLIGHT=1 skips it, for accounts
// whose deploying identity cannot call the Bedrock or Lambda control plane. (Not a STREAMER_
// variable: the handler refuses unknown STREAMER_* variables, and `just dev` passes the shell's.)

import { functionUrlRegionProblem, isGatewayAuth } from "./settings";
import { awsCli } from "./preflight/awsCli";
import { checkConcurrency } from "./preflight/concurrency";
import { error, type Finding } from "./preflight/findings";
import { checkGateway, GATEWAY_PREFLIGHT_ACTIONS } from "./preflight/gateway";
import { checkPromptParameters } from "./preflight/promptParameters";
import { ModelCheck } from "./preflight/modelLifecycle";
import { checkServiceTiers } from "./preflight/serviceTier";
import { readStack } from "./preflight/stack";

const SKIP_VARIABLE = "BEDROCK_STREAMER_SKIP_PREFLIGHT";

/** Every call the checks make, as IAM actions: what the deploying identity needs to run them. */
const PREFLIGHT_ACTIONS = [
    "bedrock:GetFoundationModel",
    "bedrock:GetInferenceProfile",
    "bedrock:ListInferenceProfiles",
    "lambda:GetAccountSettings",
    "lambda:GetFunctionConcurrency",
    ...GATEWAY_PREFLIGHT_ACTIONS,
    "ssm:GetParameter",
] as const;

function main(stack: string | undefined): number {
    if (!stack) {
        console.error("usage: node --import tsx preflight.ts <stack>");
        return 2;
    }
    const skip = `skip the check with ${SKIP_VARIABLE}=1 (for accounts that cannot call the Bedrock and Lambda control plane)`;
    if (process.env[SKIP_VARIABLE] === "1") {
        console.error(`preflight: skipped (${SKIP_VARIABLE}=1): the models and reservedConcurrency of stack ${stack} are not checked`);
        return 0;
    }
    let findings: Finding[];
    let region: string;
    try {
        const facts = readStack(stack, __dirname);
        region = facts.region;
        const models = new ModelCheck(awsCli, stack, facts.region);
        // The program refuses such a region too, but `just deploy` would build for minutes before it ran.
        // API_KEY and COGNITO stacks have no Function URL.
        const urlRegion = isGatewayAuth(facts.authType) ? undefined : functionUrlRegionProblem(facts.region);
        findings = [
            ...(urlRegion === undefined ? [] : [error(urlRegion)]),
            ...facts.models.map((model) => models.check(model)),
            ...checkServiceTiers(facts.models),
            checkConcurrency(awsCli, facts),
            ...checkGateway(awsCli, facts),
            ...checkPromptParameters(awsCli, facts),
        ];
    } catch (failure) {
        console.error(`preflight: ${(failure as Error).message}\nerror: the preflight stopped before Pulumi ran; fix that, or ${skip}`);
        return 1;
    }
    // All on stderr, in order: a diagnostic report, like the recipes' other messages.
    console.error(`preflight: stack ${stack} in ${region}`);
    for (const finding of findings) console.error(`  ${finding.level.padEnd(7)} ${finding.message}`);
    const errors = findings.filter((f) => f.level === "error").length;
    if (errors === 0) return 0;
    if (findings.some((f) => f.denied)) {
        const actions = `${PREFLIGHT_ACTIONS.slice(0, -1).join(", ")} and ${PREFLIGHT_ACTIONS.at(-1)}`;
        console.error(`The deploying identity was denied a call the preflight makes: grant it ${actions} (read-only), or skip the check.`);
    }
    console.error(`error: the preflight stopped the ${stack} stack before Pulumi ran: ${errors} problem${errors === 1 ? "" : "s"} above. Fix ${errors === 1 ? "it" : "them"}, or ${skip}`);
    return 1;
}

process.exitCode = main(process.argv[2]);
