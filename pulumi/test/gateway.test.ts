// authType API_KEY and COGNITO: the API Gateway REST API in front of the function, run through the
// real program (index.ts) under Pulumi's mocks, and every switch between two auth kinds.

import * as assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { GATEWAY_ALLOW_HEADERS } from "../cors";
import { MAX_STREAM_INTEGRATION_TIMEOUT_MS, STAGE_NAME } from "../gatewayArgs";
import { AUTH_TYPES, GATEWAY_DEFAULTS, invalidConfiguration, resourceProblems, RESOURCE_DEFAULTS, type ResourceSettings } from "../settings";
import { ACCOUNT_ID, GENERATED_KEY_PREFIX, type ProgramRun, type RegisteredResource, REST_API_ID, runProgram } from "./support/program";
import { programConfig } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

const API_KEY = "aws:apigateway/apiKey:ApiKey";
const AUTHORIZER = "aws:apigateway/authorizer:Authorizer";
const DEPLOYMENT = "aws:apigateway/deployment:Deployment";
const FUNCTION = "aws:lambda/function:Function";
const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";
const INTEGRATION = "aws:apigateway/integration:Integration";
const INTEGRATION_RESPONSE = "aws:apigateway/integrationResponse:IntegrationResponse";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const METHOD = "aws:apigateway/method:Method";
const METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings";
const PERMISSION = "aws:lambda/permission:Permission";
const RESOURCE = "aws:apigateway/resource:Resource";
const GATEWAY_RESPONSE = "aws:apigateway/response:Response";
const REST_API = "aws:apigateway/restApi:RestApi";
const STAGE = "aws:apigateway/stage:Stage";
const USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan";
const USAGE_PLAN_KEY = "aws:apigateway/usagePlanKey:UsagePlanKey";
const USER_POOL = "aws:cognito/userPool:UserPool";
const USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient";

