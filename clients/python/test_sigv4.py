"""Callers of a stack whose Function URL has AWS_IAM auth: the official `openai` Python client given
an HTTPX client whose auth signs each request with botocore's SigV4 for service `lambda`
(sigv4_auth.FunctionUrlSigV4), against a stand-in for the Function URL that recomputes every
signature with botocore (playground/tests/function_url_standin.py) and passes the verified
requests to the offline stack. LangChain's ChatOpenAI takes the same `http_client`."""

import unittest

import httpx2
import openai
from botocore.credentials import Credentials
from langchain_openai import ChatOpenAI

from sigv4_auth import FunctionUrlSigV4
from support import CONVERSATION, ECHOED, offline_stack, signature_checking_standin

CREDENTIALS = Credentials("AKIDCLIENTTEST", "client-test-secret", "client-test-session")
REGION = "eu-west-1"
stack = standin = None


def setUpModule():
    global stack, standin
    stack = offline_stack()
    standin = signature_checking_standin(stack.url, CREDENTIALS.access_key, CREDENTIALS.secret_key, REGION, CREDENTIALS.token)


def tearDownModule():
    standin.stop()
    stack.stop()


def client(credentials=CREDENTIALS):
    signed = httpx2.Client(auth=FunctionUrlSigV4(credentials, REGION))
    return openai.OpenAI(base_url=standin.url + "/v1", api_key="unused-sigv4-signs", http_client=signed, max_retries=0)


class SignedPythonClients(unittest.TestCase):
    def test_the_openai_client_lists_models_and_gets_a_conversation_answered_streamed_and_not(self):
        with client() as signed:
            self.assertEqual(sorted(m.id for m in signed.models.list()), ["clever", "fast"], "a signed GET")
            completion = signed.chat.completions.create(model="fast", messages=CONVERSATION)
            self.assertEqual(completion.choices[0].message.content, ECHOED)
            stream = signed.chat.completions.create(model="fast", messages=CONVERSATION, stream=True)
            self.assertEqual("".join(c.choices[0].delta.content or "" for c in stream if c.choices), ECHOED)

    def test_langchain_takes_the_same_signed_http_client(self):
        with httpx2.Client(auth=FunctionUrlSigV4(CREDENTIALS, REGION)) as signed:
            chat = ChatOpenAI(model="fast", base_url=standin.url + "/v1", api_key="unused-sigv4-signs", max_retries=0, http_client=signed)
            self.assertEqual(chat.invoke([(m["role"], m["content"]) for m in CONVERSATION]).content, ECHOED)

    def test_a_request_signed_with_the_wrong_secret_is_PermissionDeniedError_the_standin_checks(self):
        wrong = Credentials(CREDENTIALS.access_key, "not-the-secret", CREDENTIALS.token)
        with client(wrong) as signed, self.assertRaises(openai.PermissionDeniedError) as raised:
            signed.chat.completions.create(model="fast", messages=CONVERSATION)
        self.assertIn("the signature does not match botocore's", raised.exception.message)


if __name__ == "__main__":
    unittest.main()
