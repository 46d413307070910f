import Foundation
@testable import FreightEngine
import FreightCore
import FreightTestSupport
import Testing

@Suite("tag progress", .budget(minutes: 3))
struct ProgressReporterTests {
    /// Counts only grow here, so every event must say at least what the one before said: events
    /// built from the counts under the lock but emitted after letting go could arrive in the
    /// other order (seen as "sent went down" in a --compress run under load).
    @Test("progress events from many threads arrive in the order of the counts they carry")
    func eventsKeepTheirOrder() async throws {
        let events = EventBus()
        let seen = Locked<[Int64]>([])
        events.observe { event in
            if case .tagProgress(_, _, _, _, let sent) = event { seen.withLock { $0.append(sent) } }
        }
        let reporter = ProgressReporter(events: events, repository: "r", tag: "t", total: 1 << 40)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for round in 0..<5_000 {
                        reporter.add(1, sent: 1)
                        if round % 2 == 0 { reporter.finish() }
                    }
                }
            }
        }
        reporter.finish()
        let sent = seen.value
        #expect(sent.count > 10_000)
        #expect(sent.last == 20_000)
        let backwards = zip(sent, sent.dropFirst()).filter { $0 > $1 }.count
        #expect(backwards == 0, "\(backwards) events said less than the one before")
    }
}
