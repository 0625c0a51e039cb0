// Can the account give the stack's reservedConcurrency? Lambda refuses a reservation that would
// leave fewer than 100 unreserved concurrent executions (PutFunctionConcurrency API reference,
// https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html, read 2026-11-29:
// "as long as you leave at least 100 simultaneous executions unreserved"; accounts with a reduced
// quota have been seen answering with a lower floor, which this check does not guess, and which
// the skip switch covers), and new accounts start with a lower concurrency quota than 1,000, so the shipped
// stacks' small reservations can fail halfway through a first `pulumi up`. `lambda
// get-account-settings` reports the account's real unreserved count in the region (other functions'
// reservations included), which the provider's Service Quotas data source cannot.

import { type Aws, AwsError } from "./awsCli";
import { denied, error, type Finding, ok } from "./findings";
import type { StackFacts } from "./stack";

/** Lambda's floor of unreserved concurrent executions per account and region. */
export const MIN_UNRESERVED = 100;

/** Service Quotas code of Lambda's "Concurrent executions". */
export const CONCURRENCY_QUOTA = "L-B99A9384";

interface AccountSettings {
    AccountLimit?: { ConcurrentExecutions?: number; UnreservedConcurrentExecutions?: number };
}

export function checkConcurrency(aws: Aws, stack: StackFacts): Finding {
    const wanted = stack.reservedConcurrency;
    if (wanted === undefined) return ok("reservedConcurrency: none reserved (-1), the function shares the account's pool");
    const where = ["--region", stack.region];
    let limit: NonNullable<AccountSettings["AccountLimit"]>;
    let current: number;
    try {
        limit = (aws(["lambda", "get-account-settings", ...where]) as AccountSettings).AccountLimit ?? {};
        current = currentReservation(aws, stack);
    } catch (failure) {
        if (!(failure instanceof AwsError)) throw failure;
        if (failure.isAccessDenied) return denied(`reservedConcurrency ${wanted}: ${failure.describe(stack.region)}`);
        return error(`reservedConcurrency ${wanted}: could not read the account's Lambda concurrency in ${stack.region}: ${failure.message}`);
    }
    const total = limit.ConcurrentExecutions ?? 0;
    const unreserved = limit.UnreservedConcurrentExecutions ?? 0;
    const left = unreserved + current - wanted;
    if (left >= MIN_UNRESERVED) {
        return ok(`reservedConcurrency ${wanted}: leaves ${left} of the account's ${total} concurrent executions unreserved in ${stack.region}`);
    }
    const most = unreserved + current - MIN_UNRESERVED;
    return error(
        `reservedConcurrency ${wanted} would leave ${left} unreserved concurrent executions in ${stack.region} (account limit ${total}, ` +
            `${unreserved} unreserved now); Lambda keeps at least ${MIN_UNRESERVED} unreserved (PutFunctionConcurrency). ` +
            (most >= 1 ? `Reserve at most ${most} (pulumi config set reservedConcurrency ${most} --stack ${stack.stack}), or ask` : "Ask") +
            ` for a higher "Concurrent executions" quota (Service Quotas, AWS Lambda, ${CONCURRENCY_QUOTA}): aws service-quotas ` +
            `request-service-quota-increase --service-code lambda --quota-code ${CONCURRENCY_QUOTA} --desired-value ${total + MIN_UNRESERVED - left} --region ${stack.region}`,
    );
}

/** The deployed function's own reservation, which a redeploy gives back before taking the new one. */
function currentReservation(aws: Aws, stack: StackFacts): number {
    if (stack.functionName === undefined) return 0;
    try {
        const answer = aws(["lambda", "get-function-concurrency", "--function-name", stack.functionName, "--region", stack.region]);
        return (answer as { ReservedConcurrentExecutions?: number }).ReservedConcurrentExecutions ?? 0;
    } catch (failure) {
        if (failure instanceof AwsError && failure.code === "ResourceNotFoundException") return 0;
        throw failure;
    }
}
