// StreamingGateway: an API Gateway REST API that streams the function's answers
// (`responseTransferMode: STREAM`) to callers holding an API key (API_KEY) or a Cognito user pool
// ID token (COGNITO), checked by API Gateway before the function runs. One greedy `{proxy+}`
// resource and the root carry every route the function serves (`/`, `/models`, `/chat`,
// `/v1/chat/completions`, `/v1/models`); the function answers unknown paths itself (404/405).

import * as crypto from "node:crypto";

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { gatewayPreflight, gatewayRefusalCorsHeaders } from "./cors";
import { ACCESS_LOG_FORMAT, integrationTimeoutMs, STAGE_NAME, type StreamingGatewayArgs, streamingInvocationUri } from "./gatewayArgs";
import { gatewayRefusals, refusalBody } from "./gatewayResponses";
import { parseUserPoolArn } from "./settings";

/** The path of the greedy resource under the root: every path but `/` itself. */
export const PROXY_PATH = "{proxy+}";

export class StreamingGateway extends pulumi.ComponentResource {
    /** The stage's invoke URL ending in `/`: `https://<api id>.execute-api.<region>.amazonaws.com/live/`. */
    public readonly url: pulumi.Output<string>;
    public readonly restApiId: pulumi.Output<string>;
    /** The stage's access log: one JSON line per request, the gateway's refusals included. */
    public readonly accessLogGroupName: pulumi.Output<string>;
    /** API_KEY: key name → API key id (never the key's value). */
    public readonly apiKeyIds?: pulumi.Output<Record<string, string>>;
    /** COGNITO: the user pool the authorizer trusts, and the app client the tools sign in with. */
    public readonly userPoolId?: pulumi.Output<string>;
    public readonly userPoolClientId?: pulumi.Output<string>;

