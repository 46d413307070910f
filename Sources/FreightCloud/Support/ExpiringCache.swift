import Foundation

/// Holds values that expire (access tokens, registry passwords) under string keys. A value is
/// served until `refreshMargin` before its expiry; concurrent callers needing the same missing
/// value share one fetch, and a failed fetch is not cached.
public actor ExpiringCache<Value: Sendable> {
    public struct Entry: Sendable {
        public let value: Value
        public let expires: Date
    }

    private var entries: [String: Entry] = [:]
    private var fetches: [String: Task<Entry, any Error>] = [:]
    private let clock: WallClock
    private let refreshMargin: TimeInterval

    public init(clock: WallClock = .system, refreshMargin: TimeInterval = 60) {
        self.clock = clock
        self.refreshMargin = refreshMargin
    }

    /// The cached entry for `key` while it is fresh, else the result of `fetch`, which returns
    /// the value and when it expires.
    public func value(for key: String,
                      fetch: @escaping @Sendable () async throws -> (Value, expires: Date)) async throws -> Entry {
        if let entry = entries[key], clock.now() < entry.expires.addingTimeInterval(-refreshMargin) { return entry }
        if let running = fetches[key] { return try await running.value }
        let task = Task { () throws -> Entry in
            let (value, expires) = try await fetch()
            return Entry(value: value, expires: expires)
        }
        fetches[key] = task
        defer { fetches[key] = nil }
        let entry = try await task.value
        entries[key] = entry
        return entry
    }

    /// Forgets `key`, e.g. after the service refused the cached value.
    public func invalidate(_ key: String) {
        entries[key] = nil
    }
}
