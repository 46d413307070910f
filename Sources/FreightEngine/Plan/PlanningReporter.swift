import FreightCore

/// Turns the planner's counts into `planning` events: at most four a second, and a last one
/// when the plan is whole, so a tree of thousands of repositories shows planning as it goes.
final class PlanningReporter: Sendable {
    private struct State {
        var progress = PlanningProgress(repositoriesListed: 0, repositories: nil, tagListsRead: 0, tags: 0, seconds: 0, done: false)
        var lastEmit: ContinuousClock.Instant?
    }

    private let events: EventBus?
    private let start = ContinuousClock.now
    private let state = Locked(State())

    init(events: EventBus?) { self.events = events }

    /// Planning began: the catalog is being read.
    func begin() { update(force: true) { _ in } }

    func listed(_ count: Int, selected: Int) {
        update(force: true) {
            $0.repositoriesListed = count
            $0.repositories = selected
        }
    }

    func read(tags: Int) {
        update(force: false) {
            $0.tagListsRead += 1
            $0.tags += tags
        }
    }

    func finish() { update(force: true) { $0.done = true } }

    private func update(force: Bool, _ change: (inout PlanningProgress) -> Void) {
        guard let events else { return }
        let now = ContinuousClock.now
        let emit = state.withLock { state -> PlanningProgress? in
            change(&state.progress)
            if !force, let last = state.lastEmit, now - last < .milliseconds(250) { return nil }
            state.lastEmit = now
            var progress = state.progress
            let elapsed = now - start
            progress.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return progress
        }
        if let emit { events.emit(.planning(emit)) }
    }
}
