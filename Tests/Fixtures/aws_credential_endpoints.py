#!/usr/bin/env python3
"""Two AWS credential endpoints that nothing real can serve on this machine, written to their
public contracts, for tests only. They hand out the keys they are given (the tests give a moto
identity, so what is read with them is still checked by moto's SigV4 verification).

    aws_credential_endpoints.py container --port P --token T --key-id K --secret S
        The container credentials endpoint ECS tasks and EKS Pod Identity reach through
        AWS_CONTAINER_CREDENTIALS_FULL_URI (docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html):
        any GET with `Authorization: T` answers {"AccessKeyId","SecretAccessKey","Token","Expiration"};
        another Authorization is 401, none 400 (as the EKS Pod Identity agent answers).

    aws_credential_endpoints.py sso --port P --token T --account A --role R --key-id K --secret S
        IAM Identity Center's GetRoleCredentials (docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_GetRoleCredentials.html):
        GET /federation/credentials?account_id=A&role_name=R with `x-amz-sso_bearer_token: T` answers
        {"roleCredentials":{"accessKeyId","secretAccessKey","sessionToken","expiration" (epoch ms)}};
        another token is 401 UnauthorizedException, another account or role 403 ForbiddenException.

Both count what they served at GET /_test/stats.
"""
import argparse
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None
    stats = {"served": 0, "refused": 0}
    lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def count(self, what):
        with self.lock:
            self.stats[what] += 1

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/_test/stats":
            with self.lock:
                return self.send_json(200, dict(self.stats))
        if self.args.kind == "container":
            return self.container()
        return self.sso(url)

    def container(self):
        authorization = self.headers.get("Authorization")
        if authorization is None:
            self.count("refused")
            return self.send_json(400, {"message": "Authorization header is missing"})
        if authorization != self.args.token:
            self.count("refused")
            return self.send_json(401, {"message": "Unauthorized"})
        self.count("served")
        expiration = datetime.fromtimestamp(time.time() + self.args.lifetime, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = {"AccessKeyId": self.args.key_id, "SecretAccessKey": self.args.secret, "Expiration": expiration}
        if self.args.session_token:
            answer["Token"] = self.args.session_token
        self.send_json(200, answer)

    def sso(self, url):
        if url.path != "/federation/credentials":
            return self.send_json(404, {"message": "not found"})
        query = parse_qs(url.query)
        if self.headers.get("x-amz-sso_bearer_token") != self.args.token:
            self.count("refused")
            return self.send_json(401, {"message": "Session token not found or invalid"},
                                  {"x-amzn-ErrorType": "UnauthorizedException"})
        if query.get("account_id") != [self.args.account] or query.get("role_name") != [self.args.role]:
            self.count("refused")
            return self.send_json(403, {"message": "No access"}, {"x-amzn-ErrorType": "ForbiddenException"})
        self.count("served")
        credentials = {"accessKeyId": self.args.key_id, "secretAccessKey": self.args.secret,
                       "expiration": int((time.time() + self.args.lifetime) * 1000)}
        if self.args.session_token:
            credentials["sessionToken"] = self.args.session_token
        self.send_json(200, {"roleCredentials": credentials})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["container", "sso"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--session-token")
    parser.add_argument("--account")
    parser.add_argument("--role")
    parser.add_argument("--lifetime", type=int, default=3600)
    Handler.args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", Handler.args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
