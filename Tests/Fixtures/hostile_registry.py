#!/usr/bin/env python3
"""A hostile registry, for tests only: it speaks just enough of the Distribution API to serve
(or receive) one small image, and misbehaves in the way its --mode says. Nothing real can play
these parts (docker-registry does not misbehave on request), so this is written to the public
Distribution spec and kept deliberately small.

Roles:
  --role registry   the registry under test, on 127.0.0.1
  --role collector  "another host" (reached as localhost, so a different host name and port):
                    it records every request and whether it carried an Authorization header
                    (GET /_log), serves the image's blobs by digest, takes uploads, and issues
                    tokens; it is where redirects, upload Locations and token realms point.

Registry modes (all require Basic auth as --user/--password, except token-realm):
  ok                    a well-behaved registry (the baseline a test compares against)
  big-manifest          the manifest is 5 MiB, announced with Content-Length
  big-manifest-chunked  the same, chunked, with no length announced
  bad-blob              the layer's bytes do not match its digest (same size)
  redirect              blob GETs answer 307 to the collector (or to --redirect-to BASE/DIGEST)
  upload-location       uploads answer 202 with a Location on the collector (a hostile
                        destination: the blob bytes go there)
  token-realm           Bearer auth whose realm is plain HTTP on the collector; no token it issues
                        is ever accepted
  link-loop             tags/list links to itself
  link-cycle            tags/list page 1 links to page 2, which links back to page 1
  link-stuck            tags/list ignores `last`: every page is the same, with a link to a new URL
  catalog-loop          the catalog links to itself
  evil-catalog          the catalog lists a name with '..' components, aimed outside a prefix
  evil-tags             tags/list lists a tag that is a path ("../../../escape/manifests/pwn")
  escape-error          the manifest GET fails with a message full of terminal escape sequences
  huge-header           manifest answers carry a 1 MiB header line
  many-headers          manifest answers carry 300 KiB of header lines, each of them small
  slowloris             manifest answers trickle out one byte every --trickle-ms
"""
import argparse
import base64
import gzip
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

REPOSITORY = "hostile/app"
TAG = "v1"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build_image():
    """One OCI image: a config and a gzipped layer, the same in every process."""
    content = b"freightliner hostile registry layer\n" * 2000
    layer = gzip.compress(content, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [digest(content)]}}, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(layer), "size": len(layer)}],
    }, sort_keys=True).encode()
    return manifest, {digest(config): config, digest(layer): layer}, digest(layer)


MANIFEST, BLOBS, LAYER_DIGEST = build_image()
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def add(self, handler):
        with self.lock:
            self.entries.append({"method": handler.command, "path": urlparse(handler.path).path,
                                 "authorization": handler.headers.get("Authorization") is not None,
                                 "host": handler.headers.get("Host")})

    def snapshot(self):
        with self.lock:
            return list(self.entries)


