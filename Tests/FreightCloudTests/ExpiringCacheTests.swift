import Foundation
import FreightCloud
import FreightCore
import Testing
import FreightTestSupport

@Suite(.budget(minutes: 8)) struct CloudExpiringCacheTests {
    @Test func servesUntilTheMarginThenRefetches() async throws {
        let now = Locked(Date(timeIntervalSince1970: 1_000_000))
        let cache = ExpiringCache<Int>(clock: WallClock { now.value }, refreshMargin: 60)
        let fetches = Locked(0)
        let fetch: @Sendable () async throws -> (Int, expires: Date) = {
            let count = fetches.withLock { $0 += 1; return $0 }
            return (count, now.value.addingTimeInterval(600))
        }
        let first = try await cache.value(for: "k", fetch: fetch)
        #expect(first.value == 1)
        now.withLock { $0 = $0.addingTimeInterval(539) }
        #expect(try await cache.value(for: "k", fetch: fetch).value == 1)
        now.withLock { $0 = $0.addingTimeInterval(2) }
        #expect(try await cache.value(for: "k", fetch: fetch).value == 2)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let cache = ExpiringCache<Int>()
        let fetches = Locked(0)
        let gate = AsyncStream<Void>.makeStream()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await cache.value(for: "k") {
                        fetches.withLock { $0 += 1 }
                        for await _ in gate.stream { break }
                        return (7, Date().addingTimeInterval(3600))
                    }.value
                }
            }
            // Let every caller reach the cache before the single fetch may finish.
            while await Task.yield() == (), fetches.value == 0 {}
            for _ in 0..<50 { await Task.yield() }
            gate.continuation.yield()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: 7, count: 8))
        #expect(fetches.value == 1)
    }

    @Test func failuresAreNotCached() async throws {
        struct Boom: Error {}
        let cache = ExpiringCache<Int>()
        await #expect(throws: Boom.self) { try await cache.value(for: "k") { throw Boom() } }
        #expect(try await cache.value(for: "k") { (3, Date().addingTimeInterval(3600)) }.value == 3)
    }
}
