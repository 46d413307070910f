"""Registries on loopback for the benchmark, and a lean Distribution API client over http.client.

Each `Registry` is a CNCF distribution (Debian's docker-registry) process of its own with its own
storage directory, so every measurement writes into a registry that is truly empty. `Client`
keeps one keep-alive connection per thread: the floor and the fixture pushers cost little CPU
next to the registries they measure. Given a CA file and credentials, it speaks HTTPS and gets
bearer tokens (the WAN profile, wan.py): once a registry's first 401 named the token service, it
asks for each new scope's token before the first request that needs it (the scope follows from
the path), not after a 401 of its own, and keeps every token for the client's life. It asks the
token service at the registry's own host and port (wan.py serves it behind the same front), on
the same connection.
"""
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

CONFIG = """version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
catalog:
  maxentries: 1000
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """A docker-registry process on 127.0.0.1 with an empty storage directory."""

    def __init__(self, root, name):
        self.name = name
        self.directory = os.path.join(root, name)
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        self.port = free_port()
        self.host = "127.0.0.1:%d" % self.port
        config = os.path.join(self.directory, "config.yml")
        with open(config, "w") as f:
            f.write(CONFIG.format(storage=os.path.join(self.directory, "storage"), port=self.port))
        self.log = open(os.path.join(self.directory, "log"), "w")
        self.process = subprocess.Popen(["docker-registry", "serve", config], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/v2/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("registry %s did not start on %s; see %s/log" % (name, self.host, self.directory))
            time.sleep(0.05)

    def stop(self, keep=False):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        if not keep:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()


class HTTPError(Exception):
    pass


# Greedy, anchored at both ends: a repository may be named `many/tags` or `blobs/x`.
REPOSITORY_PATH = re.compile(r"^/v2/(?P<name>.+)/(?:manifests/[^/]+|blobs/uploads/[^/]*|blobs/[^/]+|tags/list)$")
CHALLENGE_FIELD = re.compile(r'(\w+)="([^"]*)"')


class Client:
    """Distribution API calls on one keep-alive connection per thread.

    `ca`: a CA certificate file, to speak HTTPS and trust that CA only; `credentials`:
    (user, password) for the bearer token service the registry names; `push`: ask for
    `pull,push` on every repository (a destination), so one token serves HEADs and writes alike.
    """

    def __init__(self, host, ca=None, credentials=None, push=False):
        self.host = host
        self.local = threading.local()
        self.context = ssl.create_default_context(cafile=ca) if ca else None
        self.credentials = credentials
        self.push = push
        self.lock = threading.Lock()
        self.realm = None
        self.tokens = {}  # scopes (a tuple) -> token
        self.token_requests = 0

    def connection(self, fresh=False):
        connection = getattr(self.local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            host, port = self.host.rsplit(":", 1)
            if self.context:
                connection = http.client.HTTPSConnection(host, int(port), timeout=300, context=self.context)
            else:
                connection = http.client.HTTPConnection(host, int(port), timeout=300)
            self.local.connection = connection
        return connection

    def scopes(self, method, path):
        """The token scopes a request needs, from its path."""
        if path.startswith("/v2/_catalog"):
            return ("registry:catalog:*",)
        match = REPOSITORY_PATH.match(urllib.parse.urlsplit(path).path)
        if not match:
            return None
        actions = "pull,push" if self.push or method not in ("GET", "HEAD") else "pull"
        scopes = ["repository:%s:%s" % (match.group("name"), actions)]
        mount = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).get("from")
        if mount:
            scopes.append("repository:%s:pull" % mount[0])
        return tuple(scopes)

    def token(self, scopes):
        """A token for `scopes`, asked of the token service once per set of scopes."""
        with self.lock:
            if scopes in self.tokens:
                return self.tokens[scopes]
            realm = self.realm
        parts = urllib.parse.urlsplit(realm["realm"])
        query = urllib.parse.urlencode([("service", realm.get("service", ""))] + [("scope", scope) for scope in scopes])
        basic = base64.b64encode(("%s:%s" % self.credentials).encode()).decode()
        response = self.send("GET", parts.path + "?" + query, None, {"Authorization": "Basic " + basic})
        data = response.read()
        if response.status != 200:
            raise HTTPError("token for %s -> %d %s" % (" ".join(scopes), response.status, data[:200]))
        token = json.loads(data)["token"]
        with self.lock:
            self.tokens[scopes] = token
            self.token_requests += 1
        return token

    def send(self, method, path, body, headers):
        replayable = body is None or isinstance(body, (bytes, bytearray))
        for attempt in range(3):
            connection = self.connection(fresh=attempt > 0)
            try:
                connection.request(method, path, body=body, headers=headers)
                return connection.getresponse()
            except (ConnectionError, http.client.HTTPException):
                if not replayable or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def open(self, method, path, body=None, headers=None):
        """Sends a request and returns the response unread (its body streams)."""
        headers = dict(headers or {})
        scopes = self.scopes(method, path) if self.credentials else None
        if scopes and self.realm:
            headers["Authorization"] = "Bearer " + self.token(scopes)
        response = self.send(method, path, body, headers)
        challenge = response.getheader("WWW-Authenticate", "") if response.status == 401 and self.credentials else ""
        if challenge.startswith("Bearer ") and (body is None or isinstance(body, (bytes, bytearray))):
            response.read()
            fields = dict(CHALLENGE_FIELD.findall(challenge))
            with self.lock:
                self.realm = self.realm or fields
            scopes = tuple(fields["scope"].split(" ")) if "scope" in fields else scopes
            headers["Authorization"] = "Bearer " + self.token(scopes or ())
            response = self.send(method, path, body, headers)
        return response

    def call(self, method, path, body=None, headers=None, ok=(200, 201, 202, 204)):
        response = self.open(method, path, body, headers)
        data = response.read()
        if response.status not in ok:
            raise HTTPError("%s %s%s -> %d %s" % (method, self.host, path, response.status, data[:200]))
        return response.status, response.headers, data

    @staticmethod
    def path_of(location):
        parts = urllib.parse.urlsplit(location)
        return parts.path + ("?" + parts.query if parts.query else "")

    def upload(self, repository, digest, body, size):
        """POST + PUT ?digest=: one monolithic upload; `body` is bytes or an iterable of chunks."""
        _, headers, _ = self.call("POST", "/v2/%s/blobs/uploads/" % repository)
        location = self.path_of(headers["Location"])
        location += ("&" if "?" in location else "?") + "digest=" + urllib.parse.quote(digest)
        self.call("PUT", location, body=body,
                  headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})

    def mount(self, repository, digest, source):
        status, _, _ = self.call("POST", "/v2/%s/blobs/uploads/?mount=%s&from=%s" % (repository, digest, source))
        if status != 201:
            raise HTTPError("mount of %s into %s was refused (%d)" % (digest, repository, status))

    def put_manifest(self, repository, reference, data, media_type):
        self.call("PUT", "/v2/%s/manifests/%s" % (repository, reference), body=data, headers={"Content-Type": media_type})

    def get_manifest(self, repository, reference):
        accept = ", ".join(MANIFEST_TYPES | INDEX_TYPES)
        _, headers, data = self.call("GET", "/v2/%s/manifests/%s" % (repository, reference), headers={"Accept": accept})
        return data, headers.get("Content-Type", "").split(";")[0]

    def catalog(self):
        repositories, path = [], "/v2/_catalog?n=1000"
        while path:
            _, headers, data = self.call("GET", path)
            repositories += json.loads(data).get("repositories") or []
            link = headers.get("Link")
            path = link.split(";")[0].strip("<> ") if link else None
        return repositories

    def tags(self, repository):
        _, _, data = self.call("GET", "/v2/%s/tags/list" % repository)
        return json.loads(data).get("tags") or []


MANIFEST_TYPES = {"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()
