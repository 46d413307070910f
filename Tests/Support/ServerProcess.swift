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
        // Not `accepts(port:)`: another test's server may hold the port this one failed to bind,
        // and a connection to it would pass for this server being up.
        while !Self.listens(port: port, process: process.processIdentifier) {
            guard process.isRunning else {
                // Reaped, so Foundation lets go of the Process (LeakSanitizer saw it otherwise).
                process.waitUntilExit()
                Self.running.withLock { _ = $0.remove(process.processIdentifier) }
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

    /// Starts `arguments(port)` on a free port, and on another if that one was taken from under
    /// it by some other program before the server bound it.
    public static func start(logPath: String, environment: [String: String] = [:],
                             _ arguments: (_ port: Int) -> [String]) throws -> ServerProcess {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = freePort()
            do { return try ServerProcess(arguments(port), port: port, logPath: logPath, environment: environment) }
            catch { lastError = error }
        }
        throw lastError!
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

    private static let handedOut = Locked<Set<Int>>([])

    /// A port nothing listens on right now, and never handed out before in this test process: two
    /// servers started at once cannot be given the same one.
    public static func freePort() -> Int {
        while true {
            let port = kernelChosenPort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
    }

    private static func kernelChosenPort() -> Int {
        let socket = listener(listening: false)
        defer { close(socket) }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A socket bound to a port of the kernel's choosing on 127.0.0.1, listening unless told not to.
    public static func listener(listening: Bool = true) -> Int32 {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if listening { Foundation.listen(socket, 1) }
        return socket
    }

    /// Whether something on 127.0.0.1 accepts a connection on `port`.
    public static func accepts(port: Int) -> Bool {
        let socket = connect(port: port)
        defer { if socket >= 0 { close(socket) } }
        return socket >= 0
    }

    /// A connection to 127.0.0.1:`port` (a descriptor to close), or -1.
    public static func connect(port: Int) -> Int32 {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(socket)
            return -1
        }
        return socket
    }

    /// Whether process `pid` (or a process it started) holds a socket listening on `port`:
    /// `/proc/net/tcp{,6}` names the listening sockets' inodes, `/proc/PID/fd` the process's.
    public static func listens(port: Int, process pid: Int32) -> Bool {
        let listening = listeningInodes(port: port)
        guard !listening.isEmpty else { return false }
        var pending = [pid]
        var seen = Set<Int32>()
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            let descriptors = "/proc/\(next)/fd"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: descriptors)) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptors)/\(name)"),
                      target.hasPrefix("socket:["), target.hasSuffix("]") else { continue }
                if listening.contains(String(target.dropFirst(8).dropLast())) { return true }
            }
            pending += children(of: next)
        }
        return false
    }

    private static func listeningInodes(port: Int) -> Set<String> {
        var inodes = Set<String>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readWhole(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A",
                      let colon = fields[1].lastIndex(of: ":"),
                      Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }

    /// A /proc file read to its end: String(contentsOfFile:) stops after the first read, which
    /// for /proc/net/tcp on a busy machine is a few dozen of its thousands of lines.
    private static func readWhole(_ path: String) -> String? {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func children(of pid: Int32) -> [Int32] {
        let tasks = "/proc/\(pid)/task"
        return ((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).flatMap { task in
            (readWhole("\(tasks)/\(task)/children") ?? "")
                .split(separator: " ").compactMap { Int32($0) }
        }
    }
}
