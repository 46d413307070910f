#!/usr/bin/env python3
"""A token service to the Docker Registry token authentication spec, for tests only.

docker-registry (CNCF distribution 2.8) is configured with `auth: token:` pointing here; it
verifies our RS256 JWTs against the certificate we are given (`rootcertbundle`), exactly as it
would a production token service. Written from the public spec:
https://distribution.github.io/distribution/spec/auth/token/ and .../jwt/

GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]
  - Basic credentials matching --user/--password: every requested action is granted.
  - No credentials: an anonymous token with no access (the registry then answers 401).
  - Wrong credentials: 401 with a JSON error body.
GET /stats: {"issued": N, "anonymous": M, "refused": K} so tests can count token requests.
"""
import argparse
import ssl
import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ISSUER = "freightliner-test-issuer"
SERVICE = "freightliner-test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class State:
    def __init__(self, key, cert_der, user, password):
        self.key = key
        self.cert_der = cert_der
        self.user = user
        self.password = password
        self.lock = threading.Lock()
        self.stats = {"issued": 0, "anonymous": 0, "refused": 0}

    def count(self, what):
        with self.lock:
            self.stats[what] += 1

    def token(self, subject, access):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


def parse_scope(scope):
    # resource type : name (may contain ':' for host:port style names, not used here) : actions
    kind, rest = scope.split(":", 1)
    name, actions = rest.rsplit(":", 1)
    return {"type": kind, "name": name, "actions": actions.split(",")}


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/stats":
                with state.lock:
                    return self.reply(200, dict(state.stats))
            if url.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            query = parse_qs(url.query)
            scopes = [parse_scope(s) for s in query.get("scope", [])]
            auth = self.headers.get("Authorization", "")
            if not auth:
                state.count("anonymous")
                token = state.token("", [])
                return self.reply(200, {"token": token, "access_token": token, "expires_in": 300})
            try:
                kind, value = auth.split(" ", 1)
                user, password = base64.b64decode(value).decode().split(":", 1)
            except Exception:
                kind, user, password = "", "", ""
            if kind.lower() != "basic" or user != state.user or password != state.password:
                state.count("refused")
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]})
            state.count("issued")
            token = state.token(user, scopes)
            return self.reply(200, {"token": token, "access_token": token, "expires_in": 300})

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (and --tls-key)")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    with open(args.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(args.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    state = State(key, cert.public_bytes(serialization.Encoding.DER), args.user, args.password)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state), bind_and_activate=False)
    # socketserver's listen backlog of 5 drops the SYNs of a client asking for many scopes at
    # once, and each dropped one costs the kernel's 1 s retransmission timeout.
    server.request_queue_size = 128
    server.server_bind()
    server.server_activate()
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
