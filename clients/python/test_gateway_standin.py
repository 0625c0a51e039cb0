"""The control endpoint of playground/tests/gateway_standin.py (the local stand-in for an API_KEY or
COGNITO stack's gateway, a test aid) speaks API Gateway's GetApiKey and Cognito's InitiateAuth as
AWS's own SDK does: boto3, whose clients are generated from AWS's service models, calls it and
reads its answers and errors. bedrock-playground is tested against the same stand-in
(playground/tests/gateway.rs), so what it sends and reads has the shape boto3's has."""

import sys
import unittest

import boto3
from botocore.exceptions import ClientError

from support import Started

REGION = "eu-west-1"
ACCESS_KEY, SECRET_KEY = "AKIDSTANDINCHECK", "standin/check+secret"


def standin(*kind):
    args = [sys.executable, "playground/tests/gateway_standin.py", *kind, "--aws", ACCESS_KEY, SECRET_KEY, REGION]
    started = Started(args, r"listening on (\S+) control (\S+)", "the gateway stand-in", timeout=30)
    started.control = started.match[2]
    return started


def client(service, control, secret=SECRET_KEY):
    return boto3.client(service, region_name=REGION, endpoint_url=control, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret)


class StandInSpeaksAwsProtocols(unittest.TestCase):
    def test_boto3_gets_the_api_keys_value_and_aws_errors(self):
        gateway = standin("--api-key", "k1e2y3i4d5", "StandInCheckKey0123456789")
        try:
            apigateway = client("apigateway", gateway.control)
            self.assertEqual(apigateway.get_api_key(apiKey="k1e2y3i4d5", includeValue=True)["value"], "StandInCheckKey0123456789")
            self.assertNotIn("value", apigateway.get_api_key(apiKey="k1e2y3i4d5"), "no value unless asked for")
            with self.assertRaises(ClientError) as unknown:
                apigateway.get_api_key(apiKey="zzzzzzzzzz", includeValue=True)
            self.assertEqual(unknown.exception.response["Error"]["Code"], "NotFoundException")
            with self.assertRaises(ClientError) as unsigned:
                client("apigateway", gateway.control, "not-the-secret").get_api_key(apiKey="k1e2y3i4d5", includeValue=True)
            self.assertEqual(unsigned.exception.response["Error"]["Code"], "InvalidSignatureException")
        finally:
            gateway.stop()

    def test_boto3_signs_in_and_reads_cognitos_errors(self):
        pool = standin("--cognito", "standinclient123", "otto@example.com", "Correct-Horse-7")
        try:
            cognito = client("cognito-idp", pool.control)
            signed_in = cognito.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH", ClientId="standinclient123", AuthParameters={"USERNAME": "otto@example.com", "PASSWORD": "Correct-Horse-7"}
            )
            self.assertEqual(signed_in["AuthenticationResult"]["IdToken"].count("."), 2, "a JWT's three parts")
            self.assertEqual(signed_in["AuthenticationResult"]["ExpiresIn"], 3600)
            with self.assertRaises(ClientError) as refused:
                cognito.initiate_auth(
                    AuthFlow="USER_PASSWORD_AUTH", ClientId="standinclient123", AuthParameters={"USERNAME": "otto@example.com", "PASSWORD": "wrong"}
                )
            self.assertEqual(refused.exception.response["Error"]["Code"], "NotAuthorizedException")
            self.assertEqual(refused.exception.response["Error"]["Message"], "Incorrect username or password.")
        finally:
            pool.stop()


if __name__ == "__main__":
    unittest.main()
