#!/usr/bin/env python3
"""A proxy in front of a real docker-registry, for tests.

It forwards every request (bodies streamed both ways, the client's Host header kept so the
registry's Location URLs point back here) and adds what the real registry lacks or what a test
needs to provoke:

  --tags-page-size N   paginate GET /v2/NAME/tags/list per the Distribution spec (`n`, `last`,
                       `Link: <...>; rel="next"`); distribution 2.8 always returns every tag.
  --delay-ms N         hold every blob GET for N ms first, so a test can act mid-run (kill,
                       interrupt, delete a tag) without racing the clock.
  --delete-delay-ms N  the same for every DELETE (a prune a test kills half way).
  --request-delay-ms N hold every request for N ms (a round trip across a WAN); `max_in_flight`
                       in the stats is the most requests the proxy held at once.
  --referrers          the OCI 1.1 referrers API, which distribution 2.8 lacks, written to the
                       distribution spec's "Listing Referrers" section: a manifest PUT through
                       the proxy that has a `subject` is recorded (descriptor with its
                       artifactType, else its config's media type, and annotations) and answered
                       with `OCI-Subject`; GET /v2/NAME/referrers/DIGEST[?artifactType=T] serves
                       the recorded ones as an image index (`OCI-Filters-Applied: artifactType`
                       when filtered), an empty one for a subject nothing refers to.
  --pull-limit N       a pull allowance as Docker Hub's: every manifest GET counts (HEADs do
                       not); manifest answers carry `ratelimit-limit: N;w=21600` and
                       `ratelimit-remaining: LEFT;w=21600`, and a GET beyond the limit is 429
                       TOOMANYREQUESTS, as Docker Hub answers it. `pulls_over_limit` counts those;
                       POST /_proxy/reset-pulls starts a new window.
  --answer METHOD:REGEX:STATUS   (repeatable) answer STATUS, with a distribution error body and
                       without forwarding, to METHOD requests whose path matches REGEX (a listing
                       that fails, a repository that vanished).

Fault injection (a flaky network and an overloaded registry, reproducibly):

  --fault-rate R       the share of requests (0..1) that get a fault instead of a clean answer.
  --faults KINDS       comma-separated, from:
                         reset     the connection is reset (RST): mid-body for a response with a
                                   body, else after forwarding and before answering (so a write
                                   may have happened and its answer is lost)
                         error     408, 500 or 503 without forwarding
                         throttle  429 with `Retry-After: --retry-after` without forwarding
                         stall     the answer stops for --stall-ms (mid-body, or before the head),
                                   then goes on if the client still listens
                         truncate  the body stops half way and the connection closes cleanly
                                   (the Content-Length promised more)
                       default: all of them.
  --seed N             whether a request gets a fault is decided from (seed, method, path, how
                       many times that method and path were asked before): the same run of
                       requests gets the same faults whatever the thread interleaving. Each kind
                       is used once before any is used again, so a short run sees them all.
  --fault-streak-limit N  after N faults in a row for one method and path, the next request for
                       it goes through: a retrying client always gets there.
  --stall-ms N, --retry-after SECONDS

GET /_proxy/stats serves counters: requests forwarded by method, `faults` by kind,
`faults_total`, and the body bytes received from clients (`request_body_bytes`, counted as they
arrive, so an upload killed half way counts what it sent) and sent to them
(`response_body_bytes`).
"""
import argparse
import hashlib
import http.client
import io
import json
import random
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

TAGS_PATH = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
REFERRERS_PATH = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>sha256:[0-9a-f]{64})$")
MANIFEST_PUT = re.compile(r"^/v2/(?P<name>.+)/manifests/[^/]+$")
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")
BLOB_PATH = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
UPLOAD_SESSION = re.compile(r"^(?P<prefix>/v2/.+/blobs/uploads/)[^/]+$")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}
FAULT_KINDS = ("reset", "error", "throttle", "stall", "truncate")


class InjectedDisconnect(Exception):
    """The client connection is closed (a fault, or the client went away): stop at once."""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.faults = {kind: 0 for kind in FAULT_KINDS}
        self.request_body_bytes = 0
        self.response_body_bytes = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def add(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def enter(self):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self):
        with self.lock:
            self.in_flight -= 1

    def fault(self, kind):
        with self.lock:
            self.faults[kind] += 1

    def received(self, count):
        with self.lock:
            self.request_body_bytes += count

    def sent(self, count):
        with self.lock:
            self.response_body_bytes += count

    def snapshot(self):
        with self.lock:
            result = dict(self.counts)
            result["faults"] = dict(self.faults)
            result["faults_total"] = sum(self.faults.values())
            result["request_body_bytes"] = self.request_body_bytes
            result["response_body_bytes"] = self.response_body_bytes
            result["max_in_flight"] = self.max_in_flight
            return result


