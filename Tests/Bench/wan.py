"""The WAN profile's registries: each one as a user meets a registry across a wide-area link.

    client --TLS, HTTP/2 or 1.1--> wan_link.py --> nginx (HTTPS, h2) --HTTP/1.1--> docker-registry
          (one per registry: delay + bandwidth cap)      |
                                                         +--/token--> token_server.py (shared)

Why this order: the link emulator (Tests/Fixtures/wan_link.py) works on the TCP bytes in front
of nginx, so the delay applies to every request (its bytes cross the link each way: one round
trip per request, and the TCP and TLS handshakes of each new connection pay theirs), and the cap
to every byte a client moves (TLS records, headers, token requests, blob bodies), whatever the
client's protocol. A delay behind nginx, per upstream request, would charge an HTTP/1.1 client
with 16 connections and an HTTP/2 client with one stream per request alike, and handshakes not
at all. Each registry has its own link (the source's carries the downloads, the destination's
the uploads, as when a replicator sits between two remote registries), each direction capped on
its own (full duplex).

docker-registry (token auth, `relativeurls`, so its upload `Location`s stay relative whatever
port a client came through) listens on loopback only; nginx terminates TLS with a certificate
this bench's own CA (openssl, made here) signed for this host's name, with HTTP/2 on, bodies
streamed both ways (`proxy_request_buffering off`, `proxy_buffering off`) and 1 MiB of request
body window per stream (`http2_body_preread_size`, `client_body_buffer_size`: nginx's 64 KiB and
16 KiB defaults would cap an HTTP/2 upload at a window per round trip, 1.6 MB/s at 40 ms). Its
access log records `$server_protocol` and `$connection` for every request: which protocol each
client negotiated, over how many connections.

The clients reach a registry at `NAME:PORT`, NAME this machine's host name when it resolves to an
address here (freightliner treats `localhost` and 127.x literally named as loopback, where it
skips certificate checks: a host name keeps the WAN profile's TLS checked as any remote one's),
trusting the CA through a certificate directory (`certs/ca.crt`) and logging in with `USER`,
`PASSWORD` at the token service the registry's 401 names.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from registry import Client, HTTPError, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "Fixtures")
USER, PASSWORD = "bench", "bench-secret"

REGISTRY_CONFIG = """version: 0.1
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
  relativeurls: true
  secret: wan-bench-{port}
catalog:
  maxentries: 1000
auth:
  token:
    realm: https://{host}/token
    service: freightliner-test
    issuer: freightliner-test-issuer
    rootcertbundle: {token_cert}
