// The justfile recipes and the program agree: `just build` leaves the package where the program
// reads it, and deploy/invoke/logs call the Pulumi CLI, the AWS CLI, cargo-lambda and cargo the
// way docs/deploy.md says. Each test runs the real recipes, imported by a root justfile exactly as the
// repository's is, in a scratch copy of the layout, with stand-ins for those tools on PATH that
// record how they were called.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";

import { loadProject, PROGRAM_DIR } from "./support/pulumiCli";
import { tempDir } from "./support/tempDir";

const REPO = path.resolve(PROGRAM_DIR, "..");

function which(tool: string): string {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    assert.ok(found, `${tool} is on PATH`);
    return fs.realpathSync(found);
}

/** The just binary itself: `command -v just` may find a wrapper (pyenv's shim) that needs a full PATH. */
function justBinary(): string {
    const dir = tempDir("just-");
    fs.writeFileSync(path.join(dir, "justfile"), "executable := just_executable()\n");
    const found = spawnSync("just", ["--justfile", path.join(dir, "justfile"), "--evaluate", "executable"], { encoding: "utf8" });
    assert.equal(found.status, 0, `just is on PATH: ${found.stderr}`);
    return found.stdout;
}

const JUST = justBinary();

const STANDINS: Record<string, string> = {
    // The stack's config is $HOME/stack-config.json, in the shape of `pulumi config --json`.
    pulumi: `
case "$1 \${2:-}" in
    "whoami "*) echo tester ;;
    "config get") echo "\${FAKE_ARCHITECTURE:-arm64}" ;;
    "config --json")
        # Like the CLI, a secret's value is left out unless --show-secrets asks for it.
        show=""; for arg in "$@"; do [ "$arg" = --show-secrets ] && show=1; done
        if [ -n "$show" ]; then cat "$HOME/stack-config.json"
        else node -e 'const c = require(process.argv[1]); for (const e of Object.values(c)) if (e.secret) delete e.value; console.log(JSON.stringify(c))' "$HOME/stack-config.json"
        fi ;;
    "stack output")
        case "\${3:-}" in
            functionName)
                [ -n "\${FAKE_FUNCTION_NAME:-}" ] || { echo "error: current stack does not have output property 'functionName'" >&2; exit 255; }
                echo "$FAKE_FUNCTION_NAME" ;;
            url) echo "https://abc123.lambda-url.us-west-2.on.aws/" ;;
            authType) echo "\${FAKE_AUTH_TYPE:-AWS_IAM}" ;;
            apiKeyIds) ids='{"default": "a1b2c3d4e5"}'; echo "\${FAKE_API_KEY_IDS:-$ids}" ;;
            userPoolClientId) echo 4s5t6u7v8w9x0y1z2a3b4c5d6e ;;
            region) echo us-west-2 ;;
            logGroupName) echo bedrock-streamer-logs-8a9b0c1 ;;
            *) echo '{"url": "https://abc123.lambda-url.us-west-2.on.aws/"}' ;;
        esac ;;
esac`,
    // Bedrock answers from files under $HOME/aws/<region>/ (see `account`); a missing file is Bedrock's not-found.
    aws: `
region=""; previous=""
for arg in "$@"; do [ "$previous" = "--region" ] && region="$arg"; previous="$arg"; done
answer() {
    # FAKE_DENIED=<Operation>: the caller's identity may not call it (AWS's terse form, as under an SCP).
    if [ "\${FAKE_DENIED:-}" = "$2" ]; then
        echo "An error occurred (AccessDeniedException) when calling the $2 operation: Access denied" >&2
        exit 254
    fi
    if [ -f "$1.json" ]; then cat "$1.json"; exit 0; fi
    echo "An error occurred (ResourceNotFoundException) when calling the $2 operation: The requested resource was not found" >&2
    exit 254
}
case "$1 \${2:-}" in
    "bedrock get-foundation-model") answer "$HOME/aws/$region/foundation-model/$4" GetFoundationModel ;;
    "bedrock get-inference-profile") id="$4"; answer "$HOME/aws/$region/inference-profile/\${id//\\//%2F}" GetInferenceProfile ;;
    "bedrock list-inference-profiles") cat "$HOME/aws/$region/inference-profiles.json" ;;
    "lambda get-account-settings")
        [ "\${FAKE_DENIED:-}" = GetAccountSettings ] && { echo "An error occurred (AccessDeniedException) when calling the GetAccountSettings operation: Access denied" >&2; exit 254; }
        echo "{\\"AccountLimit\\": {\\"ConcurrentExecutions\\": \${FAKE_CONCURRENCY_LIMIT:-1000}, \\"UnreservedConcurrentExecutions\\": \${FAKE_UNRESERVED:-1000}}}" ;;
    "apigateway get-account")
        [ "\${FAKE_DENIED:-}" = GetAccount ] && { echo "An error occurred (AccessDeniedException) when calling the GetAccount operation: Access denied" >&2; exit 254; }
        # As the CLI prints it; cloudwatchRoleArn only once the account has set one.
        if [ -n "\${FAKE_APIGW_LOGS_ROLE:-}" ]; then printf '{"cloudwatchRoleArn": "%s", ' "$FAKE_APIGW_LOGS_ROLE"; else printf '{'; fi
        printf '"throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0}, "features": ["UsagePlans"], "apiKeyVersion": "4"}\n' ;;
    "cognito-idp describe-user-pool") answer "$HOME/aws/$region/user-pool/$4" DescribeUserPool ;;
    "ssm get-parameter")
        # Parameter Store answers from $HOME/aws/<region>/parameter/<name, / as %2F>.json (see \`parameter\`).
        name="$4"; file="$HOME/aws/$region/parameter/\${name//\\//%2F}.json"
        if [ -f "$file" ]; then cat "$file"; else echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; fi ;;
    "lambda get-function-concurrency") echo "{\\"ReservedConcurrentExecutions\\": \${FAKE_FUNCTION_RESERVED:-0}}" ;;
    "sts get-caller-identity") exit "\${FAKE_STS_EXIT:-0}" ;;
    "configure export-credentials")
        # What AWS CLI v2 prints with and without a usable profile (--format env-no-export).
        if [ -n "\${FAKE_NO_PROFILE:-}" ]; then
            echo "Unable to locate credentials. You can configure credentials by running \"aws configure\"." >&2
            exit 253
        fi
        [ "$4" = env ] && export=$'export '
        echo "\${export:-}AWS_ACCESS_KEY_ID=AKIDFROMPROFILE"
        echo "\${export:-}AWS_SECRET_ACCESS_KEY=secretfromprofile"
        echo "\${export:-}AWS_SESSION_TOKEN=tokenfromprofile"
        echo "\${export:-}AWS_CREDENTIAL_EXPIRATION=2026-11-29T18:00:00+00:00" ;;
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
fi
# \`cargo run … -- invoke …\`: answers as bedrock-playground invoke does (its own tests are
# playground/tests/signing.rs), and keeps the secret it was given, to show the recipe passes it on.
if [ "$1" = run ]; then
    printf '%s' "\${AWS_SECRET_ACCESS_KEY-}" > "$STANDIN_LOG.secret"
    echo "HTTP \${FAKE_HTTP_STATUS:-200}" >&2
    printf 'Once upon a time\n'
    [ "\${FAKE_HTTP_STATUS:-200}" -lt 400 ] || { echo "error: HTTP \${FAKE_HTTP_STATUS} from the stand-in" >&2; exit 1; }
fi`,
    // `npm ci --prefix DIR` installs the program's packages: here, the repository's own.
    npm: `[ "$1" = ci ] && ln -s "$PROGRAM_NODE_MODULES" "$3/node_modules"`,
};

