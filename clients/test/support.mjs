// Shared fixtures: the offline stack (scripts/offline-stack: Bedrock emulator + cargo lambda watch +
// the handler binary), the playground binary, and headless Chromium from Debian's package driven by
// playwright-core (never a browser downloaded at run time).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

import { createParser } from "eventsource-parser";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where screenshots go (target/ is the build output folder, never committed). */
export const SHOTS = path.join(ROOT, "target/page-test");
/** The emulator's pace for these tests: a 60-word story takes about 6 s to stream. */
export const TOKEN_MS = 100;

/** Starts a process in its own group and resolves once a stdout line matches `ready`. */
function startUntil(command, args, env, ready, what) {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    return new Promise((resolve, reject) => {
        let buffered = "";
        const timer = setTimeout(() => reject(new Error(`${what} did not start within 300 s:\n${stderr}`)), 300_000);
        child.stdout.on("data", (chunk) => {
            buffered += chunk;
            const match = ready.exec(buffered);
            if (match) {
                clearTimeout(timer);
                resolve({ child, match, stderr: () => stderr });
            }
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`${what} exited (${code}) before it was ready:\n${stderr}`));
        });
    });
}

/** Stops a process group started by startUntil and waits for it to go. */
async function stopGroup(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    await exited;
}

/**
 * The offline stack with `env` for the handler (STREAMER_* settings). `url` is its Function URL;
 * `emulatorLog()` the emulator's per-request lines so far.
 */
export async function offlineStack(env = {}) {
    const { child, match } = await startUntil(
        "scripts/offline-stack",
        [],
        { OFFLINE_TOKEN_MS: String(TOKEN_MS), ...env },
        /offline stack: (\S+) emulator-log=(\S+)\n/,
        "the offline stack",
    );
    const [, url, log] = match;
    return {
        url,
        emulatorLog: () => fs.readFileSync(log, "utf8"),
        stop: () => stopGroup(child),
    };
}

/** bedrock-playground forwarding to `target`, signing with throwaway credentials; `log()` is its stderr so far. */
export async function playground(target) {
    const { child, match, stderr } = await startUntil(
        path.join(ROOT, "target/debug/bedrock-playground"),
        ["--port", "0", "--target", target],
        { AWS_ACCESS_KEY_ID: "AKIDPAGETEST", AWS_SECRET_ACCESS_KEY: "page-test", AWS_SESSION_TOKEN: "", AWS_REGION: "us-east-1", AWS_PROFILE: "" },
        /bedrock-playground listening on (\S+)\n/,
        "bedrock-playground",
    );
    return { url: match[1], log: stderr, stop: () => stopGroup(child) };
}

/** Headless Chromium with the flags this machine needs (no background traffic to Google), and `extraArgs`. */
export function launchChromium(extraArgs = []) {
    return chromium.launch({
        executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", ...extraArgs],
    });
}

/** Polls `check` every 50 ms until it returns something truthy or `ms` pass. */
export async function eventually(check, ms, what) {
    const until = Date.now() + ms;
    for (;;) {
        const value = await check();
        if (value) return value;
        if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/** Settings for the SSE client tests' stack: a token every 5 ms, so a story streams in well under a second. */
export const FAST_TOKENS = { OFFLINE_TOKEN_MS: "5", OFFLINE_FIRST_TOKEN_MS: "50" };

/** A counter of the Bedrock calls the stack's emulator has finished from now on (one log line each). */
export function bedrockCalls(stack) {
    const count = () => (stack.emulatorLog().match(/ fault=/g) ?? []).length;
    const before = count();
    return () => count() - before;
}

/** The events of a whole SSE body, parsed by eventsource-parser: `{ event, id, data }` with `data` as JSON. */
export function sseEvents(body) {
    const events = [];
    const parser = createParser({ onEvent: ({ event, id, data }) => events.push({ event, id, data: JSON.parse(data) }) });
    parser.feed(body);
    return events;
}

/**
 * The stack the OpenAI-compatible client tests drive: two aliases, `fast` (the default, a model
 * that does not think) and `clever` (a model that thinks by default, its reasoning shown), a
 * conversation system prompt of the stack's own, and the emulator at a token every 5 ms.
 */
export const CHAT_SETTINGS = {
    ...FAST_TOKENS,
    STREAMER_MODELS: JSON.stringify({
        fast: { modelId: "anthropic.claude-3-haiku-20240307-v1:0" },
        clever: { modelId: "us.anthropic.claude-haiku-5-5", reasoning: "show" },
    }),
    STREAMER_DEFAULT_MODEL: "fast",
    STREAMER_CHAT_SYSTEM_PROMPT: "You are the stack's assistant.",
};

/**
 * A three-turn conversation whose answer depends on the first turn: the last user message carries
 * the emulator's echo marker (`echo_conversation`, emulator/README.md), so the model answers with
 * every turn it was sent, each labelled with its role.
 */
export const CONVERSATION = [
    { role: "system", content: "Answer in one line." },
    { role: "user", content: "My name is Otto." },
    { role: "assistant", content: "Hello Otto." },
    { role: "user", content: "What is my name? echo_conversation" },
];

/** What the echo of CONVERSATION reads: the stack's system prompt first, the caller's after it, then the turns. */
export const ECHOED = "[system] You are the stack's assistant. Answer in one line. [user] My name is Otto. [assistant] Hello Otto. [user] What is my name? echo_conversation";

/** The emulator's reasoning and story about `subject` (emulator/src/story.rs), as a thinking model sends them. */
export const thought = (subject) => `The user wants a story about ${subject}.`;
export const storyOpening = (subject) => `Once upon a time there was a story about ${subject}.`;

/**
 * playground/tests/function_url_standin.py: a Function URL with AWS_IAM auth that checks each
 * request's SigV4 signature with botocore (403 when it does not check out) and forwards the
 * verified ones to `target`, streaming the answer back.
 */
export async function signatureCheckingStandIn(target, { accessKey, secretKey, region, sessionToken }) {
    const { child, match } = await startUntil(
        "python3",
        ["playground/tests/function_url_standin.py", "--forward", target, accessKey, secretKey, region, ...(sessionToken ? [sessionToken] : [])],
        {},
        /listening on (\S+)\n/,
        "the Function URL stand-in",
    );
    return { url: match[1], stop: () => stopGroup(child) };
}

/**
 * playground/tests/gateway_standin.py: a local stand-in for an API_KEY stack's API Gateway (a test
 * aid) that passes each request carrying `x-api-key: apiKey` on to `target` and refuses any other
 * 403 `api_key_required`; or, with `cognito` ([client id, username, password]), a COGNITO stack's,
 * admitting only an ID token it issued (InitiateAuth at `control`) in `Authorization`, else 401
 * `unauthorized`. `url` is its stage's URL (ends in /); `publicPage` serves the page (`GET /`)
 * without a key; `log()` is what reached it (`{requests: [{method, path, status, apiKey}]}`,
 * apiKey `match`, `other` or `none`).
 */
export async function gatewayStandIn(target, { apiKeyId, apiKey, cognito, publicPage = false }) {
    const kind = cognito ? ["--cognito", ...cognito] : ["--api-key", apiKeyId, apiKey];
    const { child, match } = await startUntil(
        "python3",
        ["playground/tests/gateway_standin.py", "--forward", target, ...kind, ...(publicPage ? ["--public-page"] : [])],
        {},
        /listening on (\S+) control (\S+)\n/,
        "the gateway stand-in",
    );
    const control = match[2];
    return { url: match[1], control, log: async () => (await fetch(control + "/log")).json(), stop: () => stopGroup(child) };
}
