import Foundation
import FreightCloud
import FreightCore

/// Secret values kept for a while, so a long run reads each secret once per `ttl` rather than
/// once per request, and picks up a rotated value after at most `ttl`.
///
/// Each secret (without its `#FIELD`) is fetched once; every field of it is served from that
/// fetch. The observer hears `loaded` on the first fetch, `refreshed` on each later one, and
/// `failed` when a fetch fails. When a refresh fails, the value already held is kept and tried
/// again after a short delay, so a brief outage of the secrets service does not stop a run.
public actor SecretCache {
    /// A value and when the cache will fetch it again.
    public struct Cached: Sendable {
        public let value: Secret
        public let expires: Date
    }

    private struct Entry {
        let value: Secret
        let loadedAt: Date
        var expires: Date
    }

    public let ttl: TimeInterval
    private let providers: SecretsProviders
    private let clock: WallClock
    private let observer: CredentialObserver?
    private var entries: [SecretReference: Entry] = [:]
    private var fetches: [SecretReference: Task<Entry, any Error>] = [:]

    /// How soon a failed refresh is tried again while the old value is kept.
    public static let retryAfterFailure: TimeInterval = 30

    public init(providers: SecretsProviders, ttl: TimeInterval = 300, clock: WallClock = .system, observer: CredentialObserver? = nil) {
        self.providers = providers
        self.ttl = ttl
        self.clock = clock
        self.observer = observer
    }

    /// The value a reference names (its `#FIELD` when it has one).
    public func value(_ reference: SecretReference) async throws -> Cached {
        let whole = try await entry(reference.withoutField)
        guard let field = reference.field else { return Cached(value: whole.value, expires: whole.expires) }
        return Cached(value: try SecretField.extract(field, from: whole.value, reference: reference), expires: whole.expires)
    }

    private func entry(_ reference: SecretReference) async throws -> Entry {
        let now = clock.now()
        if let entry = entries[reference], now < entry.expires { return entry }
        if let running = fetches[reference] {
            do {
                return try await running.value
            } catch {
                // The caller that started the fetch reports the failure and keeps the old value.
                guard let kept = entries[reference] else { throw error }
                return kept
            }
        }
        let previous = entries[reference]
        let providers = self.providers, ttl = self.ttl, clock = self.clock
        let task = Task { () throws -> Entry in
            let version = try await providers.provider(for: reference).get(reference)
            let at = clock.now()
            return Entry(value: version.value, loadedAt: at, expires: at.addingTimeInterval(ttl))
        }
        fetches[reference] = task
        defer { fetches[reference] = nil }
        do {
            let entry = try await task.value
            entries[reference] = entry
            notify(reference, previous == nil ? .loaded : .refreshed, at: entry.loadedAt)
            return entry
        } catch {
            let at = clock.now()
            guard var stale = previous else {
                notify(reference, .failed, at: at, detail: "\(error)")
                throw error
            }
            stale.expires = at.addingTimeInterval(min(ttl, Self.retryAfterFailure))
            entries[reference] = stale
            let loaded = ISO8601DateFormatter().string(from: stale.loadedAt)
            notify(reference, .failed, at: at, detail: "refresh failed, still using the value loaded at \(loaded): \(error)")
            return stale
        }
    }

    private func notify(_ reference: SecretReference, _ state: CredentialStatus.State, at: Date, detail: String? = nil) {
        observer?(CredentialStatus(provider: reference.scheme, reference: reference.description, state: state, at: at, detail: detail))
    }
}
