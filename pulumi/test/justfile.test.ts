// The justfile recipes and the program agree: `just build` leaves the package where the program
// reads it, and deploy/invoke/logs call the Pulumi CLI, the AWS CLI, cargo-lambda and curl the
// way the README says. Each test runs the real recipes, imported by a root justfile exactly as the
// repository's is, in a scratch copy of the layout, with stand-ins for those tools on PATH that
// record how they were called.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";

import { loadProject, PROGRAM_DIR } from "./support/pulumiCli";

const REPO = path.resolve(PROGRAM_DIR, "..");

function which(tool: string): string {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    assert.ok(found, `${tool} is on PATH`);
    return fs.realpathSync(found);
}

/** The just binary itself: `command -v just` may find a wrapper (pyenv's shim) that needs a full PATH. */
function justBinary(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "just-"));
    fs.writeFileSync(path.join(dir, "justfile"), "executable := just_executable()\n");
    const found = spawnSync("just", ["--justfile", path.join(dir, "justfile"), "--evaluate", "executable"], { encoding: "utf8" });
    assert.equal(found.status, 0, `just is on PATH: ${found.stderr}`);
    return found.stdout;
}

const JUST = justBinary();

const STANDINS: Record<string, string> = {
    pulumi: `
case "$1 \${2:-}" in
    "whoami "*) echo tester ;;
    "config get") echo "\${FAKE_ARCHITECTURE:-arm64}" ;;
    "stack output")
        case "\${3:-}" in
            url) echo "https://abc123.lambda-url.us-west-2.on.aws/" ;;
            authType) echo "\${FAKE_AUTH_TYPE:-AWS_IAM}" ;;
            region) echo us-west-2 ;;
            logGroupName) echo /aws/lambda/bedrock-streamer-dev ;;
            *) echo '{"url": "https://abc123.lambda-url.us-west-2.on.aws/"}' ;;
        esac ;;
esac`,
    aws: `
case "$1 \${2:-}" in
    "sts get-caller-identity") exit "\${FAKE_STS_EXIT:-0}" ;;
    "configure export-credentials")
        echo "export AWS_ACCESS_KEY_ID=AKIDFROMPROFILE"
        echo "export AWS_SECRET_ACCESS_KEY=secretfromprofile"
        echo "export AWS_SESSION_TOKEN=tokenfromprofile" ;;
esac`,
    // cargo-lambda writes <lambda-dir>/<binary>/bootstrap.zip (checked against cargo-lambda 1.9.2).
    cargo: `
if [ "$1 \${2:-}" = "lambda --version" ]; then [ -z "\${FAKE_NO_CARGO_LAMBDA:-}" ]; exit; fi
if [ "$1 \${2:-}" = "lambda build" ]; then
    previous=""
    for arg in "$@"; do
        case "$previous" in --lambda-dir) dir="$arg" ;; --bin) bin="$arg" ;; esac
        previous="$arg"
    done
    mkdir -p "$dir/$bin" && touch "$dir/$bin/bootstrap.zip"
fi`,
    curl: `
previous=""
for arg in "$@"; do [ "$previous" = "-D" ] && headers="$arg"; previous="$arg"; done
printf 'HTTP/1.1 %s X\\r\\ncontent-type: text/plain\\r\\n\\r\\n' "\${FAKE_HTTP_STATUS:-200}" > "$headers"
printf 'Once upon a time'`,
    npm: "",
};

/** A root justfile importing a copy of pulumi/deploy.just, the stand-ins, and a log of their calls. */
function workspace(omit: string[] = []): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "bedrock-streamer-just-"));
    fs.mkdirSync(path.join(root, "pulumi"));
    fs.writeFileSync(path.join(root, "justfile"), "import 'pulumi/deploy.just'\n");
    for (const file of ["deploy.just", "Pulumi.yaml"]) fs.copyFileSync(path.join(PROGRAM_DIR, file), path.join(root, "pulumi", file));
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    for (const [tool, body] of Object.entries(STANDINS)) {
        if (omit.includes(tool)) continue;
        const script = `#!${which("bash")}\nIFS=$'\\x1f'; echo "${tool}"$'\\x1e'"$PWD"$'\\x1e'"$*" >> "$STANDIN_LOG"\n${body}\n`;
        fs.writeFileSync(path.join(bin, tool), script, { mode: 0o755 });
    }
    // Only the system tools the recipes use, so a real pulumi or aws on this machine stays out.
    for (const tool of ["bash", "sh", "cat", "mkdir", "mktemp", "rm", "touch"]) fs.symlinkSync(which(tool), path.join(bin, tool));
    return root;
}

interface Call {
    tool: string;
    cwd: string;
    args: string[];
}

interface Result {
    status: number | null;
    stdout: string;
    stderr: string;
    calls: Call[];
}

