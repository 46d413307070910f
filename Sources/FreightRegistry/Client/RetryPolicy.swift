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

    /// `Retry-After` is either delta-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}

/// An error that knows whether retrying can help (e.g. a stream cut short).
public protocol RetryableError: Error {
    var isTransient: Bool { get }
}
