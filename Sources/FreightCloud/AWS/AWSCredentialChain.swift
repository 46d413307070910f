import Foundation
import FreightHTTP

/// The standard credential chain: environment, then the profile in the shared files, then EC2
/// instance metadata. The first source with credentials wins; they are cached, and temporary
/// ones are fetched again five minutes before they expire.
public final class AWSCredentialChain: Sendable {
    public let sources: [any AWSCredentialsSource]
    private let cache: ExpiringCache<AWSCredentials>

    public init(sources: [any AWSCredentialsSource], clock: WallClock = .system) {
        self.sources = sources
        cache = ExpiringCache(clock: clock, refreshMargin: 300)
    }

    /// The standard chain for `environment`; `profile` overrides `AWS_PROFILE`.
    public static func standard(environment: [String: String], profile: String? = nil, config: AWSSharedConfig? = nil,
                                metadataHTTP: HTTPClient? = nil, clock: WallClock = .system) throws -> AWSCredentialChain {
        let config = try config ?? AWSSharedConfig(environment: environment, profile: profile)
        var sources: [any AWSCredentialsSource] = []
        // An explicit profile means "use this profile", not "unless the environment has keys".
        if profile == nil { sources.append(EnvironmentCredentials(environment: environment)) }
        sources.append(ProfileCredentials(config: config))
        sources.append(InstanceMetadataCredentials(environment: environment, http: metadataHTTP))
        return AWSCredentialChain(sources: sources, clock: clock)
    }

    public func credentials() async throws -> AWSCredentials {
        let sources = self.sources
        return try await cache.value(for: "credentials") {
            for source in sources {
                if let found = try await source.resolve() {
                    return (found, found.expiration ?? .distantFuture)
                }
            }
            throw AWSCredentialsNotFound(searched: sources.map(\.name))
        }.value
    }

    /// Drops cached credentials (after AWS said they expired).
    public func invalidate() async { await cache.invalidate("credentials") }
}
