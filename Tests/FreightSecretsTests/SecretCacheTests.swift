import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightSecrets
import FreightTestSupport
import Testing

/// The cache in front of the providers: one fetch per secret per TTL, status notifications
/// with times and never values, and the last good value kept when a refresh fails.
@Suite(.budget(minutes: 6)) struct SecretCacheTests {
    let google: GoogleSecretServer
    let http = HTTPClient()

    init() async throws { google = try await GoogleSecretServer.started() }

    @Test func loadsOnceRefreshesAfterTTLAndKeepsTheLastValueOnFailure() async throws {
        let now = Locked(Date())
        let statuses = Locked<[CredentialStatus]>([])
        let providers = SecretsProviders(http: http, settings: .init(environment: google.environment))
        let cache = SecretCache(providers: providers, ttl: 300, clock: WallClock { now.value }) { status in
            statuses.withLock { $0.append(status) }
        }
        let base = "gcp-sm://projects/\(google.project)/secrets/robot"
        let secrets = try providers.provider(for: "gcp-sm")
        _ = try await secrets.put(try SecretReference(parsing: base), value: Secret(#"{"username":"robot","password":"pw-one"}"#))

        let user = try await cache.value(try SecretReference(parsing: base + "#username"))
        let password = try await cache.value(try SecretReference(parsing: base + "#password"))
        #expect(user.value.revealed == "robot")
        #expect(password.value.revealed == "pw-one")
        #expect(password.expires == now.value.addingTimeInterval(300))
        #expect(try google.stats()["accesses"] == 1)

        // A rotated value is picked up after the TTL.
        _ = try await secrets.put(try SecretReference(parsing: base), value: Secret(#"{"username":"robot","password":"pw-two"}"#))
        now.withLock { $0 = $0.addingTimeInterval(299) }
        #expect(try await cache.value(try SecretReference(parsing: base + "#password")).value.revealed == "pw-one")
        now.withLock { $0 = $0.addingTimeInterval(2) }
        #expect(try await cache.value(try SecretReference(parsing: base + "#password")).value.revealed == "pw-two")

        // The secret vanishes: the refresh fails, the last value is kept and retried soon.
        _ = try await secrets.delete(try SecretReference(parsing: base), force: true)
        now.withLock { $0 = $0.addingTimeInterval(301) }
        let kept = try await cache.value(try SecretReference(parsing: base + "#password"))
        #expect(kept.value.revealed == "pw-two")
        #expect(kept.expires == now.value.addingTimeInterval(SecretCache.retryAfterFailure))

        let seen = statuses.value
        #expect(seen.map(\.state) == [.loaded, .refreshed, .failed])
        #expect(seen.allSatisfy { $0.provider == "gcp-sm" && $0.reference == base })
        #expect(seen[0].at == seen[0].at && seen[2].detail?.contains("refresh failed, still using the value loaded at") == true)
        #expect(seen[2].detail?.contains("does not exist") == true)
        for status in seen {
            #expect(!"\(status)".contains("pw-one") && !"\(status)".contains("pw-two"))
        }
    }

    @Test func aFirstLoadFailureIsThrownAndReported() async throws {
        let statuses = Locked<[CredentialStatus]>([])
        let cache = SecretCache(providers: SecretsProviders(http: http, settings: .init(environment: google.environment))) { status in
            statuses.withLock { $0.append(status) }
        }
        let reference = try SecretReference(parsing: "gcp-sm://projects/\(google.project)/secrets/absent#password")
        let error = await #expect(throws: SecretsError.self) { try await cache.value(reference) }
        #expect(error?.kind == .notFound)
        #expect(statuses.value.map(\.state) == [.failed])
        #expect(statuses.value.first?.reference == "gcp-sm://projects/\(google.project)/secrets/absent")
    }

    @Test func fieldErrorsComeFromTheCachedValue() async throws {
        let providers = SecretsProviders(http: http, settings: .init(environment: google.environment))
        let base = "gcp-sm://projects/\(google.project)/secrets/plain"
        _ = try await providers.provider(for: "gcp-sm").put(try SecretReference(parsing: base), value: Secret("not-json-value"))
        let cache = SecretCache(providers: providers)
        #expect(try await cache.value(try SecretReference(parsing: base)).value.revealed == "not-json-value")
        let error = await #expect(throws: SecretsError.self) { try await cache.value(try SecretReference(parsing: base + "#password")) }
        #expect(error?.kind == .field)
        #expect(error?.description.contains("not-json-value") == false)
        #expect(try google.stats()["accesses"] == 1)
    }
}

extension SecretCacheTests {
    /// Callers arriving while a refresh is in flight share it, and when it fails they all get
    /// the kept value, not some the value and some the error.
    @Test func concurrentCallersDuringAFailedRefreshAllGetTheKeptValue() async throws {
        let now = Locked(Date())
        let providers = SecretsProviders(http: http, settings: .init(environment: google.environment))
        let cache = SecretCache(providers: providers, ttl: 60, clock: WallClock { now.value })
        let reference = try SecretReference(parsing: "gcp-sm://projects/\(google.project)/secrets/shared")
        _ = try await providers.provider(for: "gcp-sm").put(reference, value: Secret("kept"))
        #expect(try await cache.value(reference).value.revealed == "kept")
        _ = try await providers.provider(for: "gcp-sm").delete(reference, force: true)
        now.withLock { $0 = $0.addingTimeInterval(61) }
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 { group.addTask { try await cache.value(reference).value.revealed } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: "kept", count: 6))
        #expect(try google.stats()["accesses"] == 2)
    }
}
