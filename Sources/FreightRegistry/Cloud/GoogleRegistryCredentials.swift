import Foundation
import FreightCloud
import FreightCore

/// Credentials for Google's registries (`gcr.io`, `*.gcr.io`, `*-docker.pkg.dev`): user
/// `oauth2accesstoken` with an access token from the Google credential chain. Other hosts, or
/// no Google credentials configured, give nil.
public struct GoogleRegistryCredentials: CredentialProvider {
    public static let username = "oauth2accesstoken"

    private let google: @Sendable () throws -> GoogleCredentials?
    private let observer: CredentialObserver?
    private let clock: WallClock
    /// The expiry of the last token given out per registry, to tell a refresh from a repeat.
    private let given = Locked<[String: Date]>([:])

    /// `google` is called when a Google registry is first met; nil means "not configured".
    public init(google: @escaping @Sendable () throws -> GoogleCredentials?, clock: WallClock = .system,
                observer: CredentialObserver? = nil) {
        self.google = google
        self.clock = clock
        self.observer = observer
    }

    public static func isGoogleRegistry(_ registry: String) -> Bool {
        let host = registry.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        return host == "gcr.io" || host.hasSuffix(".gcr.io") || host.hasSuffix("-docker.pkg.dev")
    }

    public func credentials(for registry: String) async throws -> Credentials? {
        guard Self.isGoogleRegistry(registry) else { return nil }
        do {
            guard let google = try google() else { return nil }
            let token = try await google.accessToken()
            let previous = given.withLock { given in
                defer { given[registry] = token.expires }
                return given[registry]
            }
            if previous != token.expires {
                observer?(CredentialStatus(provider: "gcr", reference: registry, state: previous == nil ? .loaded : .refreshed, at: clock.now()))
            }
            return Credentials(username: Self.username, password: token.token, expires: token.expires.addingTimeInterval(-60))
        } catch {
            observer?(CredentialStatus(provider: "gcr", reference: registry, state: .failed, at: clock.now(), detail: "\(error)"))
            throw CredentialsError(reason: "Google credentials for \(registry): \(error)")
        }
    }
}