/** A model as `bedrock get-foundation-model` describes it (its `modelDetails`). */
interface FoundationModel {
    inferenceTypesSupported: string[];
    modelLifecycle: { status: "ACTIVE" | "LEGACY"; legacyTime?: string; endOfLifeTime?: string };
}

/** What Bedrock offers in one region: foundation models by id, system-defined profiles by id. */
interface Region {
    models?: Record<string, FoundationModel>;
    profiles?: Record<string, string[]>;
}

const HAIKU_55 = "anthropic.claude-haiku-5-5";
const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0";
const US_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"];
const active = (inference = ["ON_DEMAND"]): FoundationModel => ({ inferenceTypesSupported: inference, modelLifecycle: { status: "ACTIVE" } });
/** Claude Haiku 5.5 as AWS offers it in a US region: only through the us. and global. profiles. */
const usRegion = (): Region => ({
    models: { [HAIKU_55]: active(["INFERENCE_PROFILE"]) },
    profiles: { [`us.${HAIKU_55}`]: US_REGIONS, [`global.${HAIKU_55}`]: [""] },
});

/** Writes what the stand-in `aws` answers: each region's models and system-defined profiles. */
function account(root: string, regions: Record<string, Region>): void {
    for (const [region, offer] of Object.entries(regions)) {
        const dir = path.join(root, "aws", region);
        fs.mkdirSync(path.join(dir, "foundation-model"), { recursive: true });
        fs.mkdirSync(path.join(dir, "inference-profile"), { recursive: true });
        for (const [id, details] of Object.entries(offer.models ?? {})) {
            fs.writeFileSync(path.join(dir, "foundation-model", `${id}.json`), JSON.stringify({ modelDetails: { modelId: id, ...details } }));
        }
        const profiles = Object.entries(offer.profiles ?? {}).map(([id, destinations]) => ({
            inferenceProfileId: id,
            inferenceProfileArn: `arn:aws:bedrock:${region}:123456789012:inference-profile/${id}`,
            status: "ACTIVE",
            type: "SYSTEM_DEFINED",
            models: destinations.map((to) => ({ modelArn: `arn:aws:bedrock:${to}::foundation-model/${id.split(".").slice(1).join(".")}` })),
        }));
        for (const profile of profiles) {
            fs.writeFileSync(path.join(dir, "inference-profile", `${profile.inferenceProfileId}.json`), JSON.stringify(profile));
        }
        fs.writeFileSync(path.join(dir, "inference-profiles.json"), JSON.stringify({ inferenceProfileSummaries: profiles }));
    }
}

