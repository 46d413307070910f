import FreightCore
@testable import FreightRegistry
import Testing
import FreightTestSupport

/// What is retried, and how long the wait is: the registry's Retry-After when it gives one,
/// else exponential backoff with jitter.
@Suite("retry policy", .budget(minutes: 6))
struct RetryPolicyTests {
    static func failure(_ status: Int, retryAfter: Double? = nil) -> RegistryError {
        RegistryError(status: status, code: nil, message: "injected", operation: "test", retryAfter: retryAfter)
    }

    @Test("429 with Retry-After waits what the registry asked (capped); then the operation succeeds")
    func retryAfterIsHonoured() async throws {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.05)
        let calls = Locked(0), delays = Locked<[Double]>([])
        let value = try await policy.run(onRetry: { _, delay, _ in delays.withLock { $0.append(delay) } }) {
            let call = calls.withLock { $0 += 1; return $0 }
            if call == 1 { throw Self.failure(429, retryAfter: 0.12) }
            return "done"
        }
        #expect(value == "done" && calls.value == 2)
        #expect(delays.value == [0.12], "the registry's Retry-After, not the 1 ms backoff")
        #expect(abs(policy.delay(after: 1, error: Self.failure(503, retryAfter: 3600)) - 0.15) < 1e-9, "capped at 3 x maxDelay")
    }

    @Test("408, 429 and 5xx are retried with growing jittered backoff; 401, 403 and 404 fail at once")
    func whatIsRetried() async throws {
        let policy = RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 1)
        for status in [408, 429, 500, 503] {
            let calls = Locked(0), delays = Locked<[Double]>([])
            await #expect(throws: RegistryError.self) {
                try await policy.run(onRetry: { _, delay, _ in delays.withLock { $0.append(delay) } }) {
                    calls.withLock { $0 += 1 }
                    throw Self.failure(status)
                }
            }
            #expect(calls.value == 4, "HTTP \(status)")
            for (index, delay) in delays.value.enumerated() {
                let ceiling = 0.01 * Double(1 << index)
                #expect(delay >= ceiling / 2 && delay <= ceiling, "attempt \(index + 1) of HTTP \(status): \(delay)")
            }
        }
        for status in [401, 403, 404] {
            let calls = Locked(0)
            await #expect(throws: RegistryError.self) {
                try await policy.run {
                    calls.withLock { $0 += 1 }
                    throw Self.failure(status)
                }
            }
            #expect(calls.value == 1, "HTTP \(status) is permanent")
        }
    }
}
