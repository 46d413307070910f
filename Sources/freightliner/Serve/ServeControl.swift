import Foundation
import FreightCore
import FreightEngine

/// What `serve`'s signals ask of its loop, across cycles: SIGINT and SIGTERM stop (the cycle in
/// flight finishes its transfers and saves, a second signal abandons them), SIGHUP re-reads the
/// job file. The loop waits on `wait(until:)`, which any of them cuts short.
final class ServeControl: Sendable {
    private struct State {
        var stopping = false
        var reload = false
        var cycle: RunningReplication?
        // The doorbell: rung while nobody waits, or the waiter to resume.
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Locked(State())

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// A signal, from the signal queue.
    func signal(_ name: String) {
        if name == "SIGHUP" {
            state.withLock { $0.reload = true }
            ring()
            return
        }
        let cycle = state.withLock { state -> RunningReplication? in
            state.stopping = true
            return state.cycle
        }
        cycle?.interrupt(reason: "received \(name): serve stops after this cycle's transfers in flight; again to abandon them")
        ring()
    }

    /// Stop after the cycle in flight (the dashboard's `q`, which stops the cycle itself).
    func stopServing() {
        state.withLock { $0.stopping = true }
        ring()
    }

    /// Whether SIGHUP asked for a reload since the last call.
    func takeReload() -> Bool {
        state.withLock { state in
            defer { state.reload = false }
            return state.reload
        }
    }

    /// The cycle signals go to while it runs; one started after a stop was asked for stops at once.
    func running(_ cycle: RunningReplication?) {
        let stopping = state.withLock { state -> Bool in
            state.cycle = cycle
            return state.stopping
        }
        if let cycle, stopping { cycle.stop(reason: "serve is stopping") }
    }

    /// Returns at `date`, or earlier when a signal arrives (or one arrived while nobody waited).
    func wait(until date: Date) async {
        let delay = date.timeIntervalSinceNow
        guard delay > 0 else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) }
            group.addTask { await self.doorbell() }
            await group.next()
            group.cancelAll()
        }
    }

    private func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    private func doorbell() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Under the lock: a cancellation either came before (seen here) or takes the
                // waiter stored here.
                let now = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        if !Task.isCancelled { state.rung = false }
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