    constructor(name: string, args: StreamingGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bedrock-streamer:index:StreamingGateway", name, {}, opts);
        const parent = { parent: this };

        const api = new aws.apigateway.RestApi(
            name,
            {
                description: `bedrock-streamer (${args.authType}): streams the function's answers`,
                endpointConfiguration: { types: "REGIONAL" },
                // API_KEY callers send their key in x-api-key.
                apiKeySource: "HEADER",
            },
            parent,
        );
        const proxy = new aws.apigateway.Resource(`${name}-proxy`, { restApi: api.id, parentId: api.rootResourceId, pathPart: PROXY_PATH }, parent);
        const routes = [
            { key: "root", resourceId: api.rootResourceId },
            { key: "proxy", resourceId: proxy.id },
        ];

        let authorizer: aws.apigateway.Authorizer | undefined;
        if (args.authType === "COGNITO") {
            const pool = this.userPool(name, args);
            const client = new aws.cognito.UserPoolClient(
                `${name}-client`,
                {
                    userPoolId: pool.id,
                    // A public client (the tools, a browser): no secret, sign-in with a password,
                    // refreshable; a wrong user name answers like a wrong password.
                    generateSecret: false,
                    explicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    preventUserExistenceErrors: "ENABLED",
                },
                parent,
            );
            authorizer = new aws.apigateway.Authorizer(
                `${name}-cognito`,
                {
                    restApi: api.id,
                    type: "COGNITO_USER_POOLS",
                    providerArns: [pool.arn],
                    // The ID token, as `Authorization: <token>`.
                    identitySource: "method.request.header.Authorization",
                },
                parent,
            );
            this.userPoolId = pool.id;
            this.userPoolClientId = client.id;
        }

        const partition = pulumi.output(args.partition);
        const region = pulumi.output(args.region);
        const uri = pulumi.all([partition, region, args.functionArn]).apply(([p, r, arn]) => streamingInvocationUri(p, r, arn));
        const shaped: pulumi.Resource[] = [];
        const stream = (key: string, resourceId: pulumi.Input<string>, method: aws.apigateway.Method) =>
            new aws.apigateway.Integration(
                `${name}-${key}-stream`,
                {
                    restApi: api.id,
                    resourceId,
                    httpMethod: method.httpMethod,
                    type: "AWS_PROXY",
                    // Lambda's API is always called with POST, whatever the caller's method.
                    integrationHttpMethod: "POST",
                    uri,
                    responseTransferMode: "STREAM",
                    timeoutMilliseconds: integrationTimeoutMs(args.functionTimeoutSecs),
                },
                parent,
            );
        // What every method but the preflights (and API_KEY's page) requires: the key or the token.
        const authorized = {
            authorization: args.authType === "COGNITO" ? "COGNITO_USER_POOLS" : "NONE",
            authorizerId: authorizer?.id,
            apiKeyRequired: args.authType === "API_KEY",
        };
        for (const route of routes) {
            const method = new aws.apigateway.Method(
                `${name}-${route.key}-any`,
                { restApi: api.id, resourceId: route.resourceId, httpMethod: "ANY", ...authorized },
                parent,
            );
            shaped.push(method, stream(route.key, route.resourceId, method));
            if (args.corsAllowOrigins.length > 0) shaped.push(...this.preflight(name, route.key, api, route.resourceId, args.corsAllowOrigins));
        }

        // GET on the root, which API Gateway prefers to the root's ANY. The one method without a
        // key on an API_KEY stack serving the page: not {proxy+}, not /models; it reaches only the
        // static page (one short invocation, never Bedrock: the function answers GET / with the
        // page or a 405), under the stage's throttle like every method; the page's own requests send
        // the key. Elsewhere it asks what ANY asks. It is on every gateway stack so that a switch
        // (the page off, API_KEY to COGNITO) updates it before the new deployment snapshots the
        // API: Pulumi deletes what the program stops registering only after every create and
        // update, so a keyless method deleted that way would still be in the new deployment, and
        // in the stage until some later change redeployed it.
        const keylessPage = args.authType === "API_KEY" && args.page;
        const page = new aws.apigateway.Method(
            `${name}-root-get-page`,
            {
                restApi: api.id,
                resourceId: api.rootResourceId,
                httpMethod: "GET",
                ...(keylessPage ? { authorization: "NONE", apiKeyRequired: false } : authorized),
            },
            parent,
        );
        shaped.push(page, stream("root-get-page", api.rootResourceId, page));

        const refusals = gatewayRefusals(args.authType, args);
        const refusalCors = gatewayRefusalCorsHeaders(args.corsAllowOrigins);
        for (const refusal of refusals) {
            shaped.push(
                new aws.apigateway.Response(
                    `${name}-${refusal.responseType.toLowerCase().replaceAll("_", "-")}`,
                    {
                        restApiId: api.id,
                        responseType: refusal.responseType,
                        statusCode: refusal.statusCode === undefined ? undefined : String(refusal.statusCode),
                        responseTemplates: { "application/json": refusalBody(refusal) },
                        responseParameters: refusalCors,
                    },
                    parent,
                ),
            );
        }

        // A deployment is a snapshot: a new one whenever what the API answers changes (its auth,
        // timeout, CORS or refusals), or callers would keep meeting the old API.
        const shape = {
            authType: args.authType,
            timeoutMs: integrationTimeoutMs(args.functionTimeoutSecs),
            // ANY on each route and the root's GET, keyless or not.
            methods: { any: routes.map((r) => r.key), rootGet: keylessPage ? "keyless" : "authorized" },
            cors: args.corsAllowOrigins,
            refusals,
            pool: args.cognitoUserPoolArn ?? "",
        };
        const deployment = new aws.apigateway.Deployment(
            `${name}-deployment`,
            {
                restApi: api.id,
                description: "bedrock-streamer: redeployed when the API's shape changes",
                triggers: { shape: crypto.createHash("sha256").update(JSON.stringify(shape)).digest("hex") },
            },
            { parent: this, dependsOn: shaped },
        );

        const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: args.logRetentionDays }, parent);
        const stage = new aws.apigateway.Stage(
            `${name}-stage`,
            {
                restApi: api.id,
                deployment: deployment.id,
                stageName: STAGE_NAME,
                accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
            },
            parent,
        );
        // Every method of the stage: the whole API's throttle, all callers together.
        new aws.apigateway.MethodSettings(
            `${name}-throttle`,
            {
                restApi: api.id,
                stageName: stage.stageName,
                methodPath: "*/*",
                settings: { throttlingRateLimit: args.gatewayRateLimit, throttlingBurstLimit: args.gatewayBurstLimit },
            },
            parent,
        );

        // API Gateway may call InvokeWithResponseStream (lambda:InvokeFunction) for this API's
        // stage only: `<execution ARN>/<stage>/<method>/<path>`.
        new aws.lambda.Permission(
            `${name}-invoke`,
            {
                function: args.functionName,
                action: "lambda:InvokeFunction",
                principal: "apigateway.amazonaws.com",
                sourceArn: pulumi.interpolate`${api.executionArn}/${STAGE_NAME}/*/*`,
            },
            parent,
        );

        if (args.authType === "API_KEY") {
            const plan = new aws.apigateway.UsagePlan(
                `${name}-plan`,
                {
                    description: "bedrock-streamer: each API key's rate and daily quota",
                    apiStages: [{ apiId: api.id, stage: stage.stageName }],
                    throttleSettings: { rateLimit: args.usagePlanRateLimit, burstLimit: args.usagePlanBurstLimit },
                    quotaSettings: { limit: args.usagePlanQuotaPerDay, period: "DAY" },
                },
                parent,
            );
            const ids: Record<string, pulumi.Output<string>> = {};
            for (const keyName of args.apiKeyNames) {
                // No `value`: API Gateway generates it, and it stays in the provider's secret state.
                const key = new aws.apigateway.ApiKey(`${name}-key-${keyName}`, { description: `bedrock-streamer API key "${keyName}"`, enabled: true }, parent);
                new aws.apigateway.UsagePlanKey(`${name}-key-${keyName}`, { keyId: key.id, keyType: "API_KEY", usagePlanId: plan.id }, parent);
                ids[keyName] = key.id;
            }
            this.apiKeyIds = pulumi.output(ids);
        }

        this.restApiId = api.id;
        this.accessLogGroupName = accessLogs.name;
        this.url = pulumi.interpolate`${stage.invokeUrl}/`;
        this.registerOutputs({ url: this.url, restApiId: this.restApiId, accessLogGroupName: this.accessLogGroupName, apiKeyIds: this.apiKeyIds, userPoolId: this.userPoolId, userPoolClientId: this.userPoolClientId });
    }

    /** The pool named by `cognitoUserPoolArn`, or one the stack creates. */
    private userPool(name: string, args: StreamingGatewayArgs): { id: pulumi.Output<string>; arn: pulumi.Output<string> } {
        if (args.cognitoUserPoolArn !== undefined) {
            const named = parseUserPoolArn(args.cognitoUserPoolArn);
            if (named === undefined) throw new pulumi.RunError(`cognitoUserPoolArn ${args.cognitoUserPoolArn} is not a user pool ARN`);
            return { id: pulumi.output(named.userPoolId), arn: pulumi.output(args.cognitoUserPoolArn) };
        }
        const pool = new aws.cognito.UserPool(
            `${name}-users`,
            {
                // Only an administrator creates users (`aws cognito-idp admin-create-user`): an open
                // sign-up would let anyone on the internet spend the account's Bedrock tokens.
                adminCreateUserConfig: { allowAdminCreateUserOnly: true },
                // The cheapest feature plan; it has password sign-in, all the tools need.
                userPoolTier: "LITE",
                usernameAttributes: ["email"],
                autoVerifiedAttributes: ["email"],
                passwordPolicy: { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false, temporaryPasswordValidityDays: 7 },
                accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
            },
            { parent: this },
        );
        return { id: pool.id, arn: pool.arn };
    }

    /** OPTIONS on one resource, answered by API Gateway (MOCK): no key, no token, never the function. */
    private preflight(name: string, key: string, api: aws.apigateway.RestApi, resourceId: pulumi.Input<string>, allowOrigins: string[]): pulumi.Resource[] {
        const answer = gatewayPreflight(allowOrigins);
        const parent = { parent: this };
        const method = new aws.apigateway.Method(
            `${name}-${key}-options`,
            { restApi: api.id, resourceId, httpMethod: "OPTIONS", authorization: "NONE", apiKeyRequired: false },
            parent,
        );
        const integration = new aws.apigateway.Integration(
            `${name}-${key}-preflight`,
            {
                restApi: api.id,
                resourceId,
                httpMethod: method.httpMethod,
                type: "MOCK",
                requestTemplates: { "application/json": '{"statusCode": 204}' },
            },
            parent,
        );
        const declared = Object.fromEntries([...Object.keys(answer.headers), "method.response.header.Access-Control-Allow-Origin"].map((h) => [h, false]));
        const methodResponse = new aws.apigateway.MethodResponse(
            `${name}-${key}-preflight`,
            { restApi: api.id, resourceId, httpMethod: method.httpMethod, statusCode: "204", responseParameters: declared },
            parent,
        );
        const integrationResponse = new aws.apigateway.IntegrationResponse(
            `${name}-${key}-preflight`,
            {
                restApi: api.id,
                resourceId,
                httpMethod: method.httpMethod,
                statusCode: methodResponse.statusCode,
                responseParameters: answer.headers,
                responseTemplates: answer.template === "" ? undefined : { "application/json": answer.template },
            },
            { parent: this, dependsOn: [integration] },
        );
        return [method, integration, methodResponse, integrationResponse];
    }
}
