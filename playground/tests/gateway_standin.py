"""A local stand-in for a stack's API Gateway REST API (authType API_KEY or COGNITO), a TEST AID
ONLY: it proves that the tools send the key or token and what a caller sees without one. It is not
API Gateway: it checks one header, answers refusals in the shape the stack's gateway responses use
(pulumi/, docs/api.md) and forwards the rest to the offline stack's Function URL as it is (no REST
v1 event, no usage plan, no throttling, no CORS). What only a real deploy shows is listed in
docs/deploy.md ("Invoke").

Usage: python3 gateway_standin.py [--forward URL] [--stage NAME] [--public-page]
           (--api-key ID VALUE | --cognito CLIENT_ID USERNAME PASSWORD [--token-seconds N])
           [--aws ACCESS_KEY SECRET_KEY REGION]

Prints `listening on http://127.0.0.1:PORT/STAGE/ control http://127.0.0.1:PORT2` once ready.

- The API, at /STAGE/: `OPTIONS` (preflights) is answered without a key or token, as the stack's
  gateway does, and with --public-page `GET /` and `GET /index.html` (the page) too; every other
  request needs `x-api-key: VALUE` (else 403 `api_key_required`) or `Authorization: <an ID token
  this stand-in issued, unexpired>` (else 401 `unauthorized`), then goes on to URL + its path below the stage,
  with only `content-type`, `accept` and `last-event-id`, its answer streamed back chunk by chunk;
  without --forward, it is answered 200 with one NDJSON line `{"type": "admitted", method, path,
  body}` (path: below the stage).
- The control endpoint (what the tools reach through AWS_ENDPOINT_URL_API_GATEWAY and
  AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER): API Gateway's GetApiKey, `GET /apikeys/ID
  ?includeValue=true`, its SigV4 signature (service `apigateway`) checked with botocore against
  --aws; Cognito's InitiateAuth (`POST /`, `X-Amz-Target: AWSCognitoIdentityProviderService.
  InitiateAuth`, USER_PASSWORD_AUTH), answered with an ID token (a JWT whose payload has `exp`;
  the signature is not real) living --token-seconds; and `GET /log`: what arrived so far
  (`{"requests": [{method, path, status, apiKey, authorization}], "signIns": n}`, the key and
  token shown only as whether they matched).
"""

import argparse
import base64
import json
import secrets
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import sigv4_check

parser = argparse.ArgumentParser()
parser.add_argument("--forward")
parser.add_argument("--stage", default="live")
parser.add_argument("--public-page", action="store_true")
kind = parser.add_mutually_exclusive_group(required=True)
kind.add_argument("--api-key", nargs=2, metavar=("ID", "VALUE"))
kind.add_argument("--cognito", nargs=3, metavar=("CLIENT_ID", "USERNAME", "PASSWORD"))
parser.add_argument("--token-seconds", type=int, default=3600)
parser.add_argument("--aws", nargs=3, metavar=("ACCESS_KEY", "SECRET_KEY", "REGION"))
ARGS = parser.parse_args()
FORWARD = urlsplit(ARGS.forward) if ARGS.forward else None
PREFIX = f"/{ARGS.stage}"

lock = threading.Lock()
log = {"requests": [], "signIns": 0}
issued = {}  # ID token -> expiry (epoch seconds)


def refusal(code, message):
    """A gateway refusal in the shape of the stack's gateway responses (pulumi/gatewayResponses.ts:
    the function's error shape)."""
    return {"type": "error", "code": code, "message": message}