/** Writes a Parameter Store parameter the stand-in `aws ssm get-parameter` answers, as the CLI prints it (value still encrypted for a SecureString). */
function parameter(root: string, region: string, name: string, type = "String"): void {
    const dir = path.join(root, "aws", region, "parameter");
    fs.mkdirSync(dir, { recursive: true });
    const answer = { Parameter: { Name: name, Type: type, Value: "AQICAHh…", Version: 3, ARN: `arn:aws:ssm:${region}:123456789012:parameter${name}`, DataType: "text" } };
    fs.writeFileSync(path.join(dir, `${name.replaceAll("/", "%2F")}.json`), JSON.stringify(answer));
}

/** Writes the stack's config as `pulumi config --json --show-secrets` lists it: every value as text. */
function stackConfig(root: string, values: Record<string, string>, secrets: string[] = []): void {
    const listed = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value, secret: secrets.includes(key) }]));
    fs.writeFileSync(path.join(root, "stack-config.json"), JSON.stringify(listed));
}

/** A root justfile importing a copy of pulumi/deploy.just, the stand-ins, and a log of their calls. */
function workspace(omit: string[] = []): string {
    const root = tempDir("bedrock-streamer-just-");
    fs.mkdirSync(path.join(root, "pulumi"));
    fs.writeFileSync(path.join(root, "justfile"), "import 'pulumi/deploy.just'\n");
    for (const file of ["deploy.just", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "preflight.ts", "settings.ts", "bedrockModels.ts", "policy.ts"]) {
        fs.copyFileSync(path.join(PROGRAM_DIR, file), path.join(root, "pulumi", file));
    }
    // settings.ts reads the handler's defaults from config/default.toml, beside pulumi/.
    fs.cpSync(path.join(PROGRAM_DIR, "..", "config"), path.join(root, "config"), { recursive: true });
    fs.cpSync(path.join(PROGRAM_DIR, "preflight"), path.join(root, "pulumi", "preflight"), { recursive: true });
    // A stack like the shipped prod one, in an account that offers its model.
    stackConfig(root, { "aws:region": "us-west-2", "bedrock-streamer:modelId": `us.${HAIKU_55}`, "bedrock-streamer:reservedConcurrency": "20" });
    account(root, { "us-west-2": usRegion() });
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    for (const [tool, body] of Object.entries(STANDINS)) {
        if (omit.includes(tool)) continue;
        const script = `#!${which("bash")}\nIFS=$'\\x1f'; echo "${tool}"$'\\x1e'"$PWD"$'\\x1e'"$*" >> "$STANDIN_LOG"\n${body}\n`;
        fs.writeFileSync(path.join(bin, tool), script, { mode: 0o755 });
    }
    // Only the system tools the recipes use, so a real pulumi or aws on this machine stays out.
    for (const tool of ["bash", "sh", "cat", "ln", "mkdir", "mktemp", "node", "rm", "touch"]) fs.symlinkSync(which(tool), path.join(bin, tool));
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
        env: { PATH: path.join(root, "bin"), HOME: root, STANDIN_LOG: log, PROGRAM_NODE_MODULES: path.join(PROGRAM_DIR, "node_modules"), ...env },
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

test("docs/deploy.md documents every recipe of deploy.just", () => {
    const listed = spawnSync(JUST, ["--justfile", path.join(PROGRAM_DIR, "deploy.just"), "--summary"], { encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    const readme = fs.readFileSync(path.join(REPO, "docs", "deploy.md"), "utf8");
    for (const recipe of listed.stdout.trim().split(/\s+/)) assert.ok(readme.includes(`just ${recipe}`), `docs/deploy.md names just ${recipe}`);
});

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
        assert.match(result.stderr, /cargo-lambda is missing: run \.\/just build \(it installs the pinned tools into \.venv\)/);
    });
});

describe("just deploy env", () => {
    test("installs the program's packages, selects or creates the stack, runs the preflight, builds for its architecture, then runs pulumi up", () => {
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
                "pulumi config --json --show-secrets --stack dev",
                "pulumi stack output functionName --stack dev",
                `aws bedrock get-inference-profile --inference-profile-identifier us.${HAIKU_55} --region us-west-2 --output json`,
                `aws bedrock get-foundation-model --model-identifier ${HAIKU_55} --region us-west-2 --output json`,
                "aws lambda get-account-settings --region us-west-2 --output json",
                "pulumi config get architecture --stack dev",
                `cargo lambda build --release --x86-64 --output-format zip --bin bedrock-streamer --lambda-dir ${path.join(root, "target/lambda")}`,
                "pulumi up --stack dev --yes",
            ],
        );
        for (const call of result.calls.filter((c) => c.tool === "pulumi" && c.args[0] !== "whoami")) {
            assert.equal(call.cwd, path.join(root, "pulumi"), call.args.join(" "));
        }
    });

    for (const recipe of ["deploy", "preview"]) {
        test(`just ${recipe} of a stack with no Pulumi.<env>.yaml (a typo) stops before Pulumi creates it, naming the stacks here`, () => {
            const result = just(workspace(), [recipe, "prdo"]);
            assert.notEqual(result.status, 0);
            assert.match(result.stderr, /no stack 'prdo' here: pulumi\/Pulumi\.prdo\.yaml does not exist \(stacks here: dev prod\)/);
            assert.match(result.stderr, /pulumi stack init prdo && pulumi config set aws:region/);
            assert.deepEqual(commands(result, "pulumi").filter((c) => !c.startsWith("whoami")), []);
            assert.deepEqual(commands(result, "cargo"), []);
        });
    }

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

