"""SigV4 checked by botocore (an implementation independent of the playground's aws-sigv4): why a
request is not correctly signed for given credentials, region and service. Shared by the local
stand-ins (function_url_standin.py, gateway_standin.py)."""

import hashlib
import re
from datetime import datetime, timezone

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def problems(method, path, headers, body, *, access_key, secret_key, region, service, session_token=None, content_sha256=True):
    """Why the request (`headers` lower-cased, `path` with its query) is not correctly signed for
    access_key/secret_key (and session_token) in region for service, or []. `content_sha256`:
    `x-amz-content-sha256` must be signed (the playground always sends it; AWS's own clients
    leave it out for most services, and then only a value sent must be right)."""
    match = AUTHORIZATION.match(headers.get("authorization", ""))
    if not match:
        return [f"authorization is not SigV4: {headers.get('authorization')!r}"]
    found = []
    if (match["key"], match["region"], match["service"]) != (access_key, region, service):
        found.append(f"credential scope {match['key']}/{match['region']}/{match['service']}")
    signed = match["signed"].split(";")
    required = ["host", "x-amz-date"] + (["x-amz-content-sha256"] if content_sha256 else []) + (["x-amz-security-token"] if session_token else [])
    found += [f"{name} is not signed" for name in required if name not in signed]
    if session_token and headers.get("x-amz-security-token") != session_token:
        found.append("x-amz-security-token is not the session token")
    if not session_token and "x-amz-security-token" in headers:
        found.append("x-amz-security-token sent without a session token")
    if (content_sha256 or "x-amz-content-sha256" in headers) and headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
        found.append("x-amz-content-sha256 is not the body's SHA-256")
    amz_date = headers.get("x-amz-date", "")
    try:
        skew = abs((datetime.now(timezone.utc) - datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)).total_seconds())
        if skew > 300:
            found.append(f"x-amz-date is {skew:.0f} s away from now")
    except ValueError:
        found.append(f"x-amz-date {amz_date!r} is not a SigV4 timestamp")
    # botocore computes the signature it expects over exactly the headers the caller signed.
    request = AWSRequest(method=method, url=f"http://{headers['host']}{path}", data=body, headers={h: headers.get(h, "") for h in signed})
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(access_key, secret_key, session_token), service, region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if expected != match["signature"]:
        found.append("the signature does not match botocore's")
    return found
