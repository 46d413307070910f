import Foundation
import FreightCore
import Testing
import FreightTestSupport

/// The servers every other suite starts. A server that could not bind its port must not pass for
/// started because another server answers there: CI once ran a copy against the wrong registry
/// (401 from someone else's htpasswd, then "connection refused" once that test stopped its own).
@Suite("test servers", .budget(minutes: 4))
struct ServerProcessTests {
    @Test("a server whose port another server holds fails to start, naming its log")
    func aTakenPortIsNotTakenForStarted() async throws {
        let holder = try await runBlocking { try TestRegistry.start() }
        let port = try #require(Int(holder.host.split(separator: ":").last ?? ""))
        // Enough other listeners that /proc/net/tcp is longer than one read (as when many suites
        // run at once): this one's line may come late.
        let listeners = (0..<100).map { _ in ServerProcess.listener() }
        defer { listeners.forEach { close($0) } }
        let directory = TemporaryDirectory()
        let started = try await runBlocking { () -> Result<ServerProcess, any Error> in
            Result { try ServerProcess(["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port)"],
                                       port: port, logPath: directory.file("second.log")) }
        }
        guard case .failure(let error) = started else {
            Issue.record("a second server on \(port) was taken for started")
            return
        }
        #expect("\(error)".contains("Address already in use"), "\(error)")
        #expect(ServerProcess.listens(port: port, process: holder.pid))
    }

    @Test("ports handed out at once are all different")
    func portsAreNotHandedOutTwice() {
        let ports = (0..<500).map { _ in ServerProcess.freePort() }
        #expect(Set(ports).count == ports.count)
    }
}