describe("the preflight: every configured model and the concurrency, checked against the account before Pulumi runs", () => {
    const SKIP = "BEDROCK_STREAMER_SKIP_PREFLIGHT";
    /** A prod-like stack (us-west-2) with these config values, in an account offering `regions`. */
    const stack = (values: Record<string, string>, regions: Record<string, Region> = { "us-west-2": usRegion() }, secrets: string[] = []) => {
        const root = workspace();
        stackConfig(root, { "aws:region": "us-west-2", "bedrock-streamer:reservedConcurrency": "20", ...values }, secrets);
        account(root, regions);
        return root;
    };
    const pulumiRan = (result: Result) => commands(result, "pulumi").some((c) => /^(preview|up)\b/.test(c));

    /** The recipe stopped before Pulumi or cargo ran, saying `message` and naming the skip switch. */
    const assertStopped = (result: Result, message: RegExp) => {
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, message);
        assert.match(result.stderr, new RegExp(`skip the check with ${SKIP}=1`));
        assert.ok(!pulumiRan(result), commands(result, "pulumi").join("\n"));
        assert.deepEqual(commands(result, "cargo"), []);
    };

    test("an Active model behind a us. profile: one ok line, then pulumi preview", () => {
        const result = just(stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}` }), ["preview", "prod"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /preflight: stack prod in us-west-2/);
        assert.match(result.stderr, /ok +modelId us\.anthropic\.claude-haiku-5-5: an active inference profile in us-west-2, routing to anthropic\.claude-haiku-5-5 Active/);
        assert.ok(commands(result, "pulumi").includes("preview --stack prod"));
    });

    test("a system prompt's Parameter Store parameter: there, an ok line; missing, the deploy stops before Pulumi with how to create it", () => {
        const root = stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}`, "bedrock-streamer:systemPromptParameter": "/bedrock-streamer/story-prompt" });
        parameter(root, "us-west-2", "/bedrock-streamer/story-prompt", "SecureString");
        const found = just(root, ["preview", "prod"]);
        assert.equal(found.status, 0, found.stderr);
        assert.match(found.stderr, /ok +systemPromptParameter \/bedrock-streamer\/story-prompt: a SecureString parameter \(version 3\) in us-west-2/);
        assert.ok(commands(found, "aws").some((c) => c.startsWith("ssm get-parameter --name /bedrock-streamer/story-prompt --region us-west-2")), "never --with-decryption");
        assert.ok(!commands(found, "aws").some((c) => c.includes("--with-decryption")));

        const missing = just(stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}`, "bedrock-streamer:chatSystemPromptParameter": "chat-prompt" }), ["preview", "prod"]);
        assertStopped(missing, /chatSystemPromptParameter chat-prompt: Parameter Store in us-west-2 has no such parameter, and the function would not start without it/);
        assert.match(missing.stderr, /aws ssm put-parameter --name chat-prompt --type String --value file:\/\/<prompt file> --region us-west-2/);
    });

    test("a Legacy model: a warning with its dates, and the deploy goes on", () => {
        const old: FoundationModel = {
            inferenceTypesSupported: ["ON_DEMAND"],
            modelLifecycle: { status: "LEGACY", legacyTime: "2026-06-01T00:00:00Z", endOfLifeTime: "2099-01-01T00:00:00Z" },
        };
        const root = stack({ "bedrock-streamer:models": JSON.stringify({ stories: { modelId: "anthropic.claude-old-v1:0" } }) }, {
            "us-west-2": { models: { "anthropic.claude-old-v1:0": old } },
        });
        const result = just(root, ["deploy", "prod", "--yes"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(
            result.stderr,
            /warning models\.stories\.modelId anthropic\.claude-old-v1:0: Legacy in us-west-2 since 2026-06-01; it reaches end of life on 2099-01-01\. Move to a newer model/,
        );
        assert.ok(commands(result, "pulumi").includes("up --stack prod --yes"));
    });

    test("an end-of-life model (Legacy with a past end date) stops the deploy with the fix", () => {
        const eol: FoundationModel = {
            inferenceTypesSupported: ["ON_DEMAND"],
            modelLifecycle: { status: "LEGACY", legacyTime: "2026-03-10T00:00:00Z", endOfLifeTime: "2026-09-10T00:00:00Z" },
        };
        const root = stack({ "aws:region": "us-east-1", "bedrock-streamer:modelId": HAIKU_3 }, { "us-east-1": { models: { [HAIKU_3]: eol } } });
        const result = just(root, ["deploy", "dev"]);
        assertStopped(result, /modelId anthropic\.claude-3-haiku-20240307-v1:0: reached end of life in us-east-1 on 2026-09-10/);
        assert.match(result.stderr, /pulumi config set modelId <model or profile id> --stack dev \(docs\/deploy.md: Choose a model\)/);
    });

    test("a model Bedrock does not know in the region (end of life, never offered, or a typo) stops it", () => {
        const result = just(stack({ "bedrock-streamer:modelId": "anthropic.claude-3-5-haiku-20241022-v1:0" }), ["preview", "prod"]);
        assertStopped(result, /modelId anthropic\.claude-3-5-haiku-20241022-v1:0: Bedrock in us-west-2 does not know this model/);
    });

    test("the bare id of a model offered only through inference profiles stops it, naming the profiles to use", () => {
        const result = just(stack({ "bedrock-streamer:modelId": HAIKU_55 }), ["preview", "prod"]);
        assertStopped(
            result,
            /modelId anthropic\.claude-haiku-5-5: Bedrock in us-west-2 offers this model only through the inference profiles us\.anthropic\.claude-haiku-5-5, global\.anthropic\.claude-haiku-5-5/,
        );
        assert.match(result.stderr, /Set one: pulumi config set modelId us\.anthropic\.claude-haiku-5-5 --stack prod/);
    });

    test("a profile of another geography (eu. from us-west-2) stops it, naming the profiles this region has", () => {
        const result = just(stack({ "bedrock-streamer:modelId": `eu.${HAIKU_55}` }), ["preview", "prod"]);
        assertStopped(result, /modelId eu\.anthropic\.claude-haiku-5-5: no such inference profile can be called from us-west-2/);
        assert.match(result.stderr, /Profiles for the same model here: us\.anthropic\.claude-haiku-5-5, global\.anthropic\.claude-haiku-5-5/);
    });

    test("every alias of models is checked, each named by its key", () => {
        const models = { fast: { modelId: `us.${HAIKU_55}` }, old: { modelId: HAIKU_3 } };
        const result = just(stack({ "bedrock-streamer:models": JSON.stringify(models) }), ["preview", "prod"]);
        assert.match(result.stderr, /ok +models\.fast\.modelId us\.anthropic\.claude-haiku-5-5/);
        assertStopped(result, /models\.old\.modelId anthropic\.claude-3-haiku-20240307-v1:0: Bedrock in us-west-2 does not know this model/);
        assert.match(result.stderr, /change models\.old\.modelId to <model or profile id> in pulumi config set models '…' --stack prod/);
    });

    test("a reservedConcurrency that would leave fewer than 100 unreserved stops it, saying what to reserve or request", () => {
        const result = just(stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}` }), ["deploy", "prod"], { FAKE_CONCURRENCY_LIMIT: "110", FAKE_UNRESERVED: "110" });
        assertStopped(result, /reservedConcurrency 20 would leave 90 unreserved concurrent executions in us-west-2 \(account limit 110, 110 unreserved now\); Lambda keeps at least 100 unreserved/);
        assert.match(result.stderr, /Reserve at most 10 \(pulumi config set reservedConcurrency 10 --stack prod\)/);
        assert.match(result.stderr, /--service-code lambda --quota-code L-B99A9384 --desired-value 120 --region us-west-2/);
    });

    test("a redeploy counts the function's own reservation as given back", () => {
        const env = { FAKE_CONCURRENCY_LIMIT: "120", FAKE_UNRESERVED: "100", FAKE_FUNCTION_NAME: "bedrock-streamer-4d5e6f7", FAKE_FUNCTION_RESERVED: "20" };
        const result = just(stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}` }), ["preview", "prod"], env);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /ok +reservedConcurrency 20: leaves 100 of the account's 120 concurrent executions unreserved/);
        assert.ok(commands(result, "aws").includes("lambda get-function-concurrency --function-name bedrock-streamer-4d5e6f7 --region us-west-2 --output json"));
    });

    test("an identity that may not call GetFoundationModel stops it, naming the permission it lacks and the skip switch", () => {
        const result = just(stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}` }), ["preview", "prod"], { FAKE_DENIED: "GetFoundationModel" });
        assertStopped(result, /modelId us\.anthropic\.claude-haiku-5-5: the deploying identity may not call bedrock:GetFoundationModel in us-west-2 \(AccessDeniedException: Access denied\)/);
        assert.match(
            result.stderr,
            /grant it bedrock:GetFoundationModel, bedrock:GetInferenceProfile, bedrock:ListInferenceProfiles, lambda:GetAccountSettings, lambda:GetFunctionConcurrency, apigateway:GET, cognito-idp:DescribeUserPool and ssm:GetParameter/,
        );
        assert.doesNotMatch(result.stderr, /^\s+at /m);
    });

    test("an identity that may not read Lambda's account settings is told which permission, too", () => {
        const result = just(stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}` }), ["preview", "prod"], { FAKE_DENIED: "GetAccountSettings" });
        assertStopped(result, /reservedConcurrency 20: the deploying identity may not call lambda:GetAccountSettings in us-west-2 \(AccessDeniedException: Access denied\)/);
    });

    test("a profile whose model no region it routes to still knows (end of life) stops it instead of passing", () => {
        const dead = "anthropic.claude-3-5-haiku-20241022-v1:0";
        const region: Region = { profiles: { [`us.${dead}`]: US_REGIONS } };
        const result = just(stack({ "bedrock-streamer:modelId": `us.${dead}` }, { "us-west-2": region }), ["preview", "prod"]);
        assertStopped(
            result,
            /modelId us\.anthropic\.claude-3-5-haiku-20241022-v1:0: Bedrock knows the profile, but none of its regions \(us-west-2, us-east-1, us-east-2, us-west-1\) knows its model anthropic\.claude-3-5-haiku-20241022-v1:0/,
        );
    });

    test("a region without Function URLs stops `just deploy` before it spends a release build", () => {
        const zurich: Region = { models: { [HAIKU_3]: active() } };
        const root = stack({ "aws:region": "eu-central-2", "bedrock-streamer:modelId": HAIKU_3 }, { "eu-central-2": zurich });
        assertStopped(just(root, ["deploy", "prod"]), /error +Lambda offers no Function URLs in eu-central-2, so the stack cannot serve its stream there/);
    });

    test("a model set as a secret is the model it checks, not Pulumi.yaml's default", () => {
        const root = stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}` }, { "us-west-2": usRegion() }, ["bedrock-streamer:modelId"]);
        const result = just(root, ["preview", "prod"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /ok +modelId us\.anthropic\.claude-haiku-5-5: an active inference profile in us-west-2/);
    });

    describe("authType API_KEY and COGNITO: what API Gateway needs from the account", () => {
        const LOGS_ROLE = "arn:aws:iam::123456789012:role/apigateway-cloudwatch-logs";
        const POOL_ID = "us-west-2_Ex1sting";
        const POOL_ARN = `arn:aws:cognito-idp:us-west-2:123456789012:userpool/${POOL_ID}`;
        const gatewayStack = (values: Record<string, string>) => stack({ "bedrock-streamer:modelId": `us.${HAIKU_55}`, ...values });

        test("the account's CloudWatch Logs role for API Gateway is set: an ok line naming it, then pulumi preview", () => {
            const result = just(gatewayStack({ "bedrock-streamer:authType": "API_KEY" }), ["preview", "prod"], { FAKE_APIGW_LOGS_ROLE: LOGS_ROLE });
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stderr, new RegExp(`ok +authType API_KEY: the stage's access logs: API Gateway writes CloudWatch Logs in us-west-2 with ${LOGS_ROLE}`));
            assert.ok(commands(result, "aws").includes("apigateway get-account --region us-west-2 --output json"));
        });

        test("no such role: it stops, saying how to set one once per account and region", () => {
            const result = just(gatewayStack({ "bedrock-streamer:authType": "COGNITO" }), ["deploy", "prod"]);
            assertStopped(result, /error +authType COGNITO: the stage's access logs need API Gateway's account-level CloudWatch Logs role in us-west-2, which this account has not set/);
            assert.match(result.stderr, /AmazonAPIGatewayPushToCloudWatchLogs, then aws apigateway update-account --patch-operations op=replace,path=\/cloudwatchRoleArn,value=<role ARN> --region us-west-2/);
        });

        test("an identity that may not read API Gateway's account is told the permission", () => {
            const result = just(gatewayStack({ "bedrock-streamer:authType": "API_KEY" }), ["preview", "prod"], { FAKE_DENIED: "GetAccount" });
            assertStopped(result, /the deploying identity may not call apigateway:GET on arn:aws:apigateway:us-west-2::\/account \(AccessDeniedException: Access denied\)/);
        });

        test("a cognitoUserPoolArn naming a pool that does not exist stops it; one that exists is an ok line", () => {
            const values = { "bedrock-streamer:authType": "COGNITO", "bedrock-streamer:cognitoUserPoolArn": POOL_ARN };
            const missing = just(gatewayStack(values), ["preview", "prod"], { FAKE_APIGW_LOGS_ROLE: LOGS_ROLE });
            assertStopped(missing, new RegExp(`error +cognitoUserPoolArn names the user pool ${POOL_ID}, which does not exist in us-west-2 for this account`));
            const root = gatewayStack(values);
            fs.mkdirSync(path.join(root, "aws", "us-west-2", "user-pool"));
            fs.writeFileSync(path.join(root, "aws", "us-west-2", "user-pool", `${POOL_ID}.json`), JSON.stringify({ UserPool: { Id: POOL_ID, Name: "readers" } }));
            const found = just(root, ["preview", "prod"], { FAKE_APIGW_LOGS_ROLE: LOGS_ROLE });
            assert.equal(found.status, 0, found.stderr);
            assert.match(found.stderr, new RegExp(`ok +cognitoUserPoolArn: the user pool ${POOL_ID} \\(readers\\) exists in us-west-2`));
        });

        test("a region without Function URLs does not stop a gateway stack, which has none", () => {
            const zurich: Region = { models: { [HAIKU_3]: active() } };
            const root = stack({ "aws:region": "eu-central-2", "bedrock-streamer:modelId": HAIKU_3, "bedrock-streamer:authType": "API_KEY" }, { "eu-central-2": zurich });
            const result = just(root, ["preview", "prod"], { FAKE_APIGW_LOGS_ROLE: LOGS_ROLE });
            assert.equal(result.status, 0, result.stderr);
            assert.doesNotMatch(result.stderr, /Function URLs/);
        });

        test("an AWS_IAM stack asks API Gateway nothing", () => {
            const result = just(gatewayStack({}), ["preview", "prod"]);
            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(commands(result, "aws").filter((c) => c.startsWith("apigateway") || c.startsWith("cognito-idp")), []);
        });
    });

    test(`${SKIP}=1 skips it, for accounts that cannot call the control plane`, () => {
        const root = stack({ "bedrock-streamer:modelId": "anthropic.claude-3-5-haiku-20241022-v1:0" });
        const result = just(root, ["preview", "prod"], { [SKIP]: "1" });
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /preflight: skipped \(BEDROCK_STREAMER_SKIP_PREFLIGHT=1\)/);
        assert.deepEqual(commands(result, "aws").filter((c) => !c.startsWith("sts")), []);
        assert.ok(commands(result, "pulumi").includes("preview --stack prod"));
    });
});