class FaultPlan:
    """Decides, reproducibly, which requests get which fault."""

    def __init__(self, rate, kinds, seed, streak_limit):
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.streak_limit = streak_limit
        self.lock = threading.Lock()
        self.asked = {}
        self.streaks = {}
        self.chosen = set()

    @staticmethod
    def key(method, path):
        # Upload sessions have random ids: they count as one path, so a streak is bounded
        # across the retries of one blob too.
        match = UPLOAD_SESSION.match(path)
        return "%s %s" % (method, match.group("prefix") + "*" if match else path)

    def choose(self, method, path, has_body):
        if self.rate <= 0 or not self.kinds:
            return None
        key = self.key(method, path)
        with self.lock:
            count = self.asked.get(key, 0)
            self.asked[key] = count + 1
            rng = random.Random("%s|%s|%d" % (self.seed, key, count))
            if rng.random() >= self.rate or self.streaks.get(key, 0) >= self.streak_limit:
                self.streaks[key] = 0
                return None
            kinds = [k for k in self.kinds if has_body or k != "truncate"]
            if not kinds:
                self.streaks[key] = 0
                return None
            self.streaks[key] = self.streaks.get(key, 0) + 1
            # Every kind is chosen once before any is chosen again: a short run sees them all.
            unused = [k for k in kinds if k not in self.chosen]
            kind = rng.choice(unused or kinds)
            self.chosen.add(kind)
            return kind


