// What an API_KEY or COGNITO stack needs from the account before Pulumi runs, which the preview
// cannot see. Access logs: a REST API stage can write them only when the account has told API
// Gateway, once per region, which IAM role to write CloudWatch Logs with ("Set up CloudWatch logging
// for REST APIs in API Gateway",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html, read 2026-12-07:
// "you must grant API Gateway permission to read and write logs to CloudWatch for your account",
// a role trusting apigateway.amazonaws.com with the AmazonAPIGatewayPushToCloudWatchLogs policy);
// without it the stage's update fails halfway through `pulumi up`. And a user pool named by
// cognitoUserPoolArn must exist.

import { isGatewayAuth, parseUserPoolArn } from "../settings";
import { type Aws, AwsError } from "./awsCli";
import { denied, error, type Finding, ok } from "./findings";
import type { StackFacts } from "./stack";

/** The IAM actions these checks need (API Gateway's actions are HTTP verbs on its own resource paths). */
export const GATEWAY_PREFLIGHT_ACTIONS = ["apigateway:GET", "cognito-idp:DescribeUserPool"] as const;

export function checkGateway(aws: Aws, stack: StackFacts): Finding[] {
    if (!isGatewayAuth(stack.authType)) return [];
    return [checkLogsRole(aws, stack), ...(stack.authType === "COGNITO" && stack.cognitoUserPoolArn ? [checkUserPool(aws, stack, stack.cognitoUserPoolArn)] : [])];
}

function checkLogsRole(aws: Aws, stack: StackFacts): Finding {
    const subject = `authType ${stack.authType}: the stage's access logs`;
    let role: string | undefined;
    try {
        role = (aws(["apigateway", "get-account", "--region", stack.region]) as { cloudwatchRoleArn?: string }).cloudwatchRoleArn;
    } catch (failure) {
        if (!(failure instanceof AwsError)) throw failure;
        if (failure.isAccessDenied) {
            return denied(`${subject}: the deploying identity may not call apigateway:GET on arn:aws:apigateway:${stack.region}::/account (${failure.code}: ${failure.message})`);
        }
        return error(`${subject}: could not read API Gateway's account settings in ${stack.region}: ${failure.message}`);
    }
    if (role) return ok(`${subject}: API Gateway writes CloudWatch Logs in ${stack.region} with ${role}`);
    return error(
        `${subject} need API Gateway's account-level CloudWatch Logs role in ${stack.region}, which this account has not set ` +
            `(aws apigateway get-account shows no cloudwatchRoleArn). Once per account and region: create a role that ` +
            `apigateway.amazonaws.com may assume, with the managed policy AmazonAPIGatewayPushToCloudWatchLogs, then ` +
            `aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role ARN> --region ${stack.region} ` +
            `(docs/deploy.md: The preflight)`,
    );
}

function checkUserPool(aws: Aws, stack: StackFacts, arn: string): Finding {
    const pool = parseUserPoolArn(arn);
    // The preview refuses a malformed ARN with its own line.
    if (pool === undefined) return error(`cognitoUserPoolArn ${arn} is not a user pool ARN`);
    try {
        const described = aws(["cognito-idp", "describe-user-pool", "--user-pool-id", pool.userPoolId, "--region", pool.region]) as { UserPool?: { Name?: string } };
        return ok(`cognitoUserPoolArn: the user pool ${pool.userPoolId} (${described.UserPool?.Name ?? "unnamed"}) exists in ${pool.region}`);
    } catch (failure) {
        if (!(failure instanceof AwsError)) throw failure;
        if (failure.isAccessDenied) return denied(`cognitoUserPoolArn ${arn}: ${failure.describe(pool.region)}`);
        if (failure.code === "ResourceNotFoundException") {
            return error(
                `cognitoUserPoolArn names the user pool ${pool.userPoolId}, which does not exist in ${pool.region} for this account: ` +
                    `check the ARN (aws cognito-idp list-user-pools --max-results 60 --region ${pool.region}), or set "" to let the stack create a pool ` +
                    `(pulumi config set cognitoUserPoolArn "" --stack ${stack.stack})`,
            );
        }
        return error(`cognitoUserPoolArn ${arn}: could not read the user pool: ${failure.message}`);
    }
}
