import FreightCore

/// The scheduler's side of steering (`RunningReplication` is the outside's): whether to pause
/// or stop scheduling. Safe to call from any thread.
final class RunControl: Sendable {
    private struct State {
        var paused = false
        var stopReason: String?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    var isStopping: Bool { state.value.stopReason != nil }

    /// Returns false when already paused, or stopping (a stop outranks a pause).
    func pause() -> Bool {
        state.withLock { state in
            guard !state.paused, state.stopReason == nil else { return false }
            state.paused = true
            return true
        }
    }

    /// Undoes `pause`; returns false when not paused.
    func proceed() -> Bool {
        let (was, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            let was = state.paused
            state.paused = false
            defer { state.waiters = [] }
            return (was, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        return was
    }

    /// Stops scheduling new work; what is in flight finishes. Returns false if already stopping.
    @discardableResult
    func stop(reason: String) -> Bool {
        let (first, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            let first = state.stopReason == nil
            if first { state.stopReason = reason }
            defer { state.waiters = [] }
            return (first, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        return first
    }

    /// Returns at once unless paused; then when continued or stopped.
    func waitWhilePaused() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard state.paused, state.stopReason == nil else { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
