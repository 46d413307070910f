#!/usr/bin/env python3
"""A spec-faithful Google Secret Manager and OAuth2 token server, for tests only.

No Secret Manager emulator works on this machine (PyPI `gcplocal` stubs `:access` without
registering the service; `cloudbox` needs Python 3.14 and serves `:access` as POST), so this
server implements the parts of the public REST reference freightliner uses, and nothing else:

  https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets
  https://developers.google.com/identity/protocols/oauth2/service-account (JWT bearer flow, RFC 7523)
  https://cloud.google.com/compute/docs/metadata/querying-metadata (metadata server token)

Endpoints:
  POST /token                          grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
                                       The RS256 signature is verified with the service account's public
                                       key; iss, aud (this URL), scope, iat and exp are checked as Google
                                       does. Answers {"access_token","expires_in","token_type"} or 400
                                       {"error":"invalid_grant","error_description":...}.
                                       grant_type=refresh_token&client_id&client_secret&refresh_token
                                       (RFC 6749 6, a user's application-default credentials): all three
                                       must be --client-id, --client-secret, --refresh-token; a wrong
                                       client is 401 invalid_client, a wrong refresh token 400 invalid_grant.
  GET  /computeMetadata/v1/instance/service-accounts/default/token
                                       Needs `Metadata-Flavor: Google`; answers with that header too.
  GET  /v1/projects/P/secrets                        list (pageSize, pageToken)
  POST /v1/projects/P/secrets?secretId=S             create (409 ALREADY_EXISTS when present)
  POST /v1/projects/P/secrets/S:addVersion           {"payload":{"data":BASE64}}
  GET  /v1/projects/P/secrets/S/versions/V:access    V = latest or a number
  DELETE /v1/projects/P/secrets/S
Errors use Google's shape: {"error":{"code":404,"message":...,"status":"NOT_FOUND"}}. A missing or
unknown bearer token is 401 UNAUTHENTICATED; a project other than --project is 403
PERMISSION_DENIED, worded as Google words it.

Test controls (not part of Google's API):
  POST /_test/expire-tokens   every token issued so far stops working (as after its hour is up)
  GET  /_test/stats           {"jwt_grants": N, "refresh_grants": R, "metadata_grants": M, "unauthenticated": K, "accesses": A}
"""
import argparse
import base64
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
PROJECT_NUMBER = "424242424242"
SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class State:
    def __init__(self, public_key, client_email, project, token_lifetime, user=None):
        self.public_key = public_key
        self.user = user  # (client_id, client_secret, refresh_token) of the authorized_user grant
        self.client_email = client_email
        self.project = project
        self.token_lifetime = token_lifetime
        self.lock = threading.Lock()
        self.tokens = {}  # token -> expiry (epoch seconds)
        self.secrets = {}  # secret id -> {"created": ts, "versions": [bytes or None]}
        self.stats = {"jwt_grants": 0, "refresh_grants": 0, "metadata_grants": 0, "unauthenticated": 0, "accesses": 0}

    def issue(self, kind):
        token = "ya29.test-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + self.token_lifetime
            self.stats[kind] += 1
        return token

    def valid(self, token):
        with self.lock:
            expiry = self.tokens.get(token)
            return expiry is not None and expiry > time.time()

    def count(self, what):
        with self.lock:
            self.stats[what] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State = None

    def log_message(self, fmt, *args):
        pass

    # ---- plumbing

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def google_error(self, code, status, message, headers=None):
        self.send_json(code, {"error": {"code": code, "message": message, "status": status}}, headers)


    def authorized(self):
        header = self.headers.get("Authorization") or ""
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        if token and self.state.valid(token):
            return True
        self.state.count("unauthenticated")
        self.google_error(
            401, "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
            "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'})
        return False

    def permitted(self, project, permission, resource):
        if project in (self.state.project, PROJECT_NUMBER):
            return True
        self.google_error(403, "PERMISSION_DENIED",
                          f"Permission '{permission}' denied for resource '{resource}' (or it may not exist).")
        return False

    # ---- OAuth2

    def token_grant(self):
        form = parse_qs(self.request_body.decode())
        grant = form.get("grant_type", [""])[0]
        if grant == "refresh_token" and self.state.user:
            client_id, client_secret, refresh_token = self.state.user
            if form.get("client_id", [""])[0] != client_id or form.get("client_secret", [""])[0] != client_secret:
                return self.send_json(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
            if form.get("refresh_token", [""])[0] != refresh_token:
                return self.send_json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            token = self.state.issue("refresh_grants")
            return self.send_json(200, {"access_token": token, "expires_in": self.state.token_lifetime, "token_type": "Bearer",
                                        "scope": SCOPE})
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.send_json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + grant})
        assertion = form.get("assertion", [""])[0]
        problem = self.check_assertion(assertion)
        if problem:
            return self.send_json(400, {"error": "invalid_grant", "error_description": problem})
        token = self.state.issue("jwt_grants")
        self.send_json(200, {"access_token": token, "expires_in": self.state.token_lifetime, "token_type": "Bearer"})

    def check_assertion(self, assertion):
        parts = assertion.split(".")
        if len(parts) != 3:
            return "Invalid JWT: the assertion is not a compact JWS."
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            return "Invalid JWT: the assertion is not base64url JSON."
        if header.get("alg") != "RS256":
            return "Invalid JWT: the algorithm must be RS256."
        try:
            self.state.public_key.verify(signature, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "Invalid JWT Signature."
        if claims.get("iss") != self.state.client_email:
            return "Invalid JWT: unknown issuer " + str(claims.get("iss"))
        expected_aud = f"http://{self.headers.get('Host')}/token"
        if claims.get("aud") != expected_aud:
            return f"Invalid JWT: aud must be {expected_aud}"
        if SCOPE not in str(claims.get("scope", "")).split():
            return "Invalid JWT: missing scope " + SCOPE
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or exp <= now or iat > now + 300 or exp - iat > 3600:
            return ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                    "Check your iat and exp values in the JWT claim.")
        return None

    def metadata_token(self):
        if self.headers.get("Metadata-Flavor") != "Google":
            body = b"Missing required header: Metadata-Flavor"
            self.send_response(403)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        token = self.state.issue("metadata_grants")
        self.send_json(200, {"access_token": token, "expires_in": self.state.token_lifetime, "token_type": "Bearer"},
                       {"Metadata-Flavor": "Google"})

    # ---- Secret Manager

    def route(self, method):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        path = url.path
        if method == "POST" and path == "/token":
            return self.token_grant()
        if method == "GET" and path == "/computeMetadata/v1/instance/service-accounts/default/token":
            return self.metadata_token()
        if method == "POST" and path == "/_test/expire-tokens":
            with self.state.lock:
                for token in self.state.tokens:
                    self.state.tokens[token] = 0
            return self.send_json(200, {})
        if method == "GET" and path == "/_test/stats":
            with self.state.lock:
                return self.send_json(200, dict(self.state.stats))

        match = re.fullmatch(r"/v1/projects/([^/]+)/secrets(?:/([^/:]+))?(?:/versions/([^/:]+))?(?::(\w+))?", path)
        if not match:
            return self.google_error(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")
        project, secret, version, verb = match.groups()
        if not self.authorized():
            return
        name = f"projects/{PROJECT_NUMBER}/secrets/{secret}"

        if method == "GET" and secret is None and verb is None:
            if not self.permitted(project, "secretmanager.secrets.list", f"projects/{project}"):
                return
            return self.list_secrets(query)
        if method == "POST" and secret is None and verb is None:
            if not self.permitted(project, "secretmanager.secrets.create", f"projects/{project}"):
                return
            return self.create_secret(query.get("secretId", [""])[0])
        if method == "POST" and version is None and verb == "addVersion":
            if not self.permitted(project, "secretmanager.versions.add", f"projects/{project}/secrets/{secret}"):
                return
            return self.add_version(secret, name)
        if method == "GET" and version is not None and verb == "access":
            if not self.permitted(project, "secretmanager.versions.access", f"projects/{project}/secrets/{secret}/versions/{version}"):
                return
            return self.access(secret, version, name)
        if method == "DELETE" and version is None and verb is None:
            if not self.permitted(project, "secretmanager.secrets.delete", f"projects/{project}/secrets/{secret}"):
                return
            with self.state.lock:
                existed = self.state.secrets.pop(secret, None) is not None
            if not existed:
                return self.google_error(404, "NOT_FOUND", f"Secret [{name}] not found.")
            return self.send_json(200, {})
        return self.google_error(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")

    def list_secrets(self, query):
        page_size = min(int(query.get("pageSize", ["25000"])[0] or 25000), 25000)
        offset = int(query.get("pageToken", ["0"])[0] or 0)
        with self.state.lock:
            ids = sorted(self.state.secrets)
        page = ids[offset:offset + page_size]
        answer = {"secrets": [{"name": f"projects/{PROJECT_NUMBER}/secrets/{s}", "replication": {"automatic": {}}} for s in page],
                  "totalSize": len(ids)}
        if offset + page_size < len(ids):
            answer["nextPageToken"] = str(offset + page_size)
        self.send_json(200, answer)

    def create_secret(self, secret_id):
        if not SECRET_ID.match(secret_id):
            return self.google_error(400, "INVALID_ARGUMENT",
                                     "Secret id contains illegal characters or is too long (it must match [a-zA-Z_0-9-]{1,255}).")
        name = f"projects/{PROJECT_NUMBER}/secrets/{secret_id}"
        with self.state.lock:
            if secret_id in self.state.secrets:
                return self.google_error(409, "ALREADY_EXISTS", f"Secret [{name}] already exists.")
            self.state.secrets[secret_id] = {"created": time.time(), "versions": []}
        self.send_json(200, {"name": name, "replication": {"automatic": {}},
                             "createTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def add_version(self, secret, name):
        try:
            request = json.loads(self.request_body or b"{}")
            data = base64.b64decode(request["payload"]["data"], validate=True)
        except (ValueError, KeyError, TypeError):
            return self.google_error(400, "INVALID_ARGUMENT", "Invalid value at 'payload.data' (TYPE_BYTES).")
        if len(data) > 65536:
            return self.google_error(400, "INVALID_ARGUMENT", "Secret Payload cannot be larger than 64KiB.")
        with self.state.lock:
            entry = self.state.secrets.get(secret)
            if entry is None:
                return self.google_error(404, "NOT_FOUND", f"Secret [{name}] not found.")
            entry["versions"].append(data)
            number = len(entry["versions"])
        self.send_json(200, {"name": f"{name}/versions/{number}", "state": "ENABLED",
                             "createTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def access(self, secret, version, name):
        self.state.count("accesses")
        with self.state.lock:
            entry = self.state.secrets.get(secret)
            versions = entry["versions"] if entry else []
            if version == "latest":
                number = len(versions)
            elif version.isdigit():
                number = int(version)
            else:
                return self.google_error(400, "INVALID_ARGUMENT", "Invalid resource field value in the request.")
            if entry is None or number < 1 or number > len(versions):
                missing = f"{name}/versions/{version}" if version != "latest" else name
                return self.google_error(404, "NOT_FOUND", f"Secret [{missing}] not found or has no versions.")
            data = versions[number - 1]
        self.send_json(200, {"name": f"{name}/versions/{number}", "payload": {"data": base64.b64encode(data).decode()}})

    # ---- dispatch: every request's body is read once, before routing

    def dispatch(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        self.request_body = self.rfile.read(length) if length else b""
        self.route(method)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--public-key", required=True, help="PEM public key of the test service account")
    parser.add_argument("--client-email", required=True)
    parser.add_argument("--project", required=True, help="the one project the service account may use")
    parser.add_argument("--token-lifetime", type=int, default=3599)
    parser.add_argument("--client-id", help="the OAuth client of the authorized_user grant")
    parser.add_argument("--client-secret")
    parser.add_argument("--refresh-token")
    args = parser.parse_args()
    with open(args.public_key, "rb") as handle:
        public_key = serialization.load_pem_public_key(handle.read())
    user = (args.client_id, args.client_secret, args.refresh_token) if args.refresh_token else None
    Handler.state = State(public_key, args.client_email, args.project, args.token_lifetime, user)
    ThreadingHTTPServer.request_queue_size = 256  # the default backlog of 5 resets bursts of connections
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
