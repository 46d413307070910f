import Foundation
import FreightCore

/// A server started for tests: killed when released, and at the latest when the test process exits.
public final class ServerProcess: Sendable {
    public let port: Int
    public let logPath: String
    private let process: Locked<Process>

    private static let running = Locked<Set<Int32>>([])
    private static let installExitHandler: Void = {
        atexit {
            for pid in ServerProcess.running.value { kill(pid, SIGKILL) }
        }
    }()

    /// Starts `arguments`, logging to `logPath`, and waits until `port` accepts connections.
    public init(_ arguments: [String], port: Int, logPath: String, environment: [String: String] = [:]) throws {
        _ = Self.installExitHandler
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        Self.running.withLock { _ = $0.insert(process.processIdentifier) }
        self.port = port
        self.logPath = logPath
        self.process = Locked(process)
        let deadline = Date().addingTimeInterval(20)
        while !Self.accepts(port: port) {
            guard process.isRunning else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw StartFailure(command: arguments.joined(separator: " "), log: log)
            }
            guard Date() < deadline else {
                stop()
                throw StartFailure(command: arguments.joined(separator: " "), log: "not listening on \(port) after 20 s")
            }
            usleep(10_000)
        }
    }

    deinit { stop() }

    public var pid: Int32 { process.value.processIdentifier }

    public func stop() {
        let process = self.process.value
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        Self.running.withLock { _ = $0.remove(process.processIdentifier) }
    }

    /// Suspends the server (SIGSTOP): connections hang, as with a stalled peer.
    public func pause() { kill(pid, SIGSTOP) }
    public func resume() { kill(pid, SIGCONT) }

    public struct StartFailure: Error, CustomStringConvertible {
        public let command: String
        public let log: String
        public var description: String { "could not start \(command):\n\(log)" }
    }

    /// A port nothing listens on right now.
    public static func freePort() -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something on 127.0.0.1 accepts a connection on `port`.
    public static func accepts(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