describe("the other stack recipes", () => {
    const cases: [string[], string, string][] = [
        [["preview", "prod"], "pulumi", "preview --stack prod"],
        [["destroy", "prod"], "pulumi", "destroy --stack prod"],
        [["outputs", "prod"], "pulumi", "stack output --stack prod"],
        [["logs", "dev"], "aws", "logs tail bedrock-streamer-logs-8a9b0c1 --region us-west-2 --since 10m --follow --format short"],
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

describe("just invoke env storyType model accept", () => {
    const credentials = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secretexample" };
    /** The arguments `bedrock-playground invoke` got through `cargo run … -- invoke`. */
    const invoke = (result: Result) => {
        const calls = result.calls.filter((c) => c.tool === "cargo");
        assert.equal(calls.length, 1, result.stderr);
        const args = calls[0].args;
        assert.deepEqual(args.slice(0, args.indexOf("--") + 2), ["run", "--locked", "--package", "bedrock-playground", "--features", "local-profiles", "--", "invoke"]);
        return args.slice(args.indexOf("--") + 2);
    };
    const value = (args: string[], name: string) => {
        const found = args.filter((a) => a.startsWith(`${name}=`)).map((a) => a.slice(name.length + 1));
        if (found.length) return found;
        return args.filter((_, i) => args[i - 1] === name);
    };

    test("runs bedrock-playground invoke with the stack's url and region, from the repository root, and streams its answer", () => {
        const root = workspace();
        const result = just(root, ["invoke", "dev", "sea otters"], { ...credentials, AWS_SESSION_TOKEN: "sessiontoken" });
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /Once upon a time/);
        assert.match(result.stderr, /^HTTP 200$/m, "the status on its own line");
        const args = invoke(result);
        assert.deepEqual(value(args, "--target"), ["https://abc123.lambda-url.us-west-2.on.aws/"]);
        assert.deepEqual(value(args, "--region"), ["us-west-2"]);
        assert.deepEqual(value(args, "--story-type"), ["sea otters"]);
        assert.deepEqual(value(args, "--model"), [""], "an empty model: the stack's default");
        assert.deepEqual(value(args, "--accept"), ["text/plain"]);
        assert.ok(!args.includes("--unsigned"));
        assert.equal(result.calls.find((c) => c.tool === "cargo")!.cwd, fs.realpathSync(root));
    });

    test("never puts a credential on the command line, where other local users can read it; they reach the signer through its environment", () => {
        const secrets = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: 'se"cr\\et', AWS_SESSION_TOKEN: "sessiontoken" };
        const root = workspace();
        const result = just(root, ["invoke", "dev"], secrets);
        const line = result.calls.map((c) => c.args.join(" ")).join("\n");
        for (const [name, secret] of Object.entries(secrets)) assert.ok(!line.includes(secret), `${name} is on a command line: ${line}`);
        assert.equal(fs.readFileSync(path.join(root, "calls.log.secret"), "utf8"), secrets.AWS_SECRET_ACCESS_KEY);
    });

    test("leaves profiles, SSO and credential_process to the signer's credential chain: no AWS CLI call", () => {
        const result = just(workspace(), ["invoke", "dev"]);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(commands(result, "aws"), []);
        invoke(result);
    });

    test("is unsigned when the stack's authType is NONE", () => {
        const args = invoke(just(workspace(), ["invoke", "dev"], { ...credentials, FAKE_AUTH_TYPE: "NONE" }));
        assert.ok(args.includes("--unsigned"));
    });

    test("on an API_KEY stack, passes the id of its only key; the value is fetched by bedrock-playground and never on a command line", () => {
        const result = just(workspace(), ["invoke", "dev"], { ...credentials, FAKE_AUTH_TYPE: "API_KEY" });
        assert.equal(result.status, 0, result.stderr);
        const args = invoke(result);
        assert.deepEqual(value(args, "--api-key-id"), ["a1b2c3d4e5"]);
        assert.ok(!args.includes("--unsigned"));
        assert.deepEqual(commands(result, "aws"), [], "no AWS CLI call: the key's value never passes through a shell");
        assert.ok(commands(result, "pulumi").includes("stack output apiKeyIds --json --stack dev"));
    });

    test("with several API keys, uses the one BEDROCK_STREAMER_API_KEY_NAME names, and stops naming them otherwise", () => {
        const keys = { ...credentials, FAKE_AUTH_TYPE: "API_KEY", FAKE_API_KEY_IDS: '{"web": "w1w2w3w4w5", "partner": "p1p2p3p4p5"}' };
        const named = just(workspace(), ["invoke", "dev"], { ...keys, BEDROCK_STREAMER_API_KEY_NAME: "partner" });
        assert.deepEqual(value(invoke(named), "--api-key-id"), ["p1p2p3p4p5"]);
        const unnamed = just(workspace(), ["invoke", "dev"], keys);
        assert.notEqual(unnamed.status, 0);
        assert.match(unnamed.stderr, /the stack has 2 API keys \(web, partner\): name one with BEDROCK_STREAMER_API_KEY_NAME/);
        assert.deepEqual(commands(unnamed, "cargo"), []);
        // Names of the object's prototype ("constructor", "__proto__") are no key's either.
        for (const name of ["nope", "constructor", "__proto__"]) {
            const unknown = just(workspace(), ["invoke", "dev"], { ...keys, BEDROCK_STREAMER_API_KEY_NAME: name });
            assert.match(unknown.stderr, new RegExp(`the stack has no API key named "${name}" \\(BEDROCK_STREAMER_API_KEY_NAME\\); its keys: web, partner`));
            assert.deepEqual(commands(unknown, "cargo"), [], name);
        }
    });

    test("on a COGNITO stack, passes the app client id; the user and password reach bedrock-playground through its environment only", () => {
        const user = { BEDROCK_STREAMER_COGNITO_USERNAME: "otto@example.com", BEDROCK_STREAMER_COGNITO_PASSWORD: 'pa"ss word' };
        const result = just(workspace(), ["invoke", "dev"], { ...credentials, ...user, FAKE_AUTH_TYPE: "COGNITO" });
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(value(invoke(result), "--cognito-client-id"), ["4s5t6u7v8w9x0y1z2a3b4c5d6e"]);
        const line = result.calls.map((c) => c.args.join(" ")).join("\n");
        assert.ok(!line.includes(user.BEDROCK_STREAMER_COGNITO_PASSWORD), `the password is on a command line: ${line}`);
    });

    test("an authType the tools do not know stops before anything is sent", () => {
        const result = just(workspace(), ["invoke", "dev"], { ...credentials, FAKE_AUTH_TYPE: "MTLS" });
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /the stack's authType is 'MTLS'; the tools know AWS_IAM, NONE, API_KEY and COGNITO/);
        assert.deepEqual(commands(result, "cargo"), []);
    });

    test("asks for NDJSON events on request", () => {
        const args = invoke(just(workspace(), ["invoke", "dev", "CATS", "", "application/x-ndjson"], credentials));
        assert.deepEqual(value(args, "--accept"), ["application/x-ndjson"]);
        assert.deepEqual(value(args, "--model"), [""]);
    });

    test("names a model alias of the stack's models on request", () => {
        const args = invoke(just(workspace(), ["invoke", "dev", "CATS", "fast"], credentials));
        assert.deepEqual(value(args, "--model"), ["fast"]);
        assert.deepEqual(value(args, "--story-type"), ["CATS"]);
    });

    test("a story type or alias with quotes, backslashes, a leading dash or $(…) reaches invoke as one value each", () => {
        // invoke writes each as one JSON string (playground/src/invoke.rs, tests/signing.rs).
        for (const [storyType, model] of [['say "hi"', "a\\b"], ["-cats_", "-x"], ["it's", "$(true)"], ["--unsigned", "--target=x"]]) {
            const args = invoke(just(workspace(), ["invoke", "dev", storyType, model], credentials));
            assert.deepEqual([value(args, "--story-type"), value(args, "--model")], [[storyType], [model]], `${storyType} ${model}`);
            assert.ok(!args.includes("--unsigned"), "a value is never taken as a flag");
        }
    });

    test("an HTTP error fails the recipe", () => {
        const result = just(workspace(), ["invoke", "dev"], { ...credentials, FAKE_HTTP_STATUS: "403" });
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /^HTTP 403$/m);
    });

    test("fails early without the Pulumi CLI", () => {
        const result = just(workspace(["pulumi"]), ["invoke", "dev"], credentials);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /the Pulumi CLI is not installed/);
        assert.deepEqual(commands(result, "cargo"), []);
    });
});
