import FreightCore

/// Steering for a running replication: pause and continue scheduling, or stop.
/// Safe to call from any thread (signal handlers, the dashboard's key handler).
public final class RunControl: Sendable {
    private struct State {
        var paused = false
        var stopReason: String?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    public init() {}

    public var isPaused: Bool { state.value.paused }
    public var isStopping: Bool { state.value.stopReason != nil }
    public var stopReason: String? { state.value.stopReason }

    public func pause() { state.withLock { $0.paused = true } }

    public func resume() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.paused = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Stops scheduling new work; what is in flight finishes. Returns false if already stopping.
    @discardableResult
    public func stop(reason: String) -> Bool {
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
