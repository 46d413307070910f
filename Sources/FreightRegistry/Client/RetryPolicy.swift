import Foundation
import FreightHTTP

/// Exponential backoff with full jitter for failures that may pass: network errors, 408, 429
/// and 5xx. A `Retry-After` from the registry overrides the computed delay (capped).
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 0.25, maxDelay: Double = 20) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// Whether `error` is worth another attempt.
    public static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as RegistryError: return error.isTransient
        case let error as HTTPTransportError: return error.isTransient
        case let error as RetryableError: return error.isTransient
        default: return false
        }
    }

    /// The delay before attempt `attempt + 1` (attempt counts from 1).
    public func delay(after attempt: Int, error: any Error) -> Double {
        if let registryError = error as? RegistryError, let after = registryError.retryAfter {
            return min(max(after, 0), maxDelay * 3)
        }
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...ceiling)
    }

    /// Runs `operation`, retrying transient failures; `onRetry` hears of each retry.
    public func run<T: Sendable>(
        onRetry: @Sendable (_ attempt: Int, _ delay: Double, _ error: any Error) -> Void = { _, _, _ in },
        _ operation: @Sendable () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                guard attempt < maxAttempts, Self.isTransient(error), !Task.isCancelled else { throw error }
                let wait = delay(after: attempt, error: error)
                onRetry(attempt, wait, error)
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                attempt += 1
            }
        }
    }

    /// `Retry-After` is either delta-seconds or an HTTP date (IMF-fixdate,
    /// `Sun, 06 Nov 1994 08:49:37 GMT`).
    public static func parseRetryAfter(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        return httpDate(trimmed).map { max(0, $0.timeIntervalSinceNow) }
    }

    /// Parses an IMF-fixdate by hand. The header comes from the server, and Foundation's
    /// DateFormatter traps on some non-ASCII input ("Incorrect range CFRange", found by the
    /// libFuzzer harness with `t/\u{5A4}?`): a registry could crash a run with one header.
    static func httpDate(_ text: String) -> Date? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard text.utf8.allSatisfy({ $0 < 0x80 }), parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","),
              parts[5] == "GMT", let month = months.firstIndex(of: String(parts[2])),
              parts[1].count == 2, let day = Int(parts[1]), parts[3].count == 4, let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar.date(from: DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second))
    }
}

/// Hears of a request tried again: what it was, the attempt that failed (from 1), the seconds
/// until the next, and the failure.
public typealias RetryObserver = @Sendable (_ operation: String, _ attempt: Int, _ delay: Double, _ error: any Error) -> Void

/// An error that knows whether retrying can help (e.g. a stream cut short).
public protocol RetryableError: Error {
    var isTransient: Bool { get }
}
