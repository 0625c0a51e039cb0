// The Pulumi CLI runs this TypeScript program with ts-node and the project's own `typescript`; if
// the install left it out (a production install with npm --omit=dev, yarn or pnpm), the CLI falls
// back to the TypeScript 3.8.3 it vendors, which rejects this tsconfig. So what compiles the program
// is a dependency, not a devDependency, and the program is loaded here the way the CLI loads it,
// not only through tsx as the other tests do. The preflight the deploy recipes run needs tsx and yaml
// on the same install, so they are dependencies too.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";

import { PROGRAM_DIR } from "./support/pulumiCli";
import { packageStandIn } from "./support/tempDir";

/** What the Pulumi CLI compiles the program with: the compiler, and the types tsconfig.json names. */
const COMPILE_TIME = ["typescript", "@types/node"];
/** What `just preview` and `just deploy` run before Pulumi: `node --import tsx preflight.ts`, which reads Pulumi.yaml with yaml. */
const PREFLIGHT_RUNTIME = ["tsx", "yaml"];

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(PROGRAM_DIR, file), "utf8"));

describe("a production install", () => {
    const manifest = readJson("package.json");
    const lock = readJson("package-lock.json");

    for (const name of [...COMPILE_TIME, ...PREFLIGHT_RUNTIME]) {
        test(`keeps ${name}: a dependency, which npm ci --omit=dev installs`, () => {
            assert.ok(manifest.dependencies?.[name], `${name} is in package.json's dependencies`);
            const locked = lock.packages[`node_modules/${name}`];
            assert.ok(locked, `${name} is in package-lock.json`);
            // npm marks what --omit=dev leaves out with dev (or devOptional: dev, and an optional peer elsewhere).
            for (const flag of ["dev", "devOptional", "optional", "peer"]) {
                assert.notEqual(locked[flag], true, `package-lock.json marks ${name} ${flag}`);
            }
        });
    }

    test("the TypeScript the CLI would fall back to without it (its vendored 3.8.3) rejects this tsconfig", () => {
        const vendored = require(path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "vendor/typescript@3.8.3/typescript.js"));
        const text = fs.readFileSync(path.join(PROGRAM_DIR, "tsconfig.json"), "utf8");
        const parsed = vendored.parseJsonConfigFileContent(vendored.parseConfigFileTextToJson("tsconfig.json", text).config, vendored.sys, PROGRAM_DIR);
        const messages = parsed.errors.map((e: { messageText: unknown }) => String(e.messageText));
        assert.ok(messages.some((m: string) => /'--module'|'--moduleResolution'/.test(m)), messages.join("\n"));
    });
});

test("the Pulumi CLI's loader (its ts-node, the project's typescript and tsconfig, type-checking) runs the program", () => {
    const zip = packageStandIn();
    const run = spawnSync(process.execPath, [path.join(__dirname, "support/loadLikePulumiCli.js"), "prod", zip], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const loaded = JSON.parse(run.stdout);
    assert.equal(loaded.typescript, readJson("node_modules/typescript/package.json").version, "the project's typescript, not the vendored 3.8.3");
    assert.match(loaded.outputs.url, /^https:\/\/.*\.lambda-url\.us-west-2\.on\.aws\/$/);
    assert.equal(loaded.outputs.authType, "AWS_IAM");
});
