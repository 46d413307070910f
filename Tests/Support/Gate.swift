import FreightCore

/// Holds the operations that reach it until it is opened: a request that is slow on cue, or,
/// never opened, one that never finishes. A held operation honours task cancellation (it throws
/// `CancellationError`), so a test whose engine fails to give up on the work cannot hang on it
/// past its time limit, and one whose engine does give up sees it return at once.
public final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var arrivals = 0
        var held: [Int: CheckedContinuation<Void, any Error>] = [:]
        var watchers: [Int: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextID = 0

        mutating func id() -> Int {
            nextID += 1
            return nextID
        }

        /// Takes the watchers whose count of arrivals is reached.
        mutating func reachedWatchers() -> [CheckedContinuation<Void, Never>] {
            let reached = watchers.filter { $0.value.count <= arrivals }
            for id in reached.keys { watchers.removeValue(forKey: id) }
            return reached.values.map(\.continuation)
        }
    }

    private let state = Locked(State())

    public init() {}

    /// Operations that reached the gate so far: held now, let through, or cancelled while held.
    public var arrivals: Int { state.value.arrivals }
    /// Operations held at the gate right now.
    public var holding: Int { state.withLock { $0.held.count } }

    /// Lets every held operation and every later one through.
    public func open() {
        let held = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.isOpen = true
            defer { state.held = [:] }
            return Array(state.held.values)
        }
        for continuation in held { continuation.resume() }
    }

    /// Waits here until the gate opens; throws `CancellationError` when the task is cancelled first.
    public func pass() async throws {
        let id = state.withLock { $0.id() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (verdict, reached) = state.withLock { state -> (Result<Bool, CancellationError>, [CheckedContinuation<Void, Never>]) in
                    state.arrivals += 1
                    let reached = state.reachedWatchers()
                    // Cancelled before it was held: the cancellation handler found nothing to release.
                    if Task.isCancelled { return (.failure(CancellationError()), reached) }
                    if state.isOpen { return (.success(true), reached) }
                    state.held[id] = continuation
                    return (.success(false), reached)
                }
                for watcher in reached { watcher.resume() }
                switch verdict {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            state.withLock { $0.held.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Returns once `count` operations have reached the gate, or throws `Timeout` after `limit`
    /// (the engine never got there).
    public func arrived(_ count: Int = 1, within limit: Duration = .seconds(10)) async throws {
        let id = state.withLock { $0.id() }
        try await within(limit, "\(count) operation(s) at the gate (\(arrivals) arrived)") { [state] in
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    guard state.arrivals < count else { return true }
                    state.watchers[id] = (count, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}
