"""An HTTPX auth that signs each request with SigV4 for service `lambda` (botocore's signer), so the
official `openai` Python client (and LangChain's ChatOpenAI, which takes the same `http_client`)
can call a Function URL whose auth is AWS_IAM. docs/api.md shows it; test_sigv4.py proves it
against a stand-in that checks every signature with botocore.

openai 3.x sends through `httpx2` (HTTPX's successor, the same API); with openai 1.x or 2.x write
`import httpx` instead: nothing else changes.
"""

import hashlib

import httpx2
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


class FunctionUrlSigV4(httpx2.Auth):
    """Signs the method, URL, `host`, `content-type` and the body's SHA-256 (sent as
    `x-amz-content-sha256`) with `credentials` (botocore credentials, e.g.
    `boto3.Session().get_credentials()`, refreshed as they expire) for `region`; adds
    `authorization`, `x-amz-date` and, with temporary credentials, `x-amz-security-token`."""

    requires_request_body = True

    def __init__(self, credentials, region, service="lambda"):
        self.credentials = credentials
        self.region = region
        self.service = service

    def auth_flow(self, request):
        body = request.content
        headers = {"x-amz-content-sha256": hashlib.sha256(body).hexdigest()}
        if "content-type" in request.headers:
            headers["content-type"] = request.headers["content-type"]
        aws = AWSRequest(method=request.method, url=str(request.url), data=body, headers=headers)
        credentials = self.credentials.get_frozen_credentials() if hasattr(self.credentials, "get_frozen_credentials") else self.credentials
        SigV4Auth(credentials, self.service, self.region).add_auth(aws)
        request.headers.update(dict(aws.headers))
        yield request