const REGION = "us-east-1";
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:bedrock-streamer-4d5e6f7`;
const STREAMING_URI = `arn:aws:apigateway:${REGION}:lambda:path/2021-11-15/functions/${FUNCTION_ARN}/response-streaming-invocations`;
const EXISTING_POOL = `arn:aws:cognito-idp:${REGION}:${ACCOUNT_ID}:userpool/${REGION}_Ex1sting`;

const zip = packageStandIn();

/** The dev stack (us-east-1, reservedConcurrency 5, one CORS origin) with `overrides` set. */
function run(overrides: Record<string, unknown>): Promise<ProgramRun> {
    return runProgram("dev", programConfig("dev", { codeZip: zip, ...overrides }));
}

const ofType = (r: ProgramRun, type: string) => r.resources.filter((resource) => resource.type === type);

/** Every registered input as JSON text, secrets included as the engine gets them. */
const allInputs = (r: ProgramRun) => JSON.stringify(r.resources.map((resource) => resource.inputs));

/** A gateway response's body as a caller gets it, with API Gateway's `$context` variables filled in. */
function refusalBody(response: RegisteredResource): Record<string, unknown> {
    const template: string = response.inputs.responseTemplates["application/json"];
    const filled = template.replaceAll("$context.error.messageString", JSON.stringify("Forbidden")).replaceAll("$context.error.message", "Unauthorized");
    return JSON.parse(filled);
}

for (const authType of ["API_KEY", "COGNITO"] as const) {
    describe(`authType ${authType}: the REST API in front of the function`, () => {
        let r: ProgramRun;
        before(async () => {
            r = await run({ authType });
        });

        test("one REGIONAL REST API, its root and a greedy {proxy+} resource, so every route the function serves is covered", () => {
            assert.deepEqual(r.only(REST_API).inputs.endpointConfiguration, { types: "REGIONAL" });
            const proxy = r.only(RESOURCE);
            assert.equal(proxy.inputs.pathPart, "{proxy+}");
            assert.equal(proxy.inputs.parentId, "r00tr3s0ur");
            const any = ofType(r, METHOD).filter((m) => m.inputs.httpMethod === "ANY");
            assert.deepEqual(any.map((m) => m.inputs.resourceId).sort(), ["bedrock-streamer-api-proxy-id", "r00tr3s0ur"]);
        });

        test("the gateway is a StreamingGateway component inside the stack's component, every API Gateway and Cognito resource its child", () => {
            // The mock monitor names a resource's type after its parent's (`Parent$Child`), as URNs do.
            const typeChain = (urn: string) => urn.split("::")[2];
            const gateway = "bedrock-streamer:index:StreamingGateway";
            assert.ok(r.urns.some((urn) => typeChain(urn) === `bedrock-streamer:index:BedrockStreamer$${gateway}`), r.urns.join("\n"));
            const gatewayOwned = r.urns.filter((urn) => /\$aws:(apigateway|cognito)\/|::bedrock-streamer-api-/.test(urn));
            assert.ok(gatewayOwned.length >= 10, gatewayOwned.join("\n"));
            for (const urn of gatewayOwned) assert.ok(typeChain(urn).startsWith(`${gateway}$`), urn);
        });

        test("no Function URL and no public statement: nothing reaches the function but through the gateway", () => {
            assert.equal(ofType(r, FUNCTION_URL).length, 0);
            assert.deepEqual(ofType(r, PERMISSION).map((p) => p.inputs.principal), ["apigateway.amazonaws.com"]);
        });

        test(`every method is authorized but the CORS preflights${authType === "API_KEY" ? " and GET / (the page) alone" : ""}`, () => {
            const methods = ofType(r, METHOD);
            const open = methods.filter((m) => m.inputs.authorization === "NONE" && m.inputs.apiKeyRequired !== true);
            const where = (m: RegisteredResource) => `${m.inputs.httpMethod} ${m.inputs.resourceId}`;
            const expected = ["OPTIONS bedrock-streamer-api-proxy-id", "OPTIONS r00tr3s0ur", ...(authType === "API_KEY" ? ["GET r00tr3s0ur"] : [])];
            assert.deepEqual(open.map(where).sort(), expected.sort());
            for (const method of methods.filter((m) => !open.includes(m))) {
                if (authType === "API_KEY") {
                    assert.equal(method.inputs.apiKeyRequired, true, method.name);
                } else {
                    assert.equal(method.inputs.authorization, "COGNITO_USER_POOLS", method.name);
                    assert.equal(method.inputs.authorizerId, "bedrock-streamer-api-cognito-id", method.name);
                }
            }
        });

        test("every route streams: AWS_PROXY to InvokeWithResponseStream, STREAM mode, a timeout covering the function's", () => {
            const streaming = ofType(r, INTEGRATION).filter((i) => i.inputs.type !== "MOCK");
            // ANY on the root and on {proxy+}, and GET on the root (with API_KEY, the page's keyless one).
            assert.equal(streaming.length, 3);
            const timeoutSecs = Number(programConfig("dev")["bedrock-streamer:timeout"]);
            for (const integration of streaming) {
                assert.equal(integration.inputs.type, "AWS_PROXY");
                assert.equal(integration.inputs.integrationHttpMethod, "POST");
                assert.equal(integration.inputs.uri, STREAMING_URI);
                assert.equal(integration.inputs.responseTransferMode, "STREAM");
                assert.ok(integration.inputs.timeoutMilliseconds > timeoutSecs * 1000, `${integration.inputs.timeoutMilliseconds} ms`);
                assert.ok(integration.inputs.timeoutMilliseconds <= MAX_STREAM_INTEGRATION_TIMEOUT_MS);
            }
        });

        test("a 900 s function gets the 15-minute streaming maximum, not more", async () => {
            const long = await run({ authType, timeout: 900 });
            for (const integration of ofType(long, INTEGRATION).filter((i) => i.inputs.type === "AWS_PROXY")) {
                assert.equal(integration.inputs.timeoutMilliseconds, 900_000);
            }
        });

        test("API Gateway may invoke the function for this API's stage only", () => {
            const permission = r.only(PERMISSION);
            assert.equal(permission.inputs.action, "lambda:InvokeFunction");
            assert.equal(permission.inputs.principal, "apigateway.amazonaws.com");
            assert.equal(permission.inputs.sourceArn, `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${REST_API_ID}/${STAGE_NAME}/*/*`);
            assert.equal(permission.inputs.function, "bedrock-streamer-4d5e6f7");
        });

        test("a stage with JSON access logs in a group of its own, kept logRetentionDays, and the stage-wide throttle", () => {
            const stage = r.only(STAGE);
            assert.equal(stage.inputs.stageName, STAGE_NAME);
            const group = ofType(r, LOG_GROUP).find((g) => g.name === "bedrock-streamer-api-access-logs");
            assert.ok(group);
            assert.equal(group.inputs.retentionInDays, 7);
            assert.equal(stage.inputs.accessLogSettings.destinationArn, `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:bedrock-streamer-api-access-logs-8a9b0c1`);
            const format = JSON.parse(stage.inputs.accessLogSettings.format);
            assert.equal(format.requestId, "$context.requestId");
            assert.equal(format.status, "$context.status");
            const settings = r.only(METHOD_SETTINGS).inputs;
            assert.equal(settings.methodPath, "*/*");
            assert.equal(settings.settings.throttlingRateLimit, GATEWAY_DEFAULTS.gatewayRateLimit);
            assert.equal(settings.settings.throttlingBurstLimit, GATEWAY_DEFAULTS.gatewayBurstLimit);
        });

        test("a deployment that the API's shape redeploys (triggers)", () => {
            assert.match(r.only(DEPLOYMENT).inputs.triggers.shape, /^[0-9a-f]{64}$/);
        });

        test("url (and apiUrl) is the stage's invoke URL, ending in /", () => {
            const url = `https://${REST_API_ID}.execute-api.${REGION}.amazonaws.com/${STAGE_NAME}/`;
            assert.equal(r.outputs.url, url);
            assert.equal(r.outputs.apiUrl, url);
            assert.equal(r.outputs.authType, authType);
            assert.equal(r.outputs.accessLogGroupName, "bedrock-streamer-api-access-logs-8a9b0c1");
        });

        test("the gateway's refusals speak the function's JSON error shape, each with its code and the CORS header", () => {
            const expected: Record<string, [string | undefined, string]> = {
                THROTTLED: ["429", "throttled"],
                REQUEST_TOO_LARGE: ["413", "payload_too_large"],
                MISSING_AUTHENTICATION_TOKEN: ["404", "not_found"],
                INTEGRATION_TIMEOUT: ["504", "gateway_timeout"],
                DEFAULT_4XX: [undefined, "gateway_rejected"],
                DEFAULT_5XX: [undefined, "gateway_error"],
                ...(authType === "API_KEY"
                    ? { INVALID_API_KEY: ["403", "api_key_required"], QUOTA_EXCEEDED: ["429", "quota_exceeded"] }
                    : { UNAUTHORIZED: ["401", "unauthorized"], ACCESS_DENIED: ["403", "access_denied"] }),
            };
            const responses = ofType(r, GATEWAY_RESPONSE);
            assert.deepEqual(responses.map((g) => g.inputs.responseType).sort(), Object.keys(expected).sort());
            for (const response of responses) {
                const [status, code] = expected[response.inputs.responseType];
                assert.equal(response.inputs.statusCode, status, response.inputs.responseType);
                const body = refusalBody(response);
                assert.deepEqual(Object.keys(body), ["type", "code", "message"]);
                assert.equal(body.type, "error");
                assert.equal(body.code, code);
                assert.equal(typeof body.message, "string");
                assert.deepEqual(response.inputs.responseParameters, { "gatewayresponse.header.Access-Control-Allow-Origin": "'http://localhost:3000'" });
            }
        });

        test("preflights (OPTIONS) on the root and the proxy, answered by API Gateway (MOCK) without a key or token", () => {
            const options = ofType(r, METHOD).filter((m) => m.inputs.httpMethod === "OPTIONS");
            assert.equal(options.length, 2);
            for (const method of options) {
                assert.equal(method.inputs.authorization, "NONE");
                assert.equal(method.inputs.apiKeyRequired, false);
            }
            const mocks = ofType(r, INTEGRATION).filter((i) => i.inputs.type === "MOCK");
            assert.equal(mocks.length, 2);
            for (const answer of ofType(r, INTEGRATION_RESPONSE)) {
                const headers = answer.inputs.responseParameters;
                assert.equal(headers["method.response.header.Access-Control-Allow-Headers"], `'${GATEWAY_ALLOW_HEADERS.join(",")}'`);
                assert.ok(GATEWAY_ALLOW_HEADERS.includes("x-api-key") && GATEWAY_ALLOW_HEADERS.includes("authorization"));
                assert.equal(headers["method.response.header.Access-Control-Allow-Methods"], "'GET,POST,OPTIONS'");
                assert.match(answer.inputs.responseTemplates["application/json"], /\$origin == 'http:\/\/localhost:3000'/);
            }
        });

        test("never allows credentials (cookies), so * can never go with them", () => {
            assert.doesNotMatch(allInputs(r), /Allow-Credentials/i);
        });
    });
}

