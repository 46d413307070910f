import Foundation
import FreightCore
import FreightEngine

/// Everything that reaches the dashboard loop from other threads, in order of arrival.
enum LoopInput: Sendable {
    case event(ReplicationEvent, at: Date)
    case streamEnded
    case interrupt(String)
    case resumeStarted(runID: String, LiveRun)
    case resumeFailed(runID: String, message: String)
    case savedRuns([SavedRun])
    /// `serve`: a new cycle, shown in place of the last one (its events are pumped by the sender).
    case cycleStarted(LiveRun)
    /// `serve`: when the next cycle starts (nil: none is planned).
    case nextCycle(Date?)
    case note(LogEntry.Level, String)
    /// Close now, whatever the run is doing (`serve` has stopped).
    case leave
}

/// A queue the engine side only ever appends to, so an event never waits for the screen.
final class Inbox: Sendable {
    private let queue = Locked<[LoopInput]>([])

    func push(_ input: LoopInput) { queue.withLock { $0.append(input) } }

    func drain() -> [LoopInput] {
        queue.withLock { queue in
            defer { queue = [] }
            return queue
        }
    }

    /// Feeds a run's events in, stamped with when they arrived.
    func pump(_ events: AsyncStream<ReplicationEvent>) -> Task<Void, Never> {
        Task {
            for await event in events { self.push(.event(event, at: Date())) }
            self.push(.streamEnded)
        }
    }
}
