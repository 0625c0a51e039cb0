# bedrock-streamer: `./just` lists the recipes (./just sets up .venv first; see scripts/setup). Deploy
# recipes (build, deploy, preview, destroy, invoke, logs, outputs, test-infra) live in pulumi/deploy.just,
# `bench` in bench/bench.just, `fuzz` in fuzz/fuzz.just.

# The pinned Python tools (just, cargo-lambda, boto3, botocore, policy_sentry, parliament) come from the
# project's .venv, first on the PATH of every recipe and of what the recipes run (the tests included).
export PATH := justfile_directory() / ".venv/bin" + ":" + env("PATH")

import 'pulumi/deploy.just'
import 'bench/bench.just'
import 'fuzz/fuzz.just'

# List the recipes
default:
    @just --list --unsorted

# Stream a story offline: Bedrock emulator + cargo lambda watch + the real handler (no AWS account)
demo storyType="CATS" accept="text/plain":
    @exec scripts/demo {{ quote(storyType) }} {{ quote(accept) }}

# Run the handler under cargo lambda watch against real Bedrock with your AWS credentials (port 9000)
dev port="9000":
    #!/usr/bin/env bash
    set -euo pipefail
    command -v cargo-lambda >/dev/null || { echo "error: cargo-lambda is missing: run ./just dev (it installs the pinned tools into .venv)" >&2; exit 1; }
    if [ -z "${AWS_ACCESS_KEY_ID:-}${AWS_PROFILE:-}" ] && [ ! -e "$HOME/.aws/credentials" ] && [ ! -e "$HOME/.aws/config" ]; then
        echo "error: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and AWS_REGION" >&2
        exit 1
    fi
    echo "▶ once it compiles: curl -N http://127.0.0.1:{{ port }}/lambda-url/bedrock-streamer/ -d '{\"storyType\":\"CATS\"}'" >&2
    exec scripts/lambda-watch -P {{ port }} --bin bedrock-streamer --features local-profiles

# Everything CI runs: formatting, lints, Rust unit/integration/end-to-end tests, the infrastructure tests, the demo, other SDKs against the emulator, the page and SSE clients in a browser, the OpenAI-compatible routes through official clients
test: test-rust test-infra test-demo test-clients test-page test-chat-clients

# Rust: rustfmt (the fuzz targets' own workspace too), clippy (warnings are errors), then every test of the workspace
test-rust:
    cargo fmt --all --check
    cargo fmt --manifest-path fuzz/Cargo.toml --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo test --workspace --locked

# The emulator driven by SDKs nobody here wrote: boto3 (HTTP/1.1) and the AWS SDK for JavaScript v3 (HTTP/2)
test-clients:
    emulator/clients/run

# The page (story and conversation views) in headless Chromium (Debian's chromium, driven by playwright-core) and three SSE clients (eventsource in Node.js, fetch-event-source and EventSource in Chromium) against the offline stack
test-page:
    #!/usr/bin/env bash
    set -euo pipefail
    scripts/setup chromium
    # The tests launch the Chromium the set-up found (clients/test/support.mjs reads CHROMIUM).
    export CHROMIUM=$(command -v "${CHROMIUM:-chromium}")
    [ clients/node_modules/.package-lock.json -nt clients/package-lock.json ] || npm ci --prefix clients --no-audit --no-fund
    cargo build --quiet --bin bedrock-streamer --bin bedrock-emulator --bin bedrock-playground
    npm test --prefix clients

# The OpenAI-compatible routes driven by clients nobody here wrote, against the offline stack: the openai package (Python and npm), LangChain's ChatOpenAI (langchain-openai), the AI SDK's openai-compatible provider, and each signing its requests (SigV4) for an AWS_IAM stack
test-chat-clients:
    #!/usr/bin/env bash
    set -euo pipefail
    [ clients/node_modules/.package-lock.json -nt clients/package-lock.json ] || npm ci --prefix clients --no-audit --no-fund
    cargo build --quiet --bin bedrock-streamer --bin bedrock-emulator
    python3 -m unittest discover --start-directory clients/python --verbose
    npm run test:chat --prefix clients

# The offline demo and playground as a person sees them: the story, the request, the status, errors, CORS off, and Ctrl-C/SIGTERM stopping everything they started
test-demo:
    scripts/test-offline

# The story page in your browser: http://127.0.0.1:PORT/, requests signed (SigV4) and forwarded to the stack `env`'s Function URL; no env: the offline stack
playground env="" port="8080":
    @exec scripts/playground {{ quote(env) }} {{ quote(port) }}
