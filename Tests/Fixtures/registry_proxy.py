#!/usr/bin/env python3
"""A proxy in front of a real docker-registry, for tests.

It forwards every request (bodies streamed both ways, the client's Host header kept so the
registry's Location URLs point back here) and adds what the real registry lacks or what a test
needs to provoke:

  --tags-page-size N   paginate GET /v2/NAME/tags/list per the Distribution spec (`n`, `last`,
                       `Link: <...>; rel="next"`); distribution 2.8 always returns every tag.
  --delay-ms N         hold every blob GET for N ms first, so a test can act mid-run (kill,
                       interrupt, delete a tag) without racing the clock.

Counters of forwarded requests by method are served at GET /_proxy/stats.
"""
import argparse
import http.client
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

TAGS_PATH = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1


BLOB_PATH = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")


def make_handler(upstream, tags_page_size, delay_ms, stats):
    host, port = upstream.split(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send_json(self, status, body, extra=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def forward(self, method):
            url = urlparse(self.path)
            if url.path == "/_proxy/stats":
                with stats.lock:
                    return self.send_json(200, dict(stats.counts))
            stats.add(method)
            if delay_ms and method == "GET" and BLOB_PATH.match(url.path):
                time.sleep(delay_ms / 1000.0)
            length = self.headers.get("Content-Length")
            chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
            connection = http.client.HTTPConnection(host, int(port), timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            body = None
            if chunked:
                body = self.read_chunked()
                headers["Content-Length"] = str(len(body))
            elif length:
                body = self.rfile.read(int(length))
            match = TAGS_PATH.match(url.path)
            if method == "GET" and tags_page_size and match:
                return self.paginated_tags(connection, headers, match.group("name"), parse_qs(url.query))
            connection.request(method, self.path, body=body, headers=headers)
            response = connection.getresponse()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            if response.getheader("Content-Length") is None and method != "HEAD" and response.status not in (204, 304):
                data = response.read()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.end_headers()
            while method != "HEAD":
                chunk = response.read(65536)
                if not chunk:
                    break
                self.wfile.write(chunk)

        def read_chunked(self):
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()

        def paginated_tags(self, connection, headers, name, query):
            connection.request("GET", "/v2/%s/tags/list" % name, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                self.send_response(response.status)
                for header, value in response.getheaders():
                    if header.lower() not in HOP_BY_HOP and header.lower() != "content-length":
                        self.send_header(header, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            tags = sorted(json.loads(data).get("tags") or [])
            page_size = min(int(query.get("n", [tags_page_size])[0]), tags_page_size)
            last = query.get("last", [None])[0]
            if last is not None:
                tags = [t for t in tags if t > last]
            page, more = tags[:page_size], len(tags) > page_size
            extra = []
            if more:
                extra.append(("Link", '</v2/%s/tags/list?n=%d&last=%s>; rel="next"' % (name, page_size, quote(page[-1]))))
            self.send_json(200, {"name": name, "tags": page}, extra)

        def do_GET(self):
            self.forward("GET")

        def do_HEAD(self):
            self.forward("HEAD")

        def do_PUT(self):
            self.forward("PUT")

        def do_POST(self):
            self.forward("POST")

        def do_PATCH(self):
            self.forward("PATCH")

        def do_DELETE(self):
            self.forward("DELETE")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real registry")
    parser.add_argument("--tags-page-size", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port),
                                 make_handler(args.upstream, args.tags_page_size, args.delay_ms, Stats()))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
