import Foundation
import FreightCore

/// A real Debian `docker-registry` (CNCF distribution 2.8) on a loopback port, with its own
/// storage directory, optionally behind htpasswd or token-service auth.
public final class TestRegistry: Sendable {
    public enum Auth: Sendable {
        case none
        case htpasswd(user: String, password: String)
        /// Bearer tokens from `Tests/Fixtures/token_server.py`, which checks these credentials.
        case token(user: String, password: String)
    }

    public struct Options: Sendable {
        public var auth: Auth = .none
        /// Catalog page size (`catalog: maxentries`); small values force `Link` pagination.
        public var catalogPageSize: Int?
        /// Serve HTTPS with a fresh self-signed certificate for `registry.localhost` and
        /// 127.0.0.1 (libcurl resolves `*.localhost` to loopback by itself, RFC 6761).
        public var tls: Bool
        /// Accept Docker schema 1 pushes (`compatibility: schema1: enabled`), as old registries did.
        public var schema1: Bool
        /// Serve HTTPS with a certificate this CA signed (instead of a self-signed one).
        public var authority: TestCertificateAuthority?
        /// With `authority`: refuse clients without a certificate it signed (`http.tls.clientcas`).
        public var requireClientCertificate: Bool
        /// `storage.delete.enabled`: off, every DELETE is 405 UNSUPPORTED.
        public var deletes = true

        public init(auth: Auth = .none, catalogPageSize: Int? = nil, tls: Bool = false, schema1: Bool = false,
                    authority: TestCertificateAuthority? = nil, requireClientCertificate: Bool = false) {
            self.auth = auth
            self.catalogPageSize = catalogPageSize
            self.tls = tls || authority != nil
            self.schema1 = schema1
            self.authority = authority
            self.requireClientCertificate = requireClientCertificate
        }
    }

    /// `127.0.0.1:PORT`
    public let host: String
    public let storage: String
    private let directory: TemporaryDirectory
    private let server: ServerProcess
    private let tokenServer: ServerProcess?

    /// The token service's counters (`issued`, `anonymous`, `refused`); nil without one.
    public func tokenStats() throws -> [String: Int]? {
        guard let tokenServer else { return nil }
        let body = try Shell.check(["curl", "-sf", "http://127.0.0.1:\(tokenServer.port)/stats"]).stdout
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Int]
    }

    public static func start(_ options: Options = Options()) throws -> TestRegistry {
        var lastError: (any Error)?
        for _ in 0..<3 {  // a port picked as free can be taken before the server binds it
            do { return try TestRegistry(options) } catch { lastError = error }
        }
        throw lastError!
    }

    private init(_ options: Options) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") else {
            throw ServerProcess.StartFailure(command: "docker-registry", log: "not installed: run `make deps`")
        }
        directory = TemporaryDirectory("registry")
        storage = directory.file("storage")
        let port = ServerProcess.freePort()
        host = "127.0.0.1:\(port)"
        var config = """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(storage)
              delete:
                enabled: \(options.deletes)
            http:
              addr: 127.0.0.1:\(port)
              secret: freightliner-test-\(port)

            """
        if let authority = options.authority {
            config += "  tls:\n    certificate: \(authority.serverCertificate)\n    key: \(authority.serverKey)\n"
            if options.requireClientCertificate { config += "    clientcas:\n      - \(authority.certificate)\n" }
        } else if options.tls {
            try Shell.check(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                             "-subj", "/CN=registry.localhost", "-addext", "subjectAltName=DNS:registry.localhost,IP:127.0.0.1",
                             "-keyout", directory.file("tls.key"), "-out", directory.file("tls.crt")])
            config += "  tls:\n    certificate: \(directory.file("tls.crt"))\n    key: \(directory.file("tls.key"))\n"
        }
        if options.schema1 {
            config += "compatibility:\n  schema1:\n    enabled: true\n"
        }
        if let pageSize = options.catalogPageSize {
            config += "catalog:\n  maxentries: \(pageSize)\n"
        }
        var tokenServer: ServerProcess?
        switch options.auth {
        case .none:
            break
        case .htpasswd(let user, let password):
            let entry = try Shell.check(["htpasswd", "-Bbn", user, password]).stdout
            try entry.write(toFile: directory.file("htpasswd"), atomically: true, encoding: .utf8)
            config += "auth:\n  htpasswd:\n    realm: freightliner-test\n    path: \(directory.file("htpasswd"))\n"
        case .token(let user, let password):
            try Shell.check(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                             "-subj", "/CN=freightliner-test-token-issuer",
                             "-keyout", directory.file("token.key"), "-out", directory.file("token.crt")])
            let directory = self.directory
            // Behind a registry with the test CA's certificate, the token service serves HTTPS
            // with it too, on the registry's host name: trusted only as the registry is.
            let tls = options.authority.map { ["--tls-cert", $0.serverCertificate, "--tls-key", $0.serverKey] } ?? []
            let token = try ServerProcess.start(logPath: directory.file("token.log")) { port in
                ["python3", "\(Paths.fixtures)/token_server.py", "--port", "\(port)",
                 "--key", directory.file("token.key"), "--cert", directory.file("token.crt"), "--user", user, "--password", password] + tls
            }
            tokenServer = token
            let tokenPort = token.port
            let realm = options.authority == nil ? "http://127.0.0.1:\(tokenPort)/token" : "https://registry.localhost:\(tokenPort)/token"
            config += """
                auth:
                  token:
                    realm: \(realm)
                    service: freightliner-test
                    issuer: freightliner-test-issuer
                    rootcertbundle: \(directory.file("token.crt"))

                """
        }
        self.tokenServer = tokenServer
        try config.write(toFile: directory.file("config.yml"), atomically: true, encoding: .utf8)
        server = try ServerProcess(["docker-registry", "serve", directory.file("config.yml")], port: port,
                                   logPath: directory.file("registry.log"))
    }

    public func stop() {
        server.stop()
        tokenServer?.stop()
    }

    /// Suspends the registry process (connections stall) until `resume()`.
    public func pause() { server.pause() }
    public func resume() { server.resume() }

    /// The registry's process.
    public var pid: Int32 { server.pid }

    /// The registry's log, for failure messages.
    public var log: String { (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? "" }

    public func reference(_ repositoryAndTag: String) -> String { "\(host)/\(repositoryAndTag)" }

    /// `registry.localhost:PORT`: a name libcurl resolves to loopback by itself (RFC 6761) that
    /// freightliner treats as a remote host, so TLS is used and checked as for any registry.
    public var remoteName: String { "registry.localhost:\(host.split(separator: ":").last!)" }
}

