import Foundation

/// `Tests/Fixtures/hostile_registry.py` in one of its modes, with its collector: a second server
/// reached as `localhost` (another host name and port than the registry's `127.0.0.1`) that
/// records whether requests carried an Authorization header.
public final class HostileRegistry: Sendable {
    public static let user = "alice"
    public static let password = "hostile-test-pw"
    public static let repository = "hostile/app"
    public static let tag = "v1"

    /// `127.0.0.1:PORT`
    public let host: String
    /// `localhost:PORT`
    public let collectorHost: String
    private let registry: ServerProcess
    private let collector: ServerProcess
    private let directory = TemporaryDirectory("hostile")

    /// `redirectTo`: the base URL blob redirects point to (mode `redirect`), else the collector.
    public init(mode: String, redirectTo: String? = nil) throws {
        collector = try ServerProcess.start(logPath: directory.file("collector.log")) { port in
            ["python3", "\(Paths.fixtures)/hostile_registry.py", "--role", "collector", "--port", "\(port)"]
        }
        let collectorHost = "localhost:\(collector.port)"
        self.collectorHost = collectorHost
        registry = try ServerProcess.start(logPath: directory.file("registry.log")) { port in
            ["python3", "\(Paths.fixtures)/hostile_registry.py", "--role", "registry", "--port", "\(port)",
             "--mode", mode, "--collector", collectorHost, "--user", Self.user, "--password", Self.password,
             "--redirect-to", redirectTo ?? ""]
        }
        host = "127.0.0.1:\(registry.port)"
    }

    public var reference: String { "\(host)/\(Self.repository):\(Self.tag)" }
    public static var credentials: String { "\(user):\(password)" }

    /// Requests the registry saw: method, path, and whether they carried an Authorization header.
    public func registryLog() throws -> [[String: Any]] { try Self.log("http://\(host)/_log") }
    /// Requests the collector (the other host) saw.
    public func collectorLog() throws -> [[String: Any]] { try Self.log("http://127.0.0.1:\(collector.port)/_log") }

    private static func log(_ url: String) throws -> [[String: Any]] {
        let text = try Shell.check(["curl", "-sf", url]).stdout
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    }
}