"""

NGINX_CONFIG = """daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
  log_format wan '$connection $connection_requests $server_protocol $request_method $uri $status $body_bytes_sent $request_length $request_time $msec';
  access_log {dir}/access.log wan;
  client_body_temp_path {dir}/tmp-body;
  proxy_temp_path {dir}/tmp-proxy;
  fastcgi_temp_path {dir}/tmp-fastcgi;
  uwsgi_temp_path {dir}/tmp-uwsgi;
  scgi_temp_path {dir}/tmp-scgi;
  client_max_body_size 0;
  client_body_buffer_size 1m;
  http2_body_preread_size 1m;
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  proxy_request_buffering off;
  proxy_buffering off;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  proxy_set_header X-Forwarded-Proto https;
  proxy_read_timeout 600s;
  proxy_send_timeout 600s;
  upstream registry {{ server 127.0.0.1:{registry_port}; keepalive 64; }}
  upstream tokens {{ server 127.0.0.1:{token_port}; }}
  server {{
    listen 127.0.0.1:{port} ssl http2;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /token {{ proxy_pass http://tokens; }}
    location / {{ proxy_pass http://registry; }}
  }}
}}
"""


def local_name():
    """(name, address): this host's name and the address it resolves to, else 127.0.0.1's."""
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
        with socket.socket() as probe:
            probe.bind((address, 0))
        return name, address
    except OSError:
        return "127.0.0.1", "127.0.0.1"


def openssl(*arguments):
    subprocess.run(["openssl"] + list(arguments), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(what, condition, process=None, log=None, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            detail = open(log).read()[-2000:] if log and os.path.exists(log) else ""
            raise SystemExit("%s did not start%s" % (what, ":\n" + detail if detail else ""))
        time.sleep(0.05)


class Site:
    """What the WAN registries share: the CA, the token service, the link's shape."""

    def __init__(self, workdir, rtt_ms, rate):
        self.directory = os.path.join(workdir, "wan")
        os.makedirs(self.directory, exist_ok=True)
        self.rtt_ms, self.rate = rtt_ms, rate
        self.name, self.address = local_name()
        self.counter = 0
        self.processes = []
        file = lambda name: os.path.join(self.directory, name)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Freightliner WAN bench CA",
                "-keyout", file("ca.key"), "-out", file("ca.crt"))
        names = ["DNS:registry.localhost", "IP:127.0.0.1"]
        names += ["DNS:" + self.name] if self.name != "127.0.0.1" else []
        names += ["IP:" + self.address] if self.address != "127.0.0.1" else []
        with open(file("server.ext"), "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % ",".join(names))
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + self.name, "-keyout", file("server.key"), "-out", file("server.csr"))
        openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial",
                "-days", "2", "-extfile", file("server.ext"), "-out", file("server.crt"))
        self.ca = file("ca.crt")
        self.cert_dir = file("certs")
        os.makedirs(self.cert_dir, exist_ok=True)
        shutil.copy(self.ca, os.path.join(self.cert_dir, "ca.crt"))
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=freightliner-test-token-issuer",
                "-keyout", file("token.key"), "-out", file("token.crt"))
        self.token_port = free_port()
        log = file("token.log")
        token = subprocess.Popen([sys.executable, os.path.join(FIXTURES, "token_server.py"), "--port", str(self.token_port),
                                  "--key", file("token.key"), "--cert", file("token.crt"), "--user", USER, "--password", PASSWORD],
                                 stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.processes.append(token)
        wait_for("the token server", lambda: self.token_stats() is not None, token, log)

    def token_stats(self):
        try:
            return json.loads(urllib.request.urlopen("http://127.0.0.1:%d/stats" % self.token_port, timeout=2).read())
        except OSError:
            return None

    def registry(self, name, storage=None):
        """A WAN registry; `storage`: serve an existing registry's storage directory."""
        self.counter += 1
        return WanRegistry(self, "%s-%d" % (name, self.counter), storage)

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.wait()


class WanRegistry:
    def __init__(self, site, name, storage=None):
        self.site = site
        self.directory = os.path.join(site.directory, name)
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        self.processes = []
        self.storage = storage or os.path.join(self.directory, "storage")
        registry_port, nginx_port, self.port, self.stats_port = free_port(), free_port(), free_port(), free_port()
        self.host = "%s:%d" % (site.name, self.port)
        file = lambda name: os.path.join(self.directory, name)
        try:
            with open(file("registry.yml"), "w") as f:
                f.write(REGISTRY_CONFIG.format(storage=self.storage, port=registry_port, host=self.host,
                                               token_cert=os.path.join(site.directory, "token.crt")))
            self.start("docker-registry", ["docker-registry", "serve", file("registry.yml")], file("registry.log"), registry_port)
            with open(file("nginx.conf"), "w") as f:
                f.write(NGINX_CONFIG.format(dir=self.directory, port=nginx_port, registry_port=registry_port, token_port=site.token_port,
                                            cert=os.path.join(site.directory, "server.crt"), key=os.path.join(site.directory, "server.key"),
                                            user="user root;" if os.geteuid() == 0 else ""))
            self.start("nginx", ["nginx", "-e", file("nginx-error.log"), "-p", self.directory, "-c", file("nginx.conf")],
                       file("nginx.out"), nginx_port)
            self.access_log = file("access.log")
            self.start("wan_link.py", [sys.executable, os.path.join(FIXTURES, "wan_link.py"), "--listen", site.address,
                                       "--port", str(self.port), "--upstream", "127.0.0.1:%d" % nginx_port,
                                       "--rtt-ms", str(site.rtt_ms), "--rate", str(site.rate), "--stats-port", str(self.stats_port)],
                       file("link.log"), self.stats_port)
            probe = Client(self.host, ca=site.ca)
            status, headers, _ = probe.call("GET", "/v2/", ok=(401,))
            if "Bearer" not in headers.get("WWW-Authenticate", ""):
                raise SystemExit("the WAN registry %s answered GET /v2/ without a bearer challenge" % self.host)
        except BaseException:
            self.stop()
            raise

    def start(self, what, command, log, port):
        process = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.processes.append(process)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_for(what, listening, process, log)

    def client(self, push=False):
        return Client(self.host, ca=self.site.ca, credentials=(USER, PASSWORD), push=push)

    def link(self, reset=False):
        """The link's counters (wan_link.py's stats); `reset` zeroes them after reading."""
        request = urllib.request.Request("http://127.0.0.1:%d/%s" % (self.stats_port, "reset" if reset else ""),
                                         method="POST" if reset else "GET")
        return json.loads(urllib.request.urlopen(request, timeout=5).read())

    def log_mark(self):
        return os.path.getsize(self.access_log) if os.path.exists(self.access_log) else 0

    def requests_since(self, mark):
        """nginx's access log from `mark`: per request, its connection, protocol, method, path, status.

        nginx writes a line when a request ends: read after the client finished."""
        entries = []
        with open(self.access_log) as f:
            f.seek(mark)
            for line in f:
                fields = line.split()
                if len(fields) >= 6:
                    entry = {"connection": fields[0], "protocol": fields[2], "method": fields[3], "path": fields[4],
                                     "status": int(fields[5])}
                    if len(fields) >= 10:
                        entry["ended"] = float(fields[9])
                        entry["started"] = entry["ended"] - float(fields[8])
                    entries.append(entry)
        return entries

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def remove(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        # With BENCH_WORKDIR the logs stay, to read what each client asked and when.
        self.stop() if "BENCH_WORKDIR" in os.environ else self.remove()


def traffic(entries):
    """What an access log slice says: requests, by method and by protocol, connections, 401s,
    and how many requests nginx held at once at most (`max_in_flight`, from each request's start
    and end): a client that waits for one answer before it asks the next keeps it at 1."""
    by_method, by_protocol = {}, {}
    events = sorted([(entry["started"], 1) for entry in entries if "started" in entry]
                    + [(entry["ended"], -1) for entry in entries if "ended" in entry])
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    for entry in entries:
        by_method[entry["method"]] = by_method.get(entry["method"], 0) + 1
        by_protocol[entry["protocol"]] = by_protocol.get(entry["protocol"], 0) + 1
    return {"requests": len(entries), "by_method": by_method, "by_protocol": by_protocol,
            "connections": len({entry["connection"] for entry in entries}),
            "unauthorized": sum(1 for entry in entries if entry["status"] == 401),
            "token_requests": sum(1 for entry in entries if entry["path"] == "/token"),
            "max_in_flight": peak}


__all__ = ["Site", "WanRegistry", "traffic", "HTTPError", "USER", "PASSWORD"]
