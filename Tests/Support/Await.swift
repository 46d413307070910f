import Foundation

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

/// Polls `condition` until it holds or `timeout` passes, suspending between polls rather than
/// blocking: for async tests, whose code under test needs the pool's threads to make progress.
public func suspendUntil(timeout: Double = 30, interval: Double = 0.01, _ what: String,
                         _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw Timeout(what: what, seconds: timeout) }
        try await Task.sleep(for: .seconds(interval))
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
