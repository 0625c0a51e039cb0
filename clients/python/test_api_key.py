"""Callers of a stack with authType API_KEY: the official `openai` Python client and LangChain's
ChatOpenAI with the stack's API key as a default header (`x-api-key`, the header API Gateway reads
keys from), against playground/tests/gateway_standin.py, a local stand-in for the stack's gateway
(a test aid: it checks the key, refuses without it as the gateway does, and passes the rest to the
offline stack). That API Gateway itself accepts the key only a deploy shows (docs/deploy.md)."""

import json
import unittest
import urllib.error
import urllib.request

import openai
from langchain_openai import ChatOpenAI

from support import CONVERSATION, ECHOED, gateway_standin, offline_stack

KEY = "PyClientTestKey0123456789abcdefABCDEF"
stack = gateway = None


def setUpModule():
    global stack, gateway
    stack = offline_stack()
    gateway = gateway_standin(stack.url, "k1e2y3i4d5", KEY)


def tearDownModule():
    gateway.stop()
    stack.stop()


def client(key=KEY):
    headers = {"x-api-key": key} if key is not None else {}
    # The stack reads no bearer token: api_key only satisfies the client, the key goes in x-api-key.
    return openai.OpenAI(base_url=gateway.url + "v1", api_key="unused", default_headers=headers, max_retries=0)


class ApiKeyPythonClients(unittest.TestCase):
    def test_the_openai_client_sends_the_key_as_a_default_header_streamed_and_not(self):
        with client() as keyed:
            self.assertEqual(sorted(m.id for m in keyed.models.list()), ["clever", "fast"])
            completion = keyed.chat.completions.create(model="fast", messages=CONVERSATION)
            self.assertEqual(completion.choices[0].message.content, ECHOED)
            stream = keyed.chat.completions.create(model="fast", messages=CONVERSATION, stream=True)
            self.assertEqual("".join(c.choices[0].delta.content or "" for c in stream if c.choices), ECHOED)

    def test_langchain_takes_the_same_default_header(self):
        chat = ChatOpenAI(model="fast", base_url=gateway.url + "v1", api_key="unused", default_headers={"x-api-key": KEY}, max_retries=0)
        self.assertEqual(chat.invoke([(m["role"], m["content"]) for m in CONVERSATION]).content, ECHOED)

    def test_without_the_key_or_with_another_the_gateway_refuses_403_PermissionDeniedError(self):
        for key in (None, "not-the-key"):
            with self.subTest(key=key), client(key) as unkeyed, self.assertRaises(openai.PermissionDeniedError) as raised:
                unkeyed.chat.completions.create(model="fast", messages=CONVERSATION)
            self.assertEqual(raised.exception.status_code, 403)
        # The refusal's body, in the stack's error shape (the client keeps only OpenAI's shape):
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(gateway.url + "v1/models")
        self.assertEqual(json.load(refused.exception)["code"], "api_key_required")


if __name__ == "__main__":
    unittest.main()
