import Foundation
import FreightCore

/// `Tests/Fixtures/wan_link.py`: a wide-area link emulated on the TCP bytes in front of a server
/// on loopback (half the round trip each way, a new connection's first bytes one more, a
/// bandwidth cap per direction shared by every connection), as the WAN profile of `make bench`
/// puts one in front of every registry.
public final class WanLink: Sendable {
    /// The link's counters, from its stats port.
    public struct Stats: Sendable {
        public var connections: Int
        /// Client to server.
        public var bytesUp: Int64
        public var bytesDown: Int64
        public var chunks: Int
        /// Chunks that waited for the line while the chunks before them were being sent.
        public var throttledChunks: Int
        /// The least time any chunk was held on its way, in milliseconds; nil before the first.
        public var minimumDelayMilliseconds: Double?
    }

    /// `127.0.0.1:PORT`
    public let host: String
    public let port: Int
    private let statsPort: Int
    private let directory = TemporaryDirectory("wan-link")
    private let server: ServerProcess

    /// `rate`: bytes a second each way (0: no cap).
    public init(upstreamPort: Int, roundTripMilliseconds: Int, rate: Int = 0) throws {
        let statsPort = ServerProcess.freePort()
        self.statsPort = statsPort
        server = try ServerProcess.start(logPath: directory.file("link.log")) { port in
            ["python3", "\(Paths.fixtures)/wan_link.py", "--port", "\(port)", "--upstream", "127.0.0.1:\(upstreamPort)",
             "--rtt-ms", "\(roundTripMilliseconds)", "--rate", "\(rate)", "--stats-port", "\(statsPort)"]
        }
        port = server.port
        host = "127.0.0.1:\(server.port)"
    }

    public func stop() { server.stop() }

    /// The link's log (tracebacks of anything unexpected), for failure messages.
    public var log: String { contents(of: server.logPath) }

    public func stats() throws -> Stats {
        let text = try Shell.check(["curl", "-sf", "http://127.0.0.1:\(statsPort)/"]).stdout
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Shell.Failure(command: ["curl", "http://127.0.0.1:\(statsPort)/"], result: .init(status: 0, stdout: text, stderr: ""))
        }
        let int = { (key: String) in (object[key] as? NSNumber)?.int64Value ?? 0 }
        return Stats(connections: Int(int("connections")), bytesUp: int("bytes_up"), bytesDown: int("bytes_down"),
                     chunks: Int(int("chunks")), throttledChunks: Int(int("throttled_chunks")),
                     minimumDelayMilliseconds: (object["min_delay_ms"] as? NSNumber)?.doubleValue)
    }
}
