import FreightCore

/// Turns byte counts into `tagProgress` events, at most four a second per tag.
final class ProgressReporter: Sendable {
    private let events: EventBus
    private let repository: String
    private let tag: String
    private let total: Int64
    private let state = Locked<(done: Int64, lastEmit: ContinuousClock.Instant?)>((0, nil))

    init(events: EventBus, repository: String, tag: String, total: Int64) {
        self.events = events
        self.repository = repository
        self.tag = tag
        self.total = total
    }

    func add(_ bytes: Int64) {
        let now = ContinuousClock.now
        let emit = state.withLock { state -> Int64? in
            state.done += bytes
            if let last = state.lastEmit, now - last < .milliseconds(250) { return nil }
            state.lastEmit = now
            return state.done
        }
        if let done = emit {
            events.emit(.tagProgress(repository: repository, tag: tag, bytesDone: min(done, total), bytesTotal: total))
        }
    }

    func finish() {
        let done = state.withLock { $0.done }
        events.emit(.tagProgress(repository: repository, tag: tag, bytesDone: min(done, total), bytesTotal: total))
    }
}
