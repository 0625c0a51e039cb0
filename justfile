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
    scripts/demo {{ quote(storyType) }} {{ quote(accept) }}

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
    cargo lambda watch -A 127.0.0.1 -P {{ port }} --bin bedrock-streamer --features local-profiles

# Everything CI runs: formatting, lints, Rust unit/integration/end-to-end tests, the infrastructure tests, the demo, other SDKs against the emulator, the story page and SSE clients in a browser
test: test-rust test-infra test-demo test-clients test-page

# Rust: rustfmt, clippy (warnings are errors), then every test of the workspace
test-rust:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo test --workspace --locked

# The emulator driven by SDKs nobody here wrote: boto3 (HTTP/1.1) and the AWS SDK for JavaScript v3 (HTTP/2)
test-clients:
    emulator/clients/run

# The story page in headless Chromium (Debian's chromium, driven by playwright-core) and three SSE clients (eventsource in Node.js, fetch-event-source and EventSource in Chromium) against the offline stack
test-page:
    #!/usr/bin/env bash
    set -euo pipefail
    scripts/setup chromium
    [ -d clients/node_modules/playwright-core ] || npm ci --prefix clients --no-audit --no-fund
    cargo build --quiet --bin bedrock-streamer --bin bedrock-emulator --bin bedrock-playground
    npm test --prefix clients

# The offline demo streams a story end to end (what `just demo` shows a person)
test-demo:
    #!/usr/bin/env bash
    set -euo pipefail
    out=$(DEMO_TOKEN_MS=5 scripts/demo "sea otters" 2>/dev/null)
    case "$out" in
        *"sea otters"*) echo "demo: ok, streamed $(printf '%s' "$out" | wc -w) words" ;;
        *) echo "demo: the story did not arrive: $out" >&2; exit 1 ;;
    esac
    # A setting the handler refuses stops the demo at once with the handler's words, not a hung request.
    if refused=$(STREAMER_MODELS='{"fast":{"modelId":"m","maxTokens":0}}' timeout 60 scripts/demo 2>&1); then
        echo "demo: a refused STREAMER_MODELS still ran: $refused" >&2; exit 1
    fi
    case "$refused" in
        *"STREAMER_MODELS: alias"*"maxTokens: expected a whole number"*"the handler exited"*) echo "demo: ok, a refused setting is named at once" ;;
        *) echo "demo: a refused setting was not named: $refused" >&2; exit 1 ;;
    esac

# The story page in your browser: http://127.0.0.1:PORT/, requests signed (SigV4) and forwarded to the stack `env`'s Function URL; no env: the offline stack
playground env="" port="8080":
    scripts/playground {{ quote(env) }} {{ quote(port) }}