function just(root: string, args: string[], env: Record<string, string> = {}): Result {
    const log = path.join(root, "calls.log");
    fs.writeFileSync(log, "");
    const run = spawnSync(JUST, ["--justfile", path.join(root, "justfile"), ...args], {
        encoding: "utf8",
        env: { PATH: path.join(root, "bin"), HOME: root, STANDIN_LOG: log, ...env },
    });
    const calls = fs
        .readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [tool, cwd, args] = line.split("\x1e");
            return { tool, cwd, args: args === "" ? [] : args.split("\x1f") };
        });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls };
}

/** The calls one tool received, as command lines. */
function commands(result: Result, tool: string): string[] {
    return result.calls.filter((c) => c.tool === tool).map((c) => c.args.join(" "));
}

const codeZipDefault = loadProject().config.codeZip.default as string;

describe("the package `just build` writes", () => {
    test("is the file the program reads by default (codeZip in Pulumi.yaml)", () => {
        const zip = spawnSync(JUST, ["--justfile", path.join(PROGRAM_DIR, "deploy.just"), "--evaluate", "lambda_zip"], { encoding: "utf8" });
        assert.equal(zip.status, 0, zip.stderr);
        assert.equal(zip.stdout, path.resolve(PROGRAM_DIR, codeZipDefault));
    });

    test("is named after the handler's binary", () => {
        const cargo = fs.readFileSync(path.join(REPO, "handler/Cargo.toml"), "utf8");
        const binary = /\[\[bin\]\]\s*name = "([^"]+)"/.exec(cargo);
        assert.ok(binary, "handler/Cargo.toml names its binary");
        assert.ok(codeZipDefault.endsWith(`/target/lambda/${binary[1]}/bootstrap.zip`), codeZipDefault);
    });

    test("arm64 by default: cargo lambda at the repository root, zip output, placed where the program reads it", () => {
        const root = workspace();
        const result = just(root, ["build"]);
        assert.equal(result.status, 0, result.stderr);
        const build = result.calls.find((c) => c.tool === "cargo" && c.args[1] === "build");
        assert.ok(build);
        assert.equal(build.cwd, root);
        assert.deepEqual(build.args, [
            "lambda", "build", "--release", "--arm64", "--output-format", "zip", "--bin", "bedrock-streamer",
            "--lambda-dir", path.join(root, "target/lambda"),
        ]);
        assert.ok(fs.existsSync(path.resolve(root, "pulumi", codeZipDefault)), "the program finds the package");
    });

    test("x86_64 on request", () => {
        const result = just(workspace(), ["build", "x86_64"]);
        assert.equal(result.status, 0, result.stderr);
        assert.ok(commands(result, "cargo").some((c) => c.includes("--x86-64")));
    });

    test("an unknown architecture fails before cargo runs", () => {
        const result = just(workspace(), ["build", "mips"]);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /unknown architecture 'mips': use arm64 or x86_64/);
        assert.deepEqual(commands(result, "cargo"), []);
    });

    test("without cargo-lambda it says how to get it", () => {
        const result = just(workspace(), ["build"], { FAKE_NO_CARGO_LAMBDA: "1" });
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /cargo-lambda is missing: pip install cargo-lambda/);
    });
});

describe("just deploy env", () => {
    test("installs the program's packages, selects or creates the stack, builds for its architecture, then runs pulumi up", () => {
        const root = workspace();
        const result = just(root, ["deploy", "dev", "--yes"], { FAKE_ARCHITECTURE: "x86_64" });
        assert.equal(result.status, 0, result.stderr);
        const steps = result.calls.map((c) => `${c.tool} ${c.args.join(" ")}`);
        assert.deepEqual(
            steps.filter((s) => !s.startsWith("pulumi whoami") && !s.startsWith("cargo lambda --version")),
            [
                "aws sts get-caller-identity",
                `npm ci --prefix ${path.join(root, "pulumi")}`,
                "pulumi stack select --create dev",
                "pulumi config get architecture --stack dev",
                `cargo lambda build --release --x86-64 --output-format zip --bin bedrock-streamer --lambda-dir ${path.join(root, "target/lambda")}`,
                "pulumi up --stack dev --yes",
            ],
        );
        for (const call of result.calls.filter((c) => c.tool === "pulumi" && c.args[0] !== "whoami")) {
            assert.equal(call.cwd, path.join(root, "pulumi"), call.args.join(" "));
        }
    });

    const missing: [string, string[], Record<string, string>, RegExp][] = [
        ["the Pulumi CLI", ["pulumi"], {}, /the Pulumi CLI is not installed; deploying needs it/],
        ["the AWS CLI", ["aws"], {}, /the AWS CLI is not installed/],
        ["AWS credentials", [], { FAKE_STS_EXIT: "255" }, /no usable AWS credentials: run aws sso login/],
    ];
    for (const [what, omit, env, message] of missing) {
        test(`fails early, saying so, without ${what}`, () => {
            const result = just(workspace(omit), ["deploy", "dev"], env);
            assert.notEqual(result.status, 0);
            assert.match(result.stderr, message);
            assert.deepEqual(commands(result, "cargo"), []);
            assert.ok(!commands(result, "pulumi").some((c) => c.startsWith("up")));
        });
    }
});

