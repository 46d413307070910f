import Foundation
import FreightHTTP

/// The standard credential chain, in the AWS SDKs' order: keys in the environment, a web
/// identity in the environment (EKS), the profile in the shared files (static keys, an assumed
/// role, IAM Identity Center, `credential_process`), container credentials (ECS, EKS Pod
/// Identity), EC2 instance metadata. The first source with credentials wins; they are cached,
/// and temporary ones are fetched again five minutes before they expire.
public final class AWSCredentialChain: Sendable {
    public let sources: [any AWSCredentialsSource]
    private let cache: ExpiringCache<AWSCredentials>

    public init(sources: [any AWSCredentialsSource], clock: WallClock = .system) {
        self.sources = sources
        cache = ExpiringCache(clock: clock, refreshMargin: 300)
    }

    /// The standard chain for `environment`; `profile` overrides `AWS_PROFILE`.
    /// `http` reaches STS, IAM Identity Center and container endpoints (roles, SSO and pods need it).
    public static func standard(environment: [String: String], profile: String? = nil, config: AWSSharedConfig? = nil,
                                http: HTTPClient? = nil, metadataHTTP: HTTPClient? = nil,
                                clock: WallClock = .system) throws -> AWSCredentialChain {
        let config = try config ?? AWSSharedConfig(environment: environment, profile: profile)
        var sources: [any AWSCredentialsSource] = []
        // An explicit profile means "use this profile", not "unless the environment has keys".
        if profile == nil {
            sources.append(EnvironmentCredentials(environment: environment))
            if let http {
                let region = try? AWSRegion.resolve(environment: environment, config: config)
                sources.append(WebIdentityCredentials(environment: environment) {
                    try STSClient(environment: environment, region: region, http: http, clock: clock)
                })
            }
        }
        sources.append(ProfileCredentials(config: config, environment: environment, http: http, metadataHTTP: metadataHTTP))
        if let http { sources.append(ContainerCredentials(environment: environment, http: http)) }
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
