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

        public init(auth: Auth = .none, catalogPageSize: Int? = nil) {
            self.auth = auth
            self.catalogPageSize = catalogPageSize
        }
    }

    /// `127.0.0.1:PORT`
    public let host: String
    public let storage: String
    private let directory: TemporaryDirectory
    private let server: ServerProcess
    private let tokenServer: ServerProcess?

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
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              secret: freightliner-test-\(port)

            """
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
            let tokenPort = ServerProcess.freePort()
            tokenServer = try ServerProcess(["python3", "\(Paths.fixtures)/token_server.py", "--port", "\(tokenPort)",
                                             "--key", directory.file("token.key"), "--cert", directory.file("token.crt"),
                                             "--user", user, "--password", password],
                                            port: tokenPort, logPath: directory.file("token.log"))
            config += """
                auth:
                  token:
                    realm: http://127.0.0.1:\(tokenPort)/token
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

    /// The registry's log, for failure messages.
    public var log: String { (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? "" }

    public func reference(_ repositoryAndTag: String) -> String { "\(host)/\(repositoryAndTag)" }
}

/// `Tests/Fixtures/registry_proxy.py` in front of a real registry: it forwards everything,
/// paginates `tags/list` (which distribution 2.8 never does), and can slow blob reads down.
public final class RegistryProxy: Sendable {
    public let host: String
    private let server: ServerProcess
    private let directory = TemporaryDirectory("proxy")

    public init(upstream: TestRegistry, tagsPageSize: Int = 0, blobDelayMilliseconds: Int = 0) throws {
        let port = ServerProcess.freePort()
        host = "127.0.0.1:\(port)"
        server = try ServerProcess(["python3", "\(Paths.fixtures)/registry_proxy.py", "--port", "\(port)",
                                    "--upstream", upstream.host, "--tags-page-size", "\(tagsPageSize)",
                                    "--delay-ms", "\(blobDelayMilliseconds)"],
                                   port: port, logPath: directory.file("proxy.log"))
    }

    public func stop() { server.stop() }
}