describe("the other stack recipes", () => {
    const cases: [string[], string, string][] = [
        [["preview", "prod"], "pulumi", "preview --stack prod"],
        [["destroy", "prod"], "pulumi", "destroy --stack prod"],
        [["outputs", "prod"], "pulumi", "stack output --stack prod"],
        [["logs", "dev"], "aws", "logs tail /aws/lambda/bedrock-streamer-dev --region us-west-2 --since 10m --follow --format short"],
    ];
    for (const [args, tool, command] of cases) {
        test(`just ${args.join(" ")} runs ${tool} ${command}`, () => {
            const result = just(workspace(), args);
            assert.equal(result.status, 0, result.stderr);
            assert.ok(commands(result, tool).includes(command), commands(result, tool).join("\n"));
        });
    }

    test("destroy fails early without AWS credentials", () => {
        const result = just(workspace(), ["destroy", "prod"], { FAKE_STS_EXIT: "255" });
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /no usable AWS credentials/);
    });
});

describe("just invoke env storyType", () => {
    const credentials = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secretexample" };
    const curl = (result: Result) => {
        const calls = result.calls.filter((c) => c.tool === "curl");
        assert.equal(calls.length, 1);
        return calls[0].args;
    };
    const header = (args: string[], name: string) => args.filter((a, i) => args[i - 1] === "-H" && a.toLowerCase().startsWith(`${name}:`));

    test("streams (curl -N) a POST of the storyType to the stack's url, signed for lambda in the stack's region", () => {
        const result = just(workspace(), ["invoke", "dev", "sea otters"], { ...credentials, AWS_SESSION_TOKEN: "sessiontoken" });
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /Once upon a time/);
        const args = curl(result);
        assert.ok(args.includes("-N"));
        assert.equal(args.at(-1), "https://abc123.lambda-url.us-west-2.on.aws/");
        assert.equal(args[args.indexOf("--data") + 1], '{"storyType":"sea otters"}');
        assert.equal(args[args.indexOf("--aws-sigv4") + 1], "aws:amz:us-west-2:lambda");
        assert.equal(args[args.indexOf("--user") + 1], "AKIDEXAMPLE:secretexample");
        assert.deepEqual(header(args, "x-amz-security-token"), ["x-amz-security-token: sessiontoken"]);
        assert.deepEqual(header(args, "accept"), ["accept: text/plain"]);
    });

    test("sends no session token header when there is no session token", () => {
        const args = curl(just(workspace(), ["invoke", "dev"], credentials));
        assert.deepEqual(header(args, "x-amz-security-token"), []);
        assert.equal(args[args.indexOf("--data") + 1], '{"storyType":"CATS"}');
    });

    test("takes credentials from the AWS CLI profile when the environment has none", () => {
        const args = curl(just(workspace(), ["invoke", "dev"]));
        assert.equal(args[args.indexOf("--user") + 1], "AKIDFROMPROFILE:secretfromprofile");
        assert.deepEqual(header(args, "x-amz-security-token"), ["x-amz-security-token: tokenfromprofile"]);
    });

    test("is unsigned when the stack's authType is NONE", () => {
        const args = curl(just(workspace(), ["invoke", "dev"], { ...credentials, FAKE_AUTH_TYPE: "NONE" }));
        assert.ok(!args.includes("--aws-sigv4"));
        assert.ok(!args.includes("--user"));
    });

    test("asks for NDJSON events on request", () => {
        const args = curl(just(workspace(), ["invoke", "dev", "CATS", "application/x-ndjson"], credentials));
        assert.deepEqual(header(args, "accept"), ["accept: application/x-ndjson"]);
    });

    test("an HTTP error fails the recipe and names the permissions a signed caller needs", () => {
        const result = just(workspace(), ["invoke", "dev"], { ...credentials, FAKE_HTTP_STATUS: "403" });
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /HTTP 403 from https:\/\/abc123/);
        assert.match(result.stderr, /lambda:InvokeFunctionUrl and lambda:InvokeFunction/);
    });

    test("fails early without the Pulumi CLI", () => {
        const result = just(workspace(["pulumi"]), ["invoke", "dev"], credentials);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /the Pulumi CLI is not installed/);
        assert.deepEqual(commands(result, "curl"), []);
    });
});
