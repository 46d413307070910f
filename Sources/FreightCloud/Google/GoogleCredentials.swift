import Foundation
import FreightCore
import FreightHTTP

/// Google access tokens from the first configured source, cached until a minute before they
/// expire:
/// 1. `GOOGLE_OAUTH_ACCESS_TOKEN`, a token obtained elsewhere (`gcloud auth print-access-token`);
/// 2. `GOOGLE_APPLICATION_CREDENTIALS`, a service-account key file (JWT bearer flow) or a user's
///    `authorized_user` file (refresh-token grant);
/// 3. the application-default credentials gcloud writes, `$CLOUDSDK_CONFIG/application_default_credentials.json`
///    (`~/.config/gcloud/…`), of either kind;
/// 4. the metadata server of a GCE/GKE machine: `GCE_METADATA_HOST`, or on a machine whose
///    firmware says it is a Google Compute Engine one, `metadata.google.internal`.
public final class GoogleCredentials: Sendable {
    /// Where Linux shows the machine's product name; on GCE it is "Google Compute Engine".
    public static let productNamePath = "/sys/class/dmi/id/product_name"

    public let source: any GoogleTokenSource
    private let cache: ExpiringCache<GoogleAccessToken>

    public init(source: any GoogleTokenSource, clock: WallClock = .system) {
        self.source = source
        cache = ExpiringCache(clock: clock, refreshMargin: 60)
    }

    /// The standard chain for `environment`; throws when nothing is configured.
    public static func standard(environment: [String: String], http: HTTPClient, clock: WallClock = .system,
                                productNamePath: String = productNamePath) throws -> GoogleCredentials {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let token = value("GOOGLE_OAUTH_ACCESS_TOKEN") {
            return GoogleCredentials(source: StaticTokenSource(token: Secret(token), clock: clock), clock: clock)
        }
        if let path = value("GOOGLE_APPLICATION_CREDENTIALS") {
            return GoogleCredentials(source: try fileSource(path, http: http, clock: clock), clock: clock)
        }
        if let path = applicationDefaultFile(environment) {
            return GoogleCredentials(source: try fileSource(path, http: http, clock: clock), clock: clock)
        }
        if let host = metadataHost(environment, productNamePath: productNamePath) {
            return GoogleCredentials(source: MetadataServerTokenSource(host: host, http: http, clock: clock), clock: clock)
        }
        throw GoogleAuthError("no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, "
                              + "run `gcloud auth application-default login`, set GOOGLE_OAUTH_ACCESS_TOKEN to an access token, "
                              + "or GCE_METADATA_HOST to a metadata server")
    }

    /// A credentials file: a user's `authorized_user` credentials, else a service-account key.
    static func fileSource(_ path: String, http: HTTPClient, clock: WallClock) throws -> any GoogleTokenSource {
        if let data = FileManager.default.contents(atPath: path),
           let user = try AuthorizedUserTokenSource.read(Array(data), path: path, http: http, clock: clock) {
            return user
        }
        return try ServiceAccountTokenSource(key: try GoogleServiceAccountKey.read(path), http: http, clock: clock)
    }

    /// gcloud's application-default credentials file, when there is one.
    public static func applicationDefaultFile(_ environment: [String: String]) -> String? {
        let directory: String
        if let config = environment["CLOUDSDK_CONFIG"], !config.isEmpty {
            directory = config
        } else if let home = environment["HOME"], !home.isEmpty {
            directory = "\(home)/.config/gcloud"
        } else {
            return nil
        }
        let path = "\(directory)/application_default_credentials.json"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Whether `environment` (or the machine, on GCE) configures any source, so callers can
    /// skip Google auth quietly.
    public static func isConfigured(_ environment: [String: String], productNamePath: String = productNamePath) -> Bool {
        ["GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS"].contains { !(environment[$0] ?? "").isEmpty }
            || applicationDefaultFile(environment) != nil || metadataHost(environment, productNamePath: productNamePath) != nil
    }

    /// The metadata server to ask: `GCE_METADATA_HOST`, else the standard name on a machine
    /// that is a GCE one (read from the firmware's product name, as Google's own libraries do,
    /// without a network probe that would stall everywhere else).
    public static func metadataHost(_ environment: [String: String], productNamePath: String = productNamePath) -> String? {
        if let host = environment["GCE_METADATA_HOST"], !host.isEmpty { return host }
        guard let data = FileManager.default.contents(atPath: productNamePath),
              String(decoding: data, as: UTF8.self).contains("Google") else { return nil }
        return "metadata.google.internal"
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
