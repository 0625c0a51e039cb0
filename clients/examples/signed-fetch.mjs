// A `fetch` that signs each request with SigV4 for service `lambda`, so any client that takes a
// `fetch` option (the `openai` package, the AI SDK's providers) can call a Function URL whose auth
// is AWS_IAM. docs/api.md shows it; clients/test/chat-sigv4.test.mjs proves it against a stand-in
// that checks every signature with botocore.

import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * `credentials`: `{ accessKeyId, secretAccessKey, sessionToken? }` or a provider returning them
 * (e.g. `fromNodeProviderChain()` of `@aws-sdk/credential-providers`); `region`: the function's.
 * Signs the method, path, query, `host`, `content-type` and the body's SHA-256
 * (`x-amz-content-sha256`); the other headers go out unsigned, so a client may add its own.
 */
export function signedFetch({ credentials, region, service = "lambda" }) {
    const signer = new SignatureV4({ credentials, region, service, sha256: Sha256 });
    return async (input, init = {}) => {
        const request = new Request(input, init);
        const url = new URL(request.url);
        const body = request.body ? await request.text() : undefined;
        const toSign = { host: url.host };
        const contentType = request.headers.get("content-type");
        if (contentType) toSign["content-type"] = contentType;
        const signed = await signer.sign({
            method: request.method,
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port ? Number(url.port) : undefined,
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            headers: toSign,
            body,
        });
        const headers = new Headers(request.headers);
        for (const [name, value] of Object.entries(signed.headers)) if (name !== "host") headers.set(name, value);
        return fetch(url, { method: request.method, headers, body, signal: request.signal });
    };
}