describe("API_KEY: GET / of the story page is the one keyless method, and only while the page is served", () => {
    test("page false: no keyless method but the preflights", async () => {
        const r = await run({ authType: "API_KEY", page: false });
        const open = ofType(r, METHOD).filter((m) => m.inputs.apiKeyRequired !== true);
        assert.deepEqual(open.map((m) => m.inputs.httpMethod), ["OPTIONS", "OPTIONS"]);
    });

    test("turning the page on or off redeploys the API", async () => {
        const on = await run({ authType: "API_KEY" });
        const off = await run({ authType: "API_KEY", page: false });
        assert.notEqual(on.only(DEPLOYMENT).inputs.triggers.shape, off.only(DEPLOYMENT).inputs.triggers.shape);
    });
});

describe("API_KEY: a usage plan and the keys", () => {
    let r: ProgramRun;
    before(async () => {
        r = await run({ authType: "API_KEY", usagePlanRateLimit: 7, usagePlanBurstLimit: 9, usagePlanQuotaPerDay: 123, apiKeyNames: ["web", "partner-a"] });
    });

    test("the usage plan's rate, burst and daily quota come from config, on this API's stage", () => {
        const plan = r.only(USAGE_PLAN).inputs;
        assert.deepEqual(plan.throttleSettings, { rateLimit: 7, burstLimit: 9 });
        assert.deepEqual(plan.quotaSettings, { limit: 123, period: "DAY" });
        assert.deepEqual(plan.apiStages, [{ apiId: REST_API_ID, stage: STAGE_NAME }]);
    });

    test("one key per name, each in the plan, its value left to API Gateway", () => {
        const keys = ofType(r, API_KEY);
        assert.deepEqual(keys.map((k) => k.name).sort(), ["bedrock-streamer-api-key-partner-a", "bedrock-streamer-api-key-web"]);
        for (const key of keys) assert.equal(key.inputs.value, undefined, key.name);
        const planKeys = ofType(r, USAGE_PLAN_KEY);
        assert.deepEqual(planKeys.map((k) => k.inputs.keyId).sort(), keys.map((k) => `${k.name}-id`).sort());
        for (const planKey of planKeys) assert.equal(planKey.inputs.usagePlanId, "bedrock-streamer-api-plan-id");
    });

    test("apiKeyIds names each key's id; no output, plain or secret, holds a key's value", () => {
        assert.deepEqual(r.outputs.apiKeyIds, { web: "bedrock-streamer-api-key-web-id", "partner-a": "bedrock-streamer-api-key-partner-a-id" });
        assert.doesNotMatch(JSON.stringify(r.outputs), new RegExp(GENERATED_KEY_PREFIX));
        assert.equal(r.outputs.userPoolId, undefined);
    });

    test("the refusals name the configured limits", () => {
        const quota = ofType(r, GATEWAY_RESPONSE).find((g) => g.inputs.responseType === "QUOTA_EXCEEDED");
        assert.ok(quota);
        assert.match(String(refusalBody(quota).message), /its 123 requests for today/);
    });
});

