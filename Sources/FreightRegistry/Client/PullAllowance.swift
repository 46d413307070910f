import Foundation
import FreightHTTP

/// What a registry says is left of its pull allowance: Docker Hub's `ratelimit-limit: 100;w=21600`
/// and `ratelimit-remaining: 76;w=21600`, or the IETF draft's `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset` (seconds). Only manifest GETs count against it.
public struct PullAllowance: Sendable, Equatable {
    public var remaining: Int
    public var limit: Int?
    /// The window the limit counts over (Docker Hub's `w=`), or the seconds until it resets.
    public var windowSeconds: Int?

    public init(remaining: Int, limit: Int? = nil, windowSeconds: Int? = nil) {
        self.remaining = remaining
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// The allowance an answer's headers state, if they state one.
    public init?(headers: HTTPHeaders) {
        func parse(_ value: String?) -> (Int, Int?)? {
            guard let value else { return nil }
            let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = parts.first, let number = Int(first), number >= 0 else { return nil }
            let window = parts.dropFirst().compactMap { part -> Int? in
                guard part.lowercased().hasPrefix("w=") else { return nil }
                return Int(part.dropFirst(2))
            }.first
            return (number, window)
        }
        guard let (remaining, window) = parse(headers["ratelimit-remaining"]) else { return nil }
        self.remaining = remaining
        let limit = parse(headers["ratelimit-limit"])
        self.limit = limit?.0
        windowSeconds = window ?? limit?.1 ?? parse(headers["ratelimit-reset"])?.0
    }

    /// Little enough left that requests should go one at a time (a tenth of the limit, or five).
    public var isLow: Bool { remaining <= max(5, (limit ?? 0) / 10) }
}

/// A token bucket: `take` waits until the rate allows. Callers queue in the order they come,
/// each taking its tokens at once (the bucket may go into debt) and sleeping until it is paid.
public actor TokenBucket {
    public nonisolated let ratePerSecond: Double
    private let burst: Double
    private var available: Double
    private var refilled: ContinuousClock.Instant

    public init(ratePerSecond: Double, burst: Double) {
        precondition(ratePerSecond > 0 && burst > 0)
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        available = burst
        refilled = .now
    }

    public func take(_ count: Double = 1) async throws {
        let now = ContinuousClock.now
        let elapsed = now - refilled
        refilled = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        available = min(burst, available + seconds * ratePerSecond)
        available -= count
        if available < 0 { try await Task.sleep(for: .seconds(-available / ratePerSecond)) }
    }
}
