import FreightCore

/// Turns byte counts into `tagProgress` events, at most four a second per tag.
final class ProgressReporter: Sendable {
    private let events: EventBus
    private let repository: String
    private let tag: String
    private let total: Int64
    private let state = Locked<(done: Int64, sent: Int64, lastEmit: ContinuousClock.Instant?)>((0, 0, nil))

    init(events: EventBus, repository: String, tag: String, total: Int64) {
        self.events = events
        self.repository = repository
        self.tag = tag
        self.total = total
    }

    /// `bytes` toward the total, of which `sent` were uploaded (negative: a transfer that starts
    /// over takes back what it counted).
    /// Events are emitted under the lock (emitting only queues them): two threads that each
    /// read the counts and emitted after letting go could emit the older counts last.
    func add(_ bytes: Int64, sent: Int64) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.done += bytes
            state.sent += sent
            if let last = state.lastEmit, now - last < .milliseconds(250) { return }
            state.lastEmit = now
            report(state.done, state.sent)
        }
    }

    func finish() {
        state.withLock { report($0.done, $0.sent) }
    }

    private func report(_ done: Int64, _ sent: Int64) {
        events.emit(.tagProgress(repository: repository, tag: tag, bytesDone: min(max(0, done), total), bytesTotal: total,
                                 bytesSent: max(0, sent)))
    }
}
