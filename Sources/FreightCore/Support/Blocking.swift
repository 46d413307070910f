import Foundation

/// Runs blocking work (a subprocess, a file read, an fsync) on its own thread, so it never
/// occupies one of the few threads of Swift's cooperative pool (two on a 2-core machine).
public func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.start()
    }
}
