"""Callers of a stack with authType COGNITO: a user signs in (Cognito's InitiateAuth,
USER_PASSWORD_AUTH, here with boto3 as `aws cognito-idp initiate-auth` does) and the official
`openai` client sends the ID token as a default `Authorization` header, replacing the client's own
`Bearer <api_key>`, against playground/tests/gateway_standin.py, a local stand-in for the stack's
gateway (a test aid: it admits only an ID token it issued and refuses the rest 401 as the gateway
does). That the stack's Cognito authorizer accepts the token only a deploy shows (docs/deploy.md)."""

import unittest

import boto3
import openai

from support import CONVERSATION, ECHOED, gateway_standin, offline_stack

CLIENT_ID, USERNAME, PASSWORD = "pyclientcognito1", "otto@example.com", "Correct-Horse-7"
stack = gateway = None


def setUpModule():
    global stack, gateway
    stack = offline_stack()
    gateway = gateway_standin(stack.url, cognito=(CLIENT_ID, USERNAME, PASSWORD))


def tearDownModule():
    gateway.stop()
    stack.stop()


def id_token():
    cognito = boto3.client("cognito-idp", region_name="eu-west-1", endpoint_url=gateway.control, aws_access_key_id="unused", aws_secret_access_key="unused")
    signed_in = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=CLIENT_ID, AuthParameters={"USERNAME": USERNAME, "PASSWORD": PASSWORD})
    return signed_in["AuthenticationResult"]["IdToken"]


class CognitoPythonClients(unittest.TestCase):
    def test_the_openai_client_sends_the_id_token_as_its_authorization_header(self):
        with openai.OpenAI(base_url=gateway.url + "v1", api_key="unused", default_headers={"Authorization": id_token()}, max_retries=0) as signed_in:
            self.assertEqual(sorted(m.id for m in signed_in.models.list()), ["clever", "fast"])
            stream = signed_in.chat.completions.create(model="fast", messages=CONVERSATION, stream=True)
            self.assertEqual("".join(c.choices[0].delta.content or "" for c in stream if c.choices), ECHOED)

    def test_without_a_token_the_gateway_refuses_401_AuthenticationError(self):
        with openai.OpenAI(base_url=gateway.url + "v1", api_key="not-a-token", max_retries=0) as anonymous, self.assertRaises(openai.AuthenticationError) as raised:
            anonymous.chat.completions.create(model="fast", messages=CONVERSATION)
        self.assertEqual(raised.exception.status_code, 401)


if __name__ == "__main__":
    unittest.main()
