import Foundation
import FreightCore
import FreightHTTP

/// Google access tokens from the first configured source, cached until a minute before they
/// expire:
/// 1. `GOOGLE_OAUTH_ACCESS_TOKEN`, a token obtained elsewhere (`gcloud auth print-access-token`);
/// 2. `GOOGLE_APPLICATION_CREDENTIALS`, a service-account key file (JWT bearer flow);
/// 3. `GCE_METADATA_HOST`, the metadata server of a GCE/GKE machine.
public final class GoogleCredentials: Sendable {
    public let source: any GoogleTokenSource
    private let cache: ExpiringCache<GoogleAccessToken>

    public init(source: any GoogleTokenSource, clock: WallClock = .system) {
        self.source = source
        cache = ExpiringCache(clock: clock, refreshMargin: 60)
    }

    /// The standard chain for `environment`; throws when nothing is configured.
    public static func standard(environment: [String: String], http: HTTPClient, clock: WallClock = .system) throws -> GoogleCredentials {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let token = value("GOOGLE_OAUTH_ACCESS_TOKEN") {
            return GoogleCredentials(source: StaticTokenSource(token: Secret(token), clock: clock), clock: clock)
        }
        if let path = value("GOOGLE_APPLICATION_CREDENTIALS") {
            let key = try GoogleServiceAccountKey.read(path)
            return GoogleCredentials(source: try ServiceAccountTokenSource(key: key, http: http, clock: clock), clock: clock)
        }
        if let host = value("GCE_METADATA_HOST") {
            return GoogleCredentials(source: MetadataServerTokenSource(host: host, http: http, clock: clock), clock: clock)
        }
        throw GoogleAuthError("no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, "
                              + "GOOGLE_OAUTH_ACCESS_TOKEN to an access token, or GCE_METADATA_HOST on GCE")
    }

    /// Whether `environment` configures any source (so callers can skip Google auth quietly).
    public static func isConfigured(_ environment: [String: String]) -> Bool {
        ["GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST"].contains { !(environment[$0] ?? "").isEmpty }
    }

    public func accessToken() async throws -> GoogleAccessToken {
        let source = self.source
        return try await cache.value(for: "token") {
            let token = try await source.fetchToken()
            return (token, token.expires)
        }.value
    }

    /// Forgets the cached token after a service refused it; the next call fetches a new one.
    public func invalidate() async { await cache.invalidate("token") }
}

/// A token given from outside. Its lifetime is unknown; it is used until a service refuses it.
public struct StaticTokenSource: GoogleTokenSource {
    public let token: Secret
    private let clock: WallClock

    public init(token: Secret, clock: WallClock = .system) {
        self.token = token
        self.clock = clock
    }

    public var name: String { "GOOGLE_OAUTH_ACCESS_TOKEN" }

    public func fetchToken() async throws -> GoogleAccessToken {
        GoogleAccessToken(token: token, expires: clock.now().addingTimeInterval(3600), source: "GOOGLE_OAUTH_ACCESS_TOKEN")
    }
}
