// A system prompt longer than Lambda's 4 KB environment, through the real program (index.ts) under
// Pulumi's mocks: a prompt file packed into the function's zip next to bootstrap (which keeps its
// mode), a prompt parameter the role may read alone, nothing of either when the keys are unset, and
// the preview's refusals of a missing or oversized file and of two sources for one prompt.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { describe, test } from "node:test";

import { appendToZip } from "../codePackage";
import { ACCOUNT_ID, type ProgramRun, runProgram } from "./support/program";
import { programConfig } from "./support/pulumiCli";
import { tempDir } from "./support/tempDir";

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const FUNCTION = "aws:lambda/function:Function";

/** One entry of a zip's central directory: its name, Unix mode and contents. */
interface ZipEntry {
    name: string;
    mode: number;
    data: Buffer;
}

/** Reads a zip as Lambda unpacks it: every entry of its central directory (stored or deflated). */
function readZip(zip: Buffer): ZipEntry[] {
    const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const count = zip.readUInt16LE(end + 10);
    let at = zip.readUInt32LE(end + 16);
    const entries: ZipEntry[] = [];
    for (let i = 0; i < count; i++) {
        const method = zip.readUInt16LE(at + 10);
        const size = zip.readUInt32LE(at + 20);
        const nameLength = zip.readUInt16LE(at + 28);
        const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
        const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
        const local = zip.readUInt32LE(at + 42);
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const raw = zip.subarray(start, start + size);
        const data = method === 8 ? zlib.inflateRawSync(raw) : raw;
        assert.equal(zlib.crc32(data), zip.readUInt32LE(at + 16), `${name}: its CRC`);
        entries.push({ name, mode: zip.readUInt32LE(at + 38) >>> 16, data });
        at += 46 + skip;
    }
    return entries;
}

/** A package like `just build`'s: `bootstrap`, executable. */
function builtPackage(dir: string): string {
    const empty = Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]);
    const withBootstrap = appendToZip(empty, [{ name: "bootstrap", data: Buffer.from("\x7fELF…") }]);
    // appendToZip writes 0644; a built bootstrap is 0755 (its external attributes' high half).
    const central = withBootstrap.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    withBootstrap.writeUInt32LE((0o100755 << 16) >>> 0, central + 38);
    const zip = path.join(dir, "bootstrap.zip");
    fs.writeFileSync(zip, withBootstrap);
    return zip;
}

const dir = tempDir("bedrock-streamer-prompts-");
const zip = builtPackage(dir);
const LONG_PROMPT = "You tell stories for children, warmly and briefly. ".repeat(200);
const promptFile = path.join(dir, "story-prompt.txt");
fs.writeFileSync(promptFile, LONG_PROMPT);

function run(overrides: Record<string, unknown>): Promise<ProgramRun> {
    return runProgram("dev", programConfig("dev", { codeZip: zip, ...overrides }));
}

async function refusal(overrides: Record<string, unknown>): Promise<string> {
    try {
        await run(overrides);
    } catch (error) {
        return (error as Error).message;
    }
    assert.fail(`the program accepted ${JSON.stringify(overrides)}`);
}

const variables = (r: ProgramRun): Record<string, string> => r.only(FUNCTION).inputs.environment.variables;
/** The package the function is given: a FileArchive, whose path the SDK keeps as a promise. */
const codePath = (r: ProgramRun): Promise<string> => r.only(FUNCTION).inputs.code.path;
const parameterPolicies = (r: ProgramRun) =>
    r.resources
        .filter((resource) => resource.type === ROLE_POLICY)
        .map((p) => JSON.parse(p.inputs.policy))
        .filter((policy) => policy.Statement.some((s: { Action: string[] }) => s.Action.some((a) => a.startsWith("ssm:"))));

