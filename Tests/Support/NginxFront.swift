import Foundation
import FreightCore

/// Debian's nginx as an HTTPS front with HTTP/2 on, in front of a registry (or anything HTTP on
/// loopback): TLS with a certificate the given test CA signed for `registry.localhost` and
/// 127.0.0.1, bodies streamed both ways, as the WAN profile of `make bench` serves registries.
/// Its access log records each request's protocol (`$server_protocol`). One process
/// (`master_process off`): a worker forked by a master outlives a SIGKILLed master, and holds
/// what Foundation's `Process` waits on to see it exit.
public final class NginxFront: Sendable {
    /// `registry.localhost:PORT`: a name libcurl resolves to loopback by itself and freightliner
    /// treats as a remote host, so the certificate is checked as any registry's.
    public let remoteName: String
    public let port: Int
    private let directory = TemporaryDirectory("nginx")
    private let server: ServerProcess

    /// Fronts `127.0.0.1:upstreamPort`.
    public init(upstreamPort: Int, authority: TestCertificateAuthority) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else {
            throw ServerProcess.StartFailure(command: "nginx", log: "not installed: run `make deps`")
        }
        let directory = self.directory
        let user = getuid() == 0 ? "user root;" : ""
        server = try ServerProcess.start(logPath: directory.file("nginx.out")) { port in
            let config = """
                daemon off;
                master_process off;
                pid \(directory.file("nginx.pid"));
                error_log \(directory.file("error.log")) warn;
                \(user)
                events { worker_connections 256; }
                http {
                  log_format front '$connection $server_protocol $request_method $uri $status';
                  access_log \(directory.file("access.log")) front;
                  client_body_temp_path \(directory.file("tmp-body"));
                  proxy_temp_path \(directory.file("tmp-proxy"));
                  fastcgi_temp_path \(directory.file("tmp-fastcgi"));
                  uwsgi_temp_path \(directory.file("tmp-uwsgi"));
                  scgi_temp_path \(directory.file("tmp-scgi"));
                  client_max_body_size 0;
                  proxy_request_buffering off;
                  proxy_buffering off;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host $host:$server_port;
                  proxy_set_header X-Forwarded-Proto https;
                  server {
                    listen 127.0.0.1:\(port) ssl http2;
                    ssl_certificate \(authority.serverCertificate);
                    ssl_certificate_key \(authority.serverKey);
                    location / { proxy_pass http://127.0.0.1:\(upstreamPort); }
                  }
                }

                """
            // The closure names the port; the configuration must name it too.
            try? config.write(toFile: directory.file("nginx.conf"), atomically: true, encoding: .utf8)
            return ["nginx", "-p", directory.path, "-e", directory.file("error.log"), "-c", directory.file("nginx.conf")]
        }
        port = server.port
        remoteName = "registry.localhost:\(server.port)"
    }

    public func stop() { server.stop() }

    /// One entry per request nginx finished, in order.
    public struct Request: Sendable, Equatable {
        public let connection: String
        public let `protocol`: String
        public let method: String
        public let path: String
        public let status: Int
    }

    /// The access log so far (nginx writes a request's line when it has answered it).
    public func requests() -> [Request] {
        contents(of: directory.file("access.log")).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 5, let status = Int(fields[4]) else { return nil }
            return Request(connection: fields[0], protocol: fields[1], method: fields[2], path: fields[3], status: status)
        }
    }

    /// nginx's error log, for failure messages.
    public var log: String { contents(of: directory.file("error.log")) }
}