class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log = None

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b"", headers=(), head_only=False, content_type="application/json"):
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head_only and body:
            self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        self.answer(status, json.dumps({"errors": [{"code": code, "message": message}]}).encode(), headers,
                    head_only=self.command == "HEAD")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.handle_request()

    def do_HEAD(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def do_PATCH(self):
        self.handle_request()

    def do_DELETE(self):
        self.handle_request()


def make_collector(log):
    class Collector(Base):
        def handle_request(self):
            path = urlparse(self.path).path
            if path == "/_log":
                return self.answer(200, json.dumps(log.snapshot()).encode())
            log.add(self)
            body = self.read_body()
            if path.startswith("/token"):
                return self.answer(200, json.dumps({"token": "collector-token", "expires_in": 300}).encode())
            if path.startswith("/blobs/"):
                data = BLOBS.get(path.rsplit("/", 1)[-1])
                if data is None:
                    return self.error(404, "BLOB_UNKNOWN", "no such blob")
                return self.answer(200, data, head_only=self.command == "HEAD", content_type="application/octet-stream")
            if path.startswith("/upload/"):
                if self.command == "PUT":
                    claimed = parse_qs(urlparse(self.path).query).get("digest", [""])[0]
                    return self.answer(201, headers=[("Docker-Content-Digest", digest(body) if body else claimed)])
                return self.answer(202, headers=[("Location", path)])
            self.error(404, "NOT_FOUND", "the collector has nothing here")

    return Collector


def make_registry(mode, collector, user, password, trickle_ms, log, redirect_to):
    expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    manifest_path = "/v2/%s/manifests/" % REPOSITORY

    class Registry(Base):
        def authorized(self):
            if mode == "token-realm":
                if self.headers.get("Authorization") == "Bearer registry-only-token":
                    return True
                challenge = 'Bearer realm="http://%s/token",service="hostile",scope="repository:%s:pull"' % (collector, REPOSITORY)
                self.error(401, "UNAUTHORIZED", "authentication required", [("WWW-Authenticate", challenge)])
                return False
            if self.headers.get("Authorization") == expected:
                return True
            self.error(401, "UNAUTHORIZED", "authentication required", [("WWW-Authenticate", 'Basic realm="hostile"')])
            return False

        def handle_request(self):
            url = urlparse(self.path)
            path = url.path
            if path == "/_log":
                return self.answer(200, json.dumps(log.snapshot()).encode())
            log.add(self)
            body = self.read_body()
            if not self.authorized():
                return
            if path == "/v2/":
                return self.answer(200, b"{}")
            if path == "/v2/_catalog":
                return self.catalog(url)
            if path == "/v2/%s/tags/list" % REPOSITORY:
                return self.tags(url)
            if path.startswith(manifest_path):
                return self.manifest(path[len(manifest_path):], body)
            if path.startswith("/v2/%s/blobs/uploads/" % REPOSITORY):
                return self.upload(path)
            if path.startswith("/v2/%s/blobs/" % REPOSITORY):
                return self.blob(path.rsplit("/", 1)[-1])
            self.error(404, "NAME_UNKNOWN", "repository name not known to registry")

        def catalog(self, url):
            links = [("Link", '<%s>; rel="next"' % self.path)] if mode == "catalog-loop" else []
            names = [REPOSITORY, "hostile/../../escape/app"] if mode == "evil-catalog" else [REPOSITORY]
            self.answer(200, json.dumps({"repositories": names}).encode(), links)

        def tags(self, url):
            query = parse_qs(url.query)
            links = []
            if mode == "link-loop":
                links = [("Link", '<%s>; rel="next"' % self.path)]
            elif mode == "link-cycle":
                page = "2" if query.get("page") != ["2"] else "1"
                links = [("Link", '</v2/%s/tags/list?page=%s>; rel="next"' % (REPOSITORY, page))]
            elif mode == "link-stuck":
                last = int(query.get("last", ["0"])[0]) + 1
                links = [("Link", '</v2/%s/tags/list?n=1&last=%d>; rel="next"' % (REPOSITORY, last))]
            tags = [TAG, "../../../escape/manifests/pwn"] if mode == "evil-tags" else [TAG]
            self.answer(200, json.dumps({"name": REPOSITORY, "tags": tags}).encode(), links)

        def manifest(self, reference, body):
            if self.command == "PUT":
                return self.answer(201, headers=[("Docker-Content-Digest", digest(body))])
            if mode == "upload-location":
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            if reference not in (TAG, digest(MANIFEST)):
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            head_only = self.command == "HEAD"
            headers = [("Docker-Content-Digest", digest(MANIFEST))]
            if mode == "huge-header":
                headers.append(("X-Padding", "p" * (1 << 20)))
            if mode == "many-headers":
                headers += [("X-Padding-%d" % index, "p" * 90) for index in range(3000)]
            if mode == "slowloris":
                return self.trickle(MANIFEST, headers, head_only)
            if mode == "escape-error" and not head_only:
                return self.error(400, "MANIFEST_INVALID", "bad manifest\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b1m")
            if mode in ("big-manifest", "big-manifest-chunked") and not head_only:
                return self.big_manifest(chunked=mode == "big-manifest-chunked")
            self.answer(200, MANIFEST, headers, head_only=head_only, content_type=MANIFEST_TYPE)

        def big_manifest(self, chunked):
            padding = b" " * (5 * 1024 * 1024)
            data = MANIFEST[:-1] + b',"annotations":{"padding":"' + padding + b'"}}'
            self.send_response(200)
            self.send_header("Content-Type", MANIFEST_TYPE)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for start in range(0, len(data), 65536):
                    chunk = data[start:start + 65536]
                    if chunked:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    else:
                        self.wfile.write(chunk)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def trickle(self, body, headers, head_only):
            """The status line, then everything else one byte at a time."""
            lines = ["Content-Type: %s" % MANIFEST_TYPE, "Content-Length: %d" % len(body)]
            lines += ["%s: %s" % header for header in headers]
            rest = ("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else body)
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self.wfile.flush()
                for byte in rest:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(trickle_ms / 1000.0)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def blob(self, name):
            data = BLOBS.get(name)
            if data is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            head_only = self.command == "HEAD"
            if mode == "upload-location":
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            if mode == "redirect" and not head_only:
                base = redirect_to or "http://%s/blobs" % collector
                return self.answer(307, headers=[("Location", "%s/%s" % (base, name))])
            if mode == "bad-blob" and name == LAYER_DIGEST and not head_only:
                data = bytes(b ^ 0x01 for b in data[:16]) + data[16:]
            self.answer(200, data, [("Docker-Content-Digest", name)], head_only=head_only,
                        content_type="application/octet-stream")

        def upload(self, path):
            if mode != "upload-location":
                return self.error(405, "UNSUPPORTED", "this registry is read-only")
            if self.command == "POST":
                return self.answer(202, headers=[("Location", "http://%s/upload/session-1" % collector)])
            self.answer(204)

    return Registry


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["registry", "collector"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--collector", default="", help="HOST:PORT of the collector, as the registry names it")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="hostile-test-pw")
    parser.add_argument("--trickle-ms", type=int, default=500)
    parser.add_argument("--redirect-to", default="", help="base URL blob redirects point to (default: the collector)")
    args = parser.parse_args()
    log = Log()
    if args.role == "collector":
        handler = make_collector(log)
    else:
        handler = make_registry(args.mode, args.collector, args.user, args.password, args.trickle_ms, log, args.redirect_to)
    Server(("127.0.0.1", args.port), handler).serve_forever()


if __name__ == "__main__":
    main()