describe("what the preview warns about", () => {
    test("API_KEY without reservedConcurrency: the usage plan is best-effort, so nothing caps the streams", async () => {
        const r = await run({ authType: "API_KEY", reservedConcurrency: -1 });
        assert.deepEqual(
            r.warnings.filter((w) => w.startsWith("authType API_KEY")).map((w) => w.split(":")[0]),
            ["authType API_KEY without reservedConcurrency"],
        );
        assert.match(r.warnings.join("\n"), /best-effort basis, not as hard limits/);
    });

    test("API_KEY with a cap, and COGNITO, warn about nothing", async () => {
        assert.deepEqual((await run({ authType: "API_KEY" })).warnings, []);
        assert.deepEqual((await run({ authType: "COGNITO", reservedConcurrency: -1 })).warnings, []);
    });
});

describe("COGNITO: the user pool", () => {
    test("without cognitoUserPoolArn: a pool where only administrators create users, a client without secret for USER_PASSWORD_AUTH", async () => {
        const r = await run({ authType: "COGNITO" });
        const pool = r.only(USER_POOL).inputs;
        assert.deepEqual(pool.adminCreateUserConfig, { allowAdminCreateUserOnly: true });
        assert.equal(pool.userPoolTier, "LITE");
        const client = r.only(USER_POOL_CLIENT).inputs;
        assert.equal(client.generateSecret, false);
        assert.deepEqual(client.explicitAuthFlows, ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
        assert.equal(client.userPoolId, `${REGION}_Gen3rated`);
        const authorizer = r.only(AUTHORIZER).inputs;
        assert.equal(authorizer.type, "COGNITO_USER_POOLS");
        assert.deepEqual(authorizer.providerArns, [`arn:aws:cognito-idp:${REGION}:${ACCOUNT_ID}:userpool/${REGION}_Gen3rated`]);
        assert.equal(authorizer.identitySource, "method.request.header.Authorization");
        assert.equal(r.outputs.userPoolId, `${REGION}_Gen3rated`);
        assert.equal(r.outputs.userPoolClientId, "bedrock-streamer-api-client-id");
        assert.equal(r.outputs.apiKeyIds, undefined);
    });

    test("with cognitoUserPoolArn: that pool, no pool of the stack's own, and the stack's client in it", async () => {
        const r = await run({ authType: "COGNITO", cognitoUserPoolArn: EXISTING_POOL });
        assert.equal(ofType(r, USER_POOL).length, 0);
        assert.deepEqual(r.only(AUTHORIZER).inputs.providerArns, [EXISTING_POOL]);
        assert.equal(r.only(USER_POOL_CLIENT).inputs.userPoolId, `${REGION}_Ex1sting`);
        assert.equal(r.outputs.userPoolId, `${REGION}_Ex1sting`);
    });
});

describe("CORS on the gateway", () => {
    test("no corsAllowOrigins: no OPTIONS method, and the refusals carry no CORS header", async () => {
        const r = await run({ authType: "API_KEY", corsAllowOrigins: [] });
        assert.equal(ofType(r, METHOD).filter((m) => m.inputs.httpMethod === "OPTIONS").length, 0);
        for (const response of ofType(r, GATEWAY_RESPONSE)) assert.deepEqual(response.inputs.responseParameters, {});
    });

    test('"*": every origin, as a static header, with no template', async () => {
        const r = await run({ authType: "COGNITO", corsAllowOrigins: ["*"] });
        for (const answer of ofType(r, INTEGRATION_RESPONSE)) {
            assert.equal(answer.inputs.responseParameters["method.response.header.Access-Control-Allow-Origin"], "'*'");
            assert.equal(answer.inputs.responseTemplates, undefined);
        }
        for (const response of ofType(r, GATEWAY_RESPONSE)) {
            assert.equal(response.inputs.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"], "'*'");
        }
    });

    test("several origins: the preflight names the request's Origin only when listed; refusals echo it with Vary", async () => {
        const origins = ["https://a.example", "https://b.example:8443"];
        const r = await run({ authType: "API_KEY", corsAllowOrigins: origins });
        for (const answer of ofType(r, INTEGRATION_RESPONSE)) {
            const template: string = answer.inputs.responseTemplates["application/json"];
            assert.match(template, /#if\(\$origin == 'https:\/\/a\.example' \|\| \$origin == 'https:\/\/b\.example:8443'\)#set\(\$context\.responseOverride\.header\.Access-Control-Allow-Origin = \$origin\)#end/);
            assert.equal(answer.inputs.responseParameters["method.response.header.Vary"], "'Origin'");
        }
        for (const response of ofType(r, GATEWAY_RESPONSE)) {
            assert.deepEqual(response.inputs.responseParameters, {
                "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.origin",
                "gatewayresponse.header.Vary": "'Origin'",
            });
        }
    });
});

describe("CORS on the function's own answers", () => {
    // A proxied answer carries only the function's headers; a Function URL adds its own CORS
    // headers, which the function's would double.
    const origins = ["https://a.example", "http://localhost:3000"];
    const variables = (r: ProgramRun) => r.only(FUNCTION).inputs.environment.variables as Record<string, string>;

    for (const authType of ["API_KEY", "COGNITO"] as const) {
        test(`${authType}: the function gets STREAMER_CORS_ALLOW_ORIGINS, corsAllowOrigins comma-separated`, async () => {
            assert.equal(variables(await run({ authType, corsAllowOrigins: origins })).STREAMER_CORS_ALLOW_ORIGINS, origins.join(","));
            assert.equal(variables(await run({ authType, corsAllowOrigins: ["*"] })).STREAMER_CORS_ALLOW_ORIGINS, "*");
            assert.equal(variables(await run({ authType, corsAllowOrigins: [] })).STREAMER_CORS_ALLOW_ORIGINS, undefined);
        });
    }

    for (const authType of ["AWS_IAM", "NONE"] as const) {
        test(`${authType}: the Function URL's cors block has the origins, the function no variable`, async () => {
            const r = await run({ authType, corsAllowOrigins: origins });
            assert.deepEqual(r.only(FUNCTION_URL).inputs.cors.allowOrigins, origins);
            assert.equal(variables(r).STREAMER_CORS_ALLOW_ORIGINS, undefined);
        });
    }
});

describe("switching a stack between auth kinds (pulumi config set authType …; just deploy)", () => {
    // What each kind deploys: Pulumi deletes whatever the previous kind had and this one does not
    // register, so comparing the registered sets is comparing the stack before and after.
    const runs = new Map<string, ProgramRun>();
    const identity = (resource: RegisteredResource) => `${resource.type}::${resource.name}`;
    before(async () => {
        for (const authType of AUTH_TYPES) runs.set(authType, await run({ authType }));
    });

    /** What every gateway stack holds, whatever it was before: checked after each switch to one. */
    function assertGatewayInvariants(kind: "API_KEY" | "COGNITO", r: ProgramRun): void {
        for (const method of ofType(r, METHOD)) {
            const keyless = method.inputs.authorization === "NONE" && method.inputs.apiKeyRequired !== true;
            const allowed = method.inputs.httpMethod === "OPTIONS" || (kind === "API_KEY" && method.inputs.httpMethod === "GET" && method.inputs.resourceId === "r00tr3s0ur");
            assert.ok(!keyless || allowed, `${method.name} is open`);
        }
        for (const integration of ofType(r, INTEGRATION).filter((i) => i.inputs.type !== "MOCK")) {
            assert.equal(integration.inputs.uri, STREAMING_URI);
            assert.equal(integration.inputs.responseTransferMode, "STREAM");
        }
        assert.equal(r.only(PERMISSION).inputs.sourceArn, `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${REST_API_ID}/${STAGE_NAME}/*/*`);
        assert.ok(ofType(r, GATEWAY_RESPONSE).length >= 8);
        if (kind === "API_KEY") assert.deepEqual(r.only(USAGE_PLAN).inputs.throttleSettings, { rateLimit: GATEWAY_DEFAULTS.usagePlanRateLimit, burstLimit: GATEWAY_DEFAULTS.usagePlanBurstLimit });
        assert.doesNotMatch(JSON.stringify(r.outputs), new RegExp(GENERATED_KEY_PREFIX));
    }

    /** What must never be left in a stack of `kind`, whatever it was before. */
    function openings(kind: string, r: ProgramRun): string[] {
        const found: string[] = [];
        for (const permission of ofType(r, PERMISSION)) {
            if (permission.inputs.principal === "*" && kind !== "NONE") found.push(`public statement ${permission.inputs.statementId}`);
            if (permission.inputs.principal === "apigateway.amazonaws.com" && (kind === "AWS_IAM" || kind === "NONE")) found.push("API Gateway's permission");
        }
        if (ofType(r, FUNCTION_URL).length > 0 && (kind === "API_KEY" || kind === "COGNITO")) found.push("a Function URL");
        if (ofType(r, REST_API).length > 0 && (kind === "AWS_IAM" || kind === "NONE")) found.push("a REST API");
        if (ofType(r, API_KEY).length + ofType(r, USAGE_PLAN).length > 0 && kind !== "API_KEY") found.push("API keys");
        if (ofType(r, AUTHORIZER).length + ofType(r, USER_POOL).length + ofType(r, USER_POOL_CLIENT).length > 0 && kind !== "COGNITO") found.push("Cognito");
        return found;
    }

    for (const from of AUTH_TYPES) {
        for (const to of AUTH_TYPES) {
            if (from === to) continue;
            test(`${from} → ${to}: the same function, nothing of ${from} left open, and all ${to} needs`, () => {
                const before = runs.get(from)!;
                const after = runs.get(to)!;
                assert.deepEqual(openings(to, after), []);
                if (to === "API_KEY" || to === "COGNITO") {
                    assertGatewayInvariants(to, after);
                } else {
                    assert.equal(after.only(FUNCTION_URL).inputs.authorizationType, to);
                    assert.equal(ofType(after, PERMISSION).filter((p) => p.inputs.principal === "*").length, to === "NONE" ? 2 : 0);
                }
                // The function is updated in place, never replaced: same resource, same inputs but
                // the CORS origins, which only a gateway stack's function gets (the dev stack has one).
                const corsOf = (run: ProgramRun) => run.only(FUNCTION).inputs.environment.variables.STREAMER_CORS_ALLOW_ORIGINS;
                assert.equal(corsOf(after), to === "API_KEY" || to === "COGNITO" ? "http://localhost:3000" : undefined);
                const inputsButCors = (run: ProgramRun) => {
                    const { code: _code, environment, ...inputs } = run.only(FUNCTION).inputs;
                    const { STREAMER_CORS_ALLOW_ORIGINS: _cors, ...variables } = environment.variables;
                    return { ...inputs, variables };
                };
                assert.equal(after.only(FUNCTION).name, before.only(FUNCTION).name);
                assert.deepEqual(inputsButCors(after), inputsButCors(before));
                const kept = new Set(after.resources.map(identity));
                const removed = before.resources.map(identity).filter((id) => !kept.has(id));
                const mustGo = [
                    ...(from !== "NONE" ? [] : [`${PERMISSION}::bedrock-streamer-public-url`, `${PERMISSION}::bedrock-streamer-public-invoke`]),
                    ...((from === "AWS_IAM" || from === "NONE") && (to === "API_KEY" || to === "COGNITO") ? [`${FUNCTION_URL}::bedrock-streamer-url`] : []),
                    ...((from === "API_KEY" || from === "COGNITO") && (to === "AWS_IAM" || to === "NONE")
                        ? [`${REST_API}::bedrock-streamer-api`, `${PERMISSION}::bedrock-streamer-api-invoke`, `${STAGE}::bedrock-streamer-api-stage`]
                        : []),
                    ...(from === "API_KEY" ? [`${USAGE_PLAN}::bedrock-streamer-api-plan`, `${API_KEY}::bedrock-streamer-api-key-default`] : []),
                    ...(from === "COGNITO" ? [`${AUTHORIZER}::bedrock-streamer-api-cognito`, `${USER_POOL}::bedrock-streamer-api-users`] : []),
                ];
                for (const id of mustGo) assert.ok(removed.includes(id), `${id} is removed`);
            });
        }
    }

    test("API_KEY ↔ COGNITO keeps the REST API and redeploys it (the methods' auth changed)", () => {
        const apiKey = runs.get("API_KEY")!;
        const cognito = runs.get("COGNITO")!;
        assert.equal(apiKey.only(REST_API).name, cognito.only(REST_API).name);
        assert.notEqual(apiKey.only(DEPLOYMENT).inputs.triggers.shape, cognito.only(DEPLOYMENT).inputs.triggers.shape);
    });

    test("every gateway kind, page on or off, has the same methods but the preflights: a switch updates them before the new deployment", async () => {
        // A deployment snapshots the API's methods when it is created ("Create a deployment for a
        // REST API in API Gateway": a stage "represents a snapshot of the API, including methods,
        // integrations…", read 2026-12-07), and Pulumi deletes a resource the program no longer
        // registers only after every create and update: a method one kind has and another lacks
        // would still be in the new deployment, and the stage would keep serving it (keyless GET /
        // on a COGNITO stack) until some later change redeployed the API.
        const methods = (r: ProgramRun) =>
            ofType(r, METHOD)
                .filter((m) => m.inputs.httpMethod !== "OPTIONS")
                .map((m) => `${m.name} ${m.inputs.httpMethod} ${m.inputs.resourceId}`)
                .sort();
        const apiKey = methods(runs.get("API_KEY")!);
        assert.deepEqual(methods(runs.get("COGNITO")!), apiKey);
        assert.deepEqual(methods(await run({ authType: "API_KEY", page: false })), apiKey);
        assert.deepEqual(methods(await run({ authType: "COGNITO", page: false })), apiKey);
    });

    test("the same config deploys the same shape: no redeployment on an unrelated change", async () => {
        const again = await run({ authType: "API_KEY", maxTokens: 777 });
        assert.equal(again.only(DEPLOYMENT).inputs.triggers.shape, runs.get("API_KEY")!.only(DEPLOYMENT).inputs.triggers.shape);
    });
});

describe("the gateway's settings (settings.ts)", () => {
    const settings = (overrides: Partial<ResourceSettings>): ResourceSettings => ({ ...RESOURCE_DEFAULTS, region: REGION, ...overrides });

    test("authType names all four kinds when it is none of them", () => {
        assert.deepEqual(resourceProblems(settings({ authType: "KEY" as never })), ['authType must be AWS_IAM, NONE, API_KEY or COGNITO, got "KEY"']);
    });

    test("the defaults pass for both gateway kinds", () => {
        assert.deepEqual(resourceProblems(settings({ authType: "API_KEY" })), []);
        assert.deepEqual(resourceProblems(settings({ authType: "COGNITO" })), []);
    });

    test("API_KEY: limits within API Gateway's account throttle, a quota of at least 1, key names usable and unique", () => {
        assert.deepEqual(
            resourceProblems(
                settings({ authType: "API_KEY", usagePlanRateLimit: 0, usagePlanBurstLimit: 5001, usagePlanQuotaPerDay: 1.5, apiKeyNames: ["web", "web", "bad name"] }),
            ),
            [
                "usagePlanRateLimit must be a whole number of requests per second from 1 to 10000, got 0",
                "usagePlanBurstLimit must be a whole number of requests from 1 to 5000, got 5001",
                "usagePlanQuotaPerDay must be a whole number of requests from 1 to 2147483647, got 1.5",
                'apiKeyNames names "web" twice; each name is one key',
                `apiKeyNames entry "bad name" must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit`,
            ],
        );
        assert.match(resourceProblems(settings({ authType: "API_KEY", apiKeyNames: [] }))[0], /^apiKeyNames is empty/);
    });

    test("the usage plan's keys do not matter to other kinds", () => {
        assert.deepEqual(resourceProblems(settings({ authType: "COGNITO", apiKeyNames: [], usagePlanRateLimit: 0 })), []);
    });

    test("the stage's throttle is checked for both gateway kinds", () => {
        assert.deepEqual(resourceProblems(settings({ authType: "COGNITO", gatewayRateLimit: 20000, gatewayBurstLimit: 0 })), [
            "gatewayRateLimit must be a whole number of requests per second from 1 to 10000, got 20000",
            "gatewayBurstLimit must be a whole number of requests from 1 to 5000, got 0",
        ]);
    });

    test("COGNITO: cognitoUserPoolArn must be a user pool's ARN in the stack's region", () => {
        assert.match(resourceProblems(settings({ authType: "COGNITO", cognitoUserPoolArn: "us-east-1_abc" }))[0], /is not a user pool ARN/);
        assert.deepEqual(resourceProblems(settings({ authType: "COGNITO", cognitoUserPoolArn: EXISTING_POOL.replaceAll(REGION, "eu-west-1") })), [
            'cognitoUserPoolArn names a pool in eu-west-1, but the stack deploys to us-east-1: use a pool in us-east-1, or "" to let the stack create one',
        ]);
        assert.deepEqual(resourceProblems(settings({ authType: "COGNITO", cognitoUserPoolArn: EXISTING_POOL })), []);
    });

    test('"*" must stand alone on a gateway stack', () => {
        assert.match(resourceProblems(settings({ authType: "API_KEY", corsAllowOrigins: ["*", "https://a.example"] }))[0], /"\*" beside other origins/);
        assert.deepEqual(resourceProblems(settings({ authType: "API_KEY", corsAllowOrigins: ["*"] })), []);
    });

    test("a region without Function URLs is fine for a gateway stack, which has none", () => {
        assert.equal(resourceProblems(settings({ authType: "AWS_IAM", region: "eu-central-2" })).length, 1);
        assert.deepEqual(resourceProblems(settings({ authType: "API_KEY", region: "eu-central-2" })), []);
    });

    test("the preview stops with them all under one heading", async () => {
        await assert.rejects(run({ authType: "API_KEY", apiKeyNames: [] }), (error: Error) => {
            assert.ok(error.message.includes(invalidConfiguration(["apiKeyNames is empty"]).split("\n")[0]));
            assert.match(error.message, /apiKeyNames is empty/);
            return true;
        });
    });
});
