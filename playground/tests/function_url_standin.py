"""A stand-in for a Function URL with AWS_IAM auth: checks each request's SigV4 signature with
botocore (an implementation independent of the playground's aws-sigv4), then streams an answer.

Usage: python3 function_url_standin.py [--forward URL] ACCESS_KEY SECRET_KEY REGION [SESSION_TOKEN]
Prints `listening on http://127.0.0.1:PORT` once ready. A request whose signature checks out gets
200 and a body in two chunks: the first at once, the second only after a line arrives on stdin
(so a test can prove the first chunk reached it before the stand-in finished). With `--forward
URL` (the offline stack's Function URL), a verified request goes on to URL + its path instead and
its answer (status, content type, body) streams back as it arrives, the way a real Function URL
passes a signed request to the function. Anything else gets 403 with {"message": why}, as AWS
answers a bad signature.
"""

import json
import queue
import sys
import threading
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import sigv4_check

ARGS = sys.argv[1:]
FORWARD = urlsplit(ARGS[1]) if ARGS[:1] == ["--forward"] else None
if FORWARD:
    ARGS = ARGS[2:]
ACCESS_KEY, SECRET_KEY, REGION = ARGS[0:3]
SESSION_TOKEN = ARGS[3] if len(ARGS) > 3 else None
releases = queue.Queue()


def problems(method, path, headers, body):
    """Why the request is not correctly signed for ACCESS_KEY/SECRET_KEY (and SESSION_TOKEN), or []."""
    return sigv4_check.problems(
        method, path, headers, body, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, service="lambda", session_token=SESSION_TOKEN
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        found = problems(self.command, self.path, headers, body)
        if found:
            payload = json.dumps({"message": "; ".join(found)}).encode()
            self.send_response(403)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if FORWARD:
            self.forward(headers, body)
            return
        self.send_response(200)
        self.send_header("content-type", "application/x-ndjson")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        seen = {"method": self.command, "path": self.path, "signedHeaders": sigv4_check.AUTHORIZATION.match(headers["authorization"])["signed"], "body": body.decode()}
        self.chunk(json.dumps({"type": "verified", **seen}) + "\n")
        releases.get(timeout=30)
        self.chunk(json.dumps({"type": "released"}) + "\n")
        self.wfile.write(b"0\r\n\r\n")

    def forward(self, headers, body):
        """Passes the verified request to FORWARD (the signing headers dropped) and streams the
        answer back, its headers but the framing ones, chunk by chunk as it arrives."""
        upstream = HTTPConnection(FORWARD.hostname, FORWARD.port, timeout=60)
        passed = {name: value for name, value in headers.items() if name in ("content-type", "accept")}
        upstream.request(self.command, FORWARD.path.rstrip("/") + self.path, body=body or None, headers=passed)
        answer = upstream.getresponse()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "content-length", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        while data := answer.read1(65536):
            self.chunk(data)
        self.wfile.write(b"0\r\n\r\n")
        upstream.close()

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


def read_releases():
    for line in sys.stdin:
        releases.put(line)


threading.Thread(target=read_releases, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