class Referrers:
    """What referrers API the proxy serves: (repository, subject digest) -> descriptors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.recorded = {}

    def record(self, name, body, content_type):
        try:
            manifest = json.loads(body)
        except ValueError:
            return None
        subject = manifest.get("subject") if isinstance(manifest, dict) else None
        if not isinstance(subject, dict) or "digest" not in subject:
            return None
        descriptor = {"mediaType": manifest.get("mediaType") or content_type,
                      "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}
        artifact_type = manifest.get("artifactType") or (manifest.get("config") or {}).get("mediaType")
        if artifact_type:
            descriptor["artifactType"] = artifact_type
        if manifest.get("annotations"):
            descriptor["annotations"] = manifest["annotations"]
        with self.lock:
            listed = self.recorded.setdefault((name, subject["digest"]), [])
            if all(d["digest"] != descriptor["digest"] for d in listed):
                listed.append(descriptor)
        return subject["digest"]

    def listing(self, name, digest, artifact_type):
        with self.lock:
            listed = list(self.recorded.get((name, digest), []))
        if artifact_type:
            listed = [d for d in listed if d.get("artifactType") == artifact_type]
        return {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": listed}


class Pulls:
    """What is left of a --pull-limit allowance."""

    def __init__(self, limit):
        self.lock = threading.Lock()
        self.remaining = limit or 0

    def take(self):
        with self.lock:
            self.remaining -= 1
            return self.remaining

    def left(self):
        with self.lock:
            return self.remaining

    def reset(self, limit):
        """The window passes: the whole allowance again."""
        with self.lock:
            self.remaining = limit or 0


def make_handler(upstream, tags_page_size, delay_ms, stats, plan, stall_ms, retry_after, delete_delay_ms=0, answers=(),
                 pull_limit=None, referrers=None, request_delay_ms=0):
    host, port = upstream.split(":")
    pulls = Pulls(pull_limit)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send_json(self, status, body, extra=(), head_only=False):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            if not head_only:
                self.wfile.write(data)

        # Faults

        def reset(self):
            """Closes the connection with a TCP reset."""
            try:
                self.wfile.flush()
            except OSError:
                pass
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            raise InjectedDisconnect()

        def hang_up(self):
            """Closes the connection cleanly, whatever the head promised."""
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.connection.close()
            self.close_connection = True
            raise InjectedDisconnect()

        def answer_fault(self, kind, method):
            """Answers for the registry: 408/500/503, or 429 with Retry-After."""
            head_only = method == "HEAD"
            if kind == "error":
                status = random.choice((408, 500, 503))
                self.send_json(status, {"errors": [{"code": "UNAVAILABLE", "message": "injected fault: HTTP %d" % status}]},
                               head_only=head_only)
            else:
                self.send_json(429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "injected fault: slow down"}]},
                               extra=[("Retry-After", str(retry_after))], head_only=head_only)

        def write_body(self, chunk):
            self.wfile.write(chunk)
            stats.sent(len(chunk))

        # Forwarding

        def read_body(self):
            """The request body, counted as it arrives."""
            length = self.headers.get("Content-Length")
            chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
            if chunked:
                return self.read_chunked()
            if not length:
                return None
            remaining = int(length)
            parts = []
            while remaining > 0:
                part = self.rfile.read(min(remaining, 65536))
                if not part:
                    break
                stats.received(len(part))
                parts.append(part)
                remaining -= len(part)
            if remaining > 0:
                self.client_gone()
            return b"".join(parts)

        def client_gone(self):
            """The client went away in the middle of its request: forward nothing of it."""
            self.close_connection = True
            raise InjectedDisconnect()

        def read_chunked(self):
            parts = []
            while True:
                line = self.rfile.readline()
                if not line:
                    self.client_gone()
                size = int(line.strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                part = self.rfile.read(size)
                stats.received(len(part))
                parts.append(part)
                self.rfile.readline()

        def forward(self, method):
            try:
                self.forward_or_fault(method)
            except InjectedDisconnect:
                pass
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a stall it would not wait for): nothing more to send.
                self.close_connection = True

        def forward_or_fault(self, method):
            url = urlparse(self.path)
            if url.path == "/_proxy/stats":
                return self.send_json(200, stats.snapshot())
            if url.path == "/_proxy/reset-pulls":
                pulls.reset(pull_limit)
                return self.send_json(200, {})
            stats.add(method)
            if request_delay_ms:
                stats.enter()
                try:
                    time.sleep(request_delay_ms / 1000.0)
                finally:
                    stats.leave()
            if delay_ms and method == "GET" and BLOB_PATH.match(url.path):
                time.sleep(delay_ms / 1000.0)
            if delete_delay_ms and method == "DELETE":
                time.sleep(delete_delay_ms / 1000.0)
            limited = pull_limit is not None and MANIFEST_PATH.match(url.path) and method in ("GET", "HEAD")
            if limited and method == "GET":
                left = pulls.take()
                if left < 0:
                    stats.add("pulls_over_limit")
                    return self.send_json(429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "You have reached your pull rate limit."}]},
                                          extra=[("ratelimit-limit", "%d;w=21600" % pull_limit), ("ratelimit-remaining", "0;w=21600")])
            referrers_match = REFERRERS_PATH.match(url.path) if referrers is not None else None
            if referrers_match and method in ("GET", "HEAD"):
                artifact_type = parse_qs(url.query).get("artifactType", [None])[0]
                data = json.dumps(referrers.listing(referrers_match.group("name"), referrers_match.group("digest"),
                                                    artifact_type)).encode()
                self.send_response(200)
                self.send_header("Content-Type", INDEX_TYPE)
                self.send_header("Content-Length", str(len(data)))
                if artifact_type:
                    self.send_header("OCI-Filters-Applied", "artifactType")
                self.end_headers()
                if method == "GET":
                    self.write_body(data)
                return None
            for answer_method, pattern, status in answers:
                if method == answer_method and pattern.search(url.path):
                    self.read_body()
                    code = {404: "NAME_UNKNOWN", 401: "UNAUTHORIZED", 403: "DENIED"}.get(status, "UNKNOWN")
                    return self.send_json(status, {"errors": [{"code": code, "message": "answered by the test proxy"}]},
                                          head_only=method == "HEAD")
            body = self.read_body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            if body is not None:
                headers["Content-Length"] = str(len(body))
            fault = plan.choose(method, url.path, has_body=method == "GET")
            if fault in ("error", "throttle"):
                stats.fault(fault)
                return self.answer_fault(fault, method)
            connection = http.client.HTTPConnection(host, int(port), timeout=120)
            match = TAGS_PATH.match(url.path)
            if method == "GET" and tags_page_size and match:
                status, response_headers, data = self.paginated_tags(connection, headers, match.group("name"),
                                                                     parse_qs(url.query))
                return self.relay(method, status, response_headers, str(len(data)), io.BytesIO(data), fault)
            connection.request(method, self.path, body=body, headers=headers)
            response = connection.getresponse()
            length = response.getheader("Content-Length")
            source = response
            if method != "HEAD" and length is None:
                data = response.read()
                length = str(len(data))
                source = io.BytesIO(data)
            response_headers = response.getheaders()
            put_match = MANIFEST_PUT.match(url.path) if referrers is not None and method == "PUT" else None
            if put_match and response.status == 201 and body:
                subject = referrers.record(put_match.group("name"), body, self.headers.get("Content-Type"))
                if subject:
                    response_headers = response_headers + [("OCI-Subject", subject)]
            if limited:
                response_headers = response_headers + [("ratelimit-limit", "%d;w=21600" % pull_limit),
                                                       ("ratelimit-remaining", "%d;w=21600" % max(pulls.left(), 0))]
            self.relay(method, response.status, response_headers, length, source, fault)

        def relay(self, method, status, headers, length, source, fault):
            """Sends an answer on, applying a reset, stall or truncation fault."""
            has_body = method != "HEAD" and status not in (204, 304)
            size = int(length or 0) if has_body else 0
            mid_body = fault in ("reset", "truncate", "stall") and size > 0
            if fault == "reset" and not mid_body:
                stats.fault(fault)
                self.reset()
            if fault == "stall" and not mid_body:
                stats.fault(fault)
                time.sleep(stall_ms / 1000.0)
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            if not has_body:
                return
            cut = size // 2 if mid_body else None
            sent = 0
            while True:
                want = 65536 if cut is None else max(1, min(65536, cut - sent))
                chunk = source.read(want)
                if not chunk:
                    break
                self.write_body(chunk)
                sent += len(chunk)
                if cut is not None and sent >= cut:
                    cut = None
                    stats.fault(fault)
                    if fault == "reset":
                        self.reset()
                    if fault == "truncate":
                        self.hang_up()
                    self.wfile.flush()
                    time.sleep(stall_ms / 1000.0)

        def paginated_tags(self, connection, headers, name, query):
            """A page of the registry's tag list: (status, headers, body)."""
            connection.request("GET", "/v2/%s/tags/list" % name, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                return response.status, response.getheaders(), data
            tags = sorted(json.loads(data).get("tags") or [])
            page_size = min(int(query.get("n", [tags_page_size])[0]), tags_page_size)
            last = query.get("last", [None])[0]
            if last is not None:
                tags = [t for t in tags if t > last]
            page, more = tags[:page_size], len(tags) > page_size
            response_headers = [("Content-Type", "application/json")]
            if more:
                response_headers.append(("Link", '</v2/%s/tags/list?n=%d&last=%s>; rel="next"' % (name, page_size, quote(page[-1]))))
            return 200, response_headers, json.dumps({"name": name, "tags": page}).encode()

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


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 would serialize a client opening many connections.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Connections this proxy reset on purpose, or clients that gave up, are not errors.
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real registry")
    parser.add_argument("--tags-page-size", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--delete-delay-ms", type=int, default=0)
    parser.add_argument("--request-delay-ms", type=int, default=0)
    parser.add_argument("--answer", action="append", default=[], help="METHOD:REGEX:STATUS")
    parser.add_argument("--pull-limit", type=int)
    parser.add_argument("--referrers", action="store_true")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--faults", default=",".join(FAULT_KINDS))
    parser.add_argument("--seed", default="0")
    parser.add_argument("--fault-streak-limit", type=int, default=3)
    parser.add_argument("--stall-ms", type=int, default=3000)
    parser.add_argument("--retry-after", type=int, default=1)
    args = parser.parse_args()
    kinds = [kind for kind in args.faults.split(",") if kind]
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        parser.error("unknown fault kinds: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(FAULT_KINDS)))
    plan = FaultPlan(args.fault_rate, kinds, args.seed, args.fault_streak_limit)
    answers = []
    for spec in args.answer:
        method, _, rest = spec.partition(":")
        pattern, _, status = rest.rpartition(":")
        answers.append((method, re.compile(pattern), int(status)))
    server = Server(("127.0.0.1", args.port),
                    make_handler(args.upstream, args.tags_page_size, args.delay_ms, Stats(), plan,
                                 args.stall_ms, args.retry_after, args.delete_delay_ms, answers, args.pull_limit,
                                 Referrers() if args.referrers else None, args.request_delay_ms))
    server.serve_forever()


if __name__ == "__main__":
    main()
