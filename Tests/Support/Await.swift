import Foundation
import FreightCore

/// Polls `condition` until it holds or `timeout` passes; for conditions that cannot be awaited
/// any other way (another process's output, a registry's state).
public func waitUntil(timeout: Double = 30, interval: Double = 0.01, _ what: String,
                      _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw Timeout(what: what, seconds: timeout) }
        usleep(UInt32(interval * 1_000_000))
    }
}

public struct Timeout: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "timed out after \(seconds)s waiting for \(what)" }
}

/// A file another process writes, read as text.
public func contents(of path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// The value of `operation`, or `Timeout` after `limit`: for awaiting what a bug could make
/// never happen, so that the test fails in seconds rather than at its time limit. On a timeout
/// the operation is left running; the test releases whatever holds it.
public func within<T: Sendable>(_ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let settled = Locked(false)
        @Sendable func settle(_ result: Result<T, any Error>) {
            guard settled.withLock({ done in defer { done = true }; return !done }) else { return }
            continuation.resume(with: result)
        }
        let timer = Task {
            try await Task.sleep(for: limit)
            settle(.failure(Timeout(what: what, seconds: Double(limit.components.seconds))))
        }
        Task {
            let value = await operation()
            timer.cancel()
            settle(.success(value))
        }
    }
}

/// Polls `condition` every millisecond until it holds, or throws `Timeout` after `limit`; for
/// async tests (`waitUntil` blocks a thread of the cooperative pool, which the engine needs).
public func eventually(_ what: String, within limit: Duration = .seconds(10), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw Timeout(what: what, seconds: Double(limit.components.seconds)) }
        try await Task.sleep(for: .milliseconds(1))
    }
}
