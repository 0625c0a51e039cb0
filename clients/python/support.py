"""Shared fixtures of the Python client tests: the offline stack (scripts/offline-stack: the Bedrock
emulator, cargo lambda watch and the real handler), the Function URL stand-in that checks SigV4,
and the conversation every client sends. Mirrors clients/test/support.mjs."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Two aliases, `fast` (the default; a model that does not think) and `clever` (a model that
#: thinks by default, its reasoning shown); a conversation system prompt of the stack's own; the
#: emulator at a token every 5 ms.
CHAT_SETTINGS = {
    "OFFLINE_TOKEN_MS": "5",
    "OFFLINE_FIRST_TOKEN_MS": "50",
    "STREAMER_MODELS": json.dumps(
        {
            "fast": {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"},
            "clever": {"modelId": "us.anthropic.claude-haiku-5-5", "reasoning": "show"},
        }
    ),
    "STREAMER_DEFAULT_MODEL": "fast",
    "STREAMER_CHAT_SYSTEM_PROMPT": "You are the stack's assistant.",
}

#: A three-turn conversation whose answer depends on the first turn: the last user message carries
#: the emulator's echo marker (`echo_conversation`, emulator/README.md), so the model answers with
#: every turn it was sent, each labelled with its role.
CONVERSATION = [
    {"role": "system", "content": "Answer in one line."},
    {"role": "user", "content": "My name is Otto."},
    {"role": "assistant", "content": "Hello Otto."},
    {"role": "user", "content": "What is my name? echo_conversation"},
]

#: The echo of CONVERSATION: the stack's system prompt first, the caller's after it, then the turns.
ECHOED = (
    "[system] You are the stack's assistant. Answer in one line. [user] My name is Otto. "
    "[assistant] Hello Otto. [user] What is my name? echo_conversation"
)


def thought(subject):
    """The start of the emulator's reasoning about `subject` (emulator/src/story.rs)."""
    return f"The user wants a story about {subject}."


def story_opening(subject):
    """The emulator's first sentence of a story about `subject`."""
    return f"Once upon a time there was a story about {subject}."


def with_last(content):
    """CONVERSATION with its last user message replaced by `content` (a fault marker, say)."""
    return [*CONVERSATION[:3], {"role": "user", "content": content}]


class Started:
    """A process in its own group, ready once its stdout printed a line matching `ready`."""

    def __init__(self, args, ready, what, env=None, timeout=300):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=self.stderr, text=True, start_new_session=True
        )
        found = {}

        def read():
            for line in self.process.stdout:
                if not found and (match := re.search(ready, line)):
                    found["match"] = match
                    announced.set()
            announced.set()

        announced = threading.Event()
        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        announced.wait(timeout)
        if "match" not in found:
            self.stderr.seek(0)
            said = self.stderr.read()
            self.stop()
            raise RuntimeError(f"{what} did not start within {timeout} s: {said}")
        self.match = found["match"]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(60)
        self.reader.join(10)
        self.process.stdout.close()
        self.stderr.close()


def offline_stack(env=None):
    """scripts/offline-stack with `env` for the handler; `.url` is its Function URL (ends in /)."""
    stack = Started(["scripts/offline-stack"], r"offline stack: (\S+) emulator-log=(\S+)", "the offline stack", {**CHAT_SETTINGS, **(env or {})})
    stack.url = stack.match[1]
    return stack


def signature_checking_standin(target, access_key, secret_key, region, session_token):
    """playground/tests/function_url_standin.py forwarding each request whose SigV4 signature
    botocore accepts to `target` (403 for any other); `.url` is where it listens."""
    args = [sys.executable, "playground/tests/function_url_standin.py", "--forward", target, access_key, secret_key, region, session_token]
    standin = Started(args, r"listening on (\S+)", "the Function URL stand-in", timeout=30)
    standin.url = standin.match[1]
    return standin


def gateway_standin(target, api_key_id=None, api_key=None, cognito=None):
    """playground/tests/gateway_standin.py (a test aid standing in for an API_KEY or COGNITO
    stack's API Gateway) forwarding each request carrying `x-api-key: api_key` (or, with `cognito`
    = (client id, username, password), an ID token it issued in `Authorization`) to `target`, and
    refusing any other 403 `api_key_required` (401 `unauthorized`); `.url` is its stage's URL (ends
    in /), `.control` its control endpoint (GetApiKey, InitiateAuth)."""
    kind = ["--cognito", *cognito] if cognito else ["--api-key", api_key_id, api_key]
    args = [sys.executable, "playground/tests/gateway_standin.py", "--forward", target, *kind]
    standin = Started(args, r"listening on (\S+) control (\S+)", "the gateway stand-in", timeout=30)
    standin.url, standin.control = standin.match[1], standin.match[2]
    return standin
