import FlyingFox
import FlyingSocks
import Foundation
import FreightCore

/// `--metrics-listen ADDR:PORT`: `/metrics` in Prometheus text format and `/healthz`, on a
/// FlyingFox server. There is no authentication, so anything but loopback is warned about.
public final class MetricsServer: Sendable {
    /// Where to listen: an IPv4 or IPv6 address and a port (0: any free port).
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public let host: String
        public let port: UInt16

        /// `127.0.0.1:9480`, `[::1]:9480`, `0.0.0.0:9480`, `:9480` (every interface).
        public init(parsing text: String) throws {
            func bad(_ why: String) -> MetricsAddressError { MetricsAddressError(value: text, reason: why) }
            guard let colon = text.lastIndex(of: ":") else { throw bad("needs a port: ADDR:PORT, such as 127.0.0.1:9480") }
            var host = String(text[..<colon])
            let portText = text[text.index(after: colon)...]
            guard let port = UInt16(portText) else { throw bad("\"\(portText)\" is not a port (0-65535)") }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty { host = "0.0.0.0" }
            if host == "localhost" { host = "127.0.0.1" }
            var v4 = in_addr(), v6 = in6_addr()
            guard inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 else {
                throw bad("\"\(host)\" is not an IP address (a name other than localhost is not resolved: give its address)")
            }
            self.host = host
            self.port = port
        }

        var isIPv6: Bool { host.contains(":") }

        /// Whether only this machine can connect.
        public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

        public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    private let server: HTTPServer
    private let metrics: ReplicationMetrics

    public init(address: Address, metrics: ReplicationMetrics) throws {
        if address.isIPv6 {
            server = HTTPServer(address: try .inet6(ip6: address.host, port: address.port), logger: .disabled)
        } else {
            server = HTTPServer(address: try .inet(ip4: address.host, port: address.port), logger: .disabled)
        }
        self.metrics = metrics
    }

    private static func route(_ server: HTTPServer, _ metrics: ReplicationMetrics) async {
        await server.appendRoute("GET /metrics") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: Data(metrics.exposition()))
        }
        await server.appendRoute("GET /healthz") { _ in
            let (healthy, detail) = metrics.health.check()
            return HTTPResponse(statusCode: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: Data((detail + "\n").utf8))
        }
    }

    /// Starts listening, for as long as the process runs; returns the address bound (its port,
    /// when 0 was asked for). A port in use or an address not of this machine is an error naming it.
    public func start(_ asked: Address) async throws -> Address {
        let server = self.server
        await Self.route(server, metrics)
        let failure = Locked<(any Error)?>(nil)
        Task {
            do { try await server.run() } catch { failure.withLock { $0 = error } }
        }
        do {
            try await server.waitUntilListening(timeout: 5)
        } catch {
            throw MetricsAddressError(value: asked.description, reason: "cannot listen: \(failure.value.map { "\($0)" } ?? "\(error)")")
        }
        guard let bound = await server.listeningAddress else {
            throw MetricsAddressError(value: asked.description, reason: "cannot listen: \(failure.value.map { "\($0)" } ?? "no address bound")")
        }
        switch bound {
        case .ip4(let host, let port): return try Address(parsing: "\(host):\(port)")
        case .ip6(let host, let port): return try Address(parsing: "[\(host)]:\(port)")
        case .unix(let path): throw MetricsAddressError(value: path, reason: "is a Unix socket")
        }
    }
}

public struct MetricsAddressError: Error, CustomStringConvertible {
    public let value: String
    public let reason: String
    public var description: String { "--metrics-listen \(value): \(reason)" }
}