def jwt(claims):
    """A token shaped like a JWT (header.payload.signature, base64url); the signature is random."""
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'kid': 'standin'})}.{part(claims)}.{secrets.token_urlsafe(32)}"


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = urlsplit(self.path).path
        entry = {"method": self.command, "path": self.path}
        if ARGS.api_key:
            entry["apiKey"] = "none" if "x-api-key" not in headers else ("match" if headers["x-api-key"] == ARGS.api_key[1] else "other")
        else:
            token = headers.get("authorization")
            entry["authorization"] = "none" if token is None else ("issued" if token in issued else "other")
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return self.refuse(entry, 404, "not_found", "API Gateway has no route for this request")
        below = self.path[len(PREFIX):] or "/"
        page = self.command == "GET" and urlsplit(below).path in ("/", "/index.html")
        public = self.command == "OPTIONS" or (ARGS.public_page and page)
        if self.command == "OPTIONS":
            return self.send_simple(entry, 204, None)
        if not public and ARGS.api_key and entry["apiKey"] != "match":
            return self.refuse(entry, 403, "api_key_required", "this API needs a valid API key in the x-api-key header; the request had none, or one this API does not accept")
        if not public and ARGS.cognito:
            token = headers.get("authorization")
            if token not in issued or issued[token] <= time.time():
                return self.refuse(entry, 401, "unauthorized", "this API needs a valid Cognito ID token of its user pool in the Authorization header (API Gateway said: Unauthorized); sign in again for a fresh one")
        if FORWARD:
            return self.forward(entry, below, headers, body)
        admitted = {"type": "admitted", "method": self.command, "path": below, "body": body.decode()}
        self.send_simple(entry, 200, admitted, "application/x-ndjson")

    def refuse(self, entry, status, code, message):
        self.send_simple(entry, status, refusal(code, message))

    def send_simple(self, entry, status, payload, content_type="application/json"):
        data = (json.dumps(payload) + ("\n" if content_type == "application/x-ndjson" else "")).encode() if payload is not None else b""
        entry["status"] = status
        with lock:
            log["requests"].append(entry)
        self.send_response(status)
        if payload is not None:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward(self, entry, below, headers, body):
        """Passes the request to FORWARD + its path below the stage, with only the headers the
        function reads, and streams the answer back chunk by chunk as it arrives."""
        upstream = HTTPConnection(FORWARD.hostname, FORWARD.port, timeout=60)
        passed = {name: value for name, value in headers.items() if name in ("content-type", "accept", "last-event-id")}
        upstream.request(self.command, FORWARD.path.rstrip("/") + below, body=body or None, headers=passed)
        answer = upstream.getresponse()
        entry["status"] = answer.status
        with lock:
            log["requests"].append(entry)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "content-length", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        while data := answer.read1(65536):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = answer

    def log_message(self, *args):
        pass


class Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, payload, error_type=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        url = urlsplit(self.path)
        if url.path == "/log":
            with lock:
                return self.reply(200, log)
        if not url.path.startswith("/apikeys/") or not ARGS.api_key:
            return self.reply(404, {"message": f"no such resource {url.path}"}, "NotFoundException")
        headers = {name.lower(): value for name, value in self.headers.items()}
        if ARGS.aws:
            access_key, secret_key, region = ARGS.aws
            found = sigv4_check.problems("GET", self.path, headers, b"", access_key=access_key, secret_key=secret_key, region=region, service="apigateway", content_sha256=False)
            if found:
                return self.reply(403, {"message": "; ".join(found)}, "InvalidSignatureException")
        key_id, value = ARGS.api_key
        if url.path != f"/apikeys/{key_id}":
            return self.reply(404, {"message": "Invalid API Key identifier specified"}, "NotFoundException")
        key = {"id": key_id, "name": "default", "enabled": True, "stageKeys": []}
        if parse_qs(url.query).get("includeValue") == ["true"]:
            key["value"] = value
        self.reply(200, key)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.headers.get("x-amz-target") != "AWSCognitoIdentityProviderService.InitiateAuth" or not ARGS.cognito:
            return self.reply(400, {"__type": "UnknownOperationException", "message": self.headers.get("x-amz-target")})
        if self.headers.get("content-type") != "application/x-amz-json-1.1":
            return self.reply(400, {"__type": "SerializationException", "message": "content-type is not application/x-amz-json-1.1"})
        client_id, username, password = ARGS.cognito
        request = json.loads(body)
        with lock:
            log["signIns"] += 1
        if request.get("ClientId") != client_id:
            return self.reply(400, {"__type": "ResourceNotFoundException", "message": f"User pool client {request.get('ClientId')} does not exist."})
        if request.get("AuthFlow") != "USER_PASSWORD_AUTH":
            return self.reply(400, {"__type": "InvalidParameterException", "message": f"auth flow {request.get('AuthFlow')} is not enabled"})
        parameters = request.get("AuthParameters", {})
        if (parameters.get("USERNAME"), parameters.get("PASSWORD")) != (username, password):
            return self.reply(400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."})
        expires = int(time.time()) + ARGS.token_seconds
        token = jwt({"sub": "standin-sub", "cognito:username": username, "token_use": "id", "aud": client_id, "exp": expires})
        with lock:
            issued[token] = expires
        result = {"IdToken": token, "AccessToken": jwt({"token_use": "access", "exp": expires}), "ExpiresIn": ARGS.token_seconds, "TokenType": "Bearer"}
        self.reply(200, {"AuthenticationResult": result, "ChallengeParameters": {}})

    def log_message(self, *args):
        pass


api = ThreadingHTTPServer(("127.0.0.1", 0), Api)
control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
threading.Thread(target=control.serve_forever, daemon=True).start()
print(f"listening on http://127.0.0.1:{api.server_address[1]}{PREFIX}/ control http://127.0.0.1:{control.server_address[1]}", flush=True)
api.serve_forever()