describe("a system prompt from a file in the package", () => {
    test("the file goes into the zip next to bootstrap, which keeps its mode, and the function is told its name", async () => {
        const r = await run({ systemPromptFile: promptFile, chatSystemPromptFile: promptFile });
        assert.notEqual(await codePath(r), zip, "a package of its own, beside the built one");
        const entries = readZip(fs.readFileSync(await codePath(r)));
        assert.deepEqual(
            entries.map(({ name, mode }) => [name, mode.toString(8)]),
            [
                ["bootstrap", "100755"],
                ["chat-system-prompt.txt", "100644"],
                ["system-prompt.txt", "100644"],
            ],
        );
        assert.equal(entries[2].data.toString("utf8"), LONG_PROMPT);
        assert.ok(Buffer.byteLength(LONG_PROMPT) > 4096, "a prompt the environment could not hold");
        const env = variables(r);
        assert.equal(env.STREAMER_SYSTEM_PROMPT_FILE, "system-prompt.txt");
        assert.equal(env.STREAMER_CHAT_SYSTEM_PROMPT_FILE, "chat-system-prompt.txt");
        assert.equal(env.STREAMER_SYSTEM_PROMPT, undefined);
        assert.deepEqual(parameterPolicies(r), [], "no SSM permission for a file");
    });

    test("the same inputs make the same package, so an unchanged prompt previews as no change", async () => {
        const first = fs.readFileSync(await codePath(await run({ systemPromptFile: promptFile })));
        const second = fs.readFileSync(await codePath(await run({ systemPromptFile: promptFile })));
        assert.ok(first.equals(second));
    });

    test("a relative path is taken from the project's folder, as codeZip is", async () => {
        const relative = path.relative(path.resolve(__dirname, ".."), promptFile);
        const r = await run({ systemPromptFile: relative });
        assert.equal(readZip(fs.readFileSync(await codePath(r))).find((e) => e.name === "system-prompt.txt")?.data.toString(), LONG_PROMPT);
    });
});

describe("a system prompt from a Parameter Store parameter", () => {
    test("the role may call ssm:GetParameter on that parameter's ARN alone, and the function is told its name", async () => {
        const r = await run({ systemPromptParameter: "/bedrock-streamer/story-prompt" });
        assert.deepEqual(parameterPolicies(r), [
            {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [`arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/bedrock-streamer/story-prompt`] }],
            },
        ]);
        assert.equal(variables(r).STREAMER_SYSTEM_PROMPT_PARAMETER, "/bedrock-streamer/story-prompt");
        assert.equal(await codePath(r), zip, "the package as built");
    });

    test("two prompts from parameters: one statement, both ARNs (an ARN as given)", async () => {
        const arn = `arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/shared/chat-prompt`;
        const r = await run({ systemPromptParameter: "story-prompt", chatSystemPromptParameter: arn });
        assert.deepEqual(parameterPolicies(r)[0].Statement[0].Resource, [`arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/story-prompt`, arn]);
        assert.equal(variables(r).STREAMER_CHAT_SYSTEM_PROMPT_PARAMETER, arn);
    });
});

describe("neither", () => {
    test("unset: the package as built, no SSM permission, no variable", async () => {
        const r = await run({});
        assert.equal(await codePath(r), zip);
        assert.deepEqual(parameterPolicies(r), []);
        const names = Object.keys(variables(r)).filter((name) => /_FILE$|_PARAMETER$/.test(name));
        assert.deepEqual(names, []);
    });
});

describe("the preview's refusals", () => {
    test("a missing file, one over the limit, two sources for one prompt, a parameter that is not one: one line each, naming the key", async () => {
        const missing = path.join(dir, "missing.txt");
        const long = path.join(dir, "long.txt");
        fs.writeFileSync(long, "a".repeat(100001));
        const message = await refusal({
            systemPromptFile: missing,
            chatSystemPromptFile: long,
        });
        assert.match(message, new RegExp(`- systemPromptFile: cannot read ${missing}: ENOENT`));
        assert.match(message, new RegExp(`- chatSystemPromptFile: ${long} holds 100001 characters, over the 100000 a system prompt may have`));

        const both = await refusal({ systemPrompt: "Be brief.", systemPromptParameter: "/p" });
        assert.match(
            both,
            /- systemPromptParameter: is set together with systemPrompt; the prompt comes from one of systemPrompt, systemPromptFile and systemPromptParameter: set one/,
        );
        const notOne = await refusal({ chatSystemPromptParameter: "prompts/chat" });
        assert.match(notOne, /- chatSystemPromptParameter: expected a Parameter Store parameter's name/);
    });

    test("a package the files cannot be added to (not a zip) stops the preview with one line", async () => {
        const notZip = path.join(dir, "not-a.zip");
        fs.writeFileSync(notZip, "");
        const message = await refusal({ codeZip: notZip, systemPromptFile: promptFile });
        assert.equal(message, `bedrock-streamer configuration is invalid:\n  - ${notZip} is not a zip file`);
    });

    test("a long systemPrompt over the 4 KB environment is told where a long prompt goes", async () => {
        const message = await refusal({ systemPrompt: LONG_PROMPT });
        assert.match(message, /over Lambda's 4096-byte limit; .*systemPromptFile.*systemPromptParameter/);
    });
});