/// `Tests/Fixtures/registry_proxy.py` in front of a real registry: it forwards everything,
/// paginates `tags/list` (which distribution 2.8 never does), can slow blob reads down, and can
/// inject seeded faults (resets, 5xx, 429, stalls, truncated bodies).
public final class RegistryProxy: Sendable {
    /// Which faults to inject, how often, and how reproducibly.
    public struct Faults: Sendable {
        public enum Kind: String, Sendable, CaseIterable {
            case reset, error, throttle, stall, truncate
        }

        /// The share of requests (0...1) that get a fault.
        public var rate: Double
        public var kinds: [Kind] = Kind.allCases
        public var seed: UInt64 = 0
        /// After this many faults in a row for one method and path, the next request passes.
        public var streakLimit = 3
        public var stallMilliseconds = 3000
        public var retryAfterSeconds = 1

        public init(rate: Double, kinds: [Kind] = Kind.allCases, seed: UInt64 = 0) {
            self.rate = rate
            self.kinds = kinds
            self.seed = seed
        }
    }

    /// The proxy's counters, from `GET /_proxy/stats`.
    public struct Stats: Sendable {
        /// Requests forwarded (or answered with a fault), by method.
        public var requests: [String: Int]
        /// Faults injected, by kind.
        public var faults: [String: Int]
        public var faultsTotal: Int
        /// Body bytes received from the client (uploads), counted as they arrived.
        public var requestBodyBytes: Int64
        /// Body bytes sent to the client.
        public var responseBodyBytes: Int64
        /// Other counters, e.g. `pulls_over_limit` under `--pull-limit`.
        public var counters: [String: Int] = [:]
    }

    public let host: String
    private let server: ServerProcess
    private let directory = TemporaryDirectory("proxy")

    /// `answers`: `METHOD:REGEX:STATUS` to answer without forwarding; `deleteDelayMilliseconds`
    /// holds every DELETE that long, `requestDelayMilliseconds` every request (a round trip).
    public init(upstream: TestRegistry, tagsPageSize: Int = 0, blobDelayMilliseconds: Int = 0, faults: Faults? = nil,
                answers: [String] = [], deleteDelayMilliseconds: Int = 0, pullLimit: Int? = nil, referrers: Bool = false,
                requestDelayMilliseconds: Int = 0) throws {
        var arguments = ["python3", "\(Paths.fixtures)/registry_proxy.py",
                         "--upstream", upstream.host, "--tags-page-size", "\(tagsPageSize)",
                         "--delay-ms", "\(blobDelayMilliseconds)", "--delete-delay-ms", "\(deleteDelayMilliseconds)",
                         "--request-delay-ms", "\(requestDelayMilliseconds)"]
        for answer in answers { arguments += ["--answer", answer] }
        if let pullLimit { arguments += ["--pull-limit", "\(pullLimit)"] }
        if referrers { arguments.append("--referrers") }
        if let faults {
            arguments += ["--fault-rate", "\(faults.rate)", "--faults", faults.kinds.map(\.rawValue).joined(separator: ","),
                          "--seed", "\(faults.seed)", "--fault-streak-limit", "\(faults.streakLimit)",
                          "--stall-ms", "\(faults.stallMilliseconds)", "--retry-after", "\(faults.retryAfterSeconds)"]
        }
        server = try ServerProcess.start(logPath: directory.file("proxy.log")) { port in arguments + ["--port", "\(port)"] }
        host = "127.0.0.1:\(server.port)"
    }

    public func stop() { server.stop() }

    public func reference(_ repositoryAndTag: String) -> String { "\(host)/\(repositoryAndTag)" }

    /// The proxy's log (tracebacks of anything unexpected), for failure messages.
    public var log: String { contents(of: server.logPath) }

    public func stats() throws -> Stats {
        let text = try Shell.check(["curl", "-sf", "http://\(host)/_proxy/stats"]).stdout
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Shell.Failure(command: ["curl", "http://\(host)/_proxy/stats"], result: .init(status: 0, stdout: text, stderr: ""))
        }
        var requests: [String: Int] = [:], counters: [String: Int] = [:]
        for (key, value) in object {
            guard let count = value as? Int else { continue }
            if key.uppercased() == key { requests[key] = count } else { counters[key] = count }
        }
        return Stats(requests: requests, faults: object["faults"] as? [String: Int] ?? [:],
                     faultsTotal: object["faults_total"] as? Int ?? 0,
                     requestBodyBytes: (object["request_body_bytes"] as? NSNumber)?.int64Value ?? 0,
                     responseBodyBytes: (object["response_body_bytes"] as? NSNumber)?.int64Value ?? 0, counters: counters)
    }
}
