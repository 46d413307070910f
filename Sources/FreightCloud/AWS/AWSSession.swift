import FreightHTTP

/// What every AWS client of a process shares: the environment, the shared config files, one
/// credential chain (so credentials are resolved and cached once) and the HTTP client.
public final class AWSSession: Sendable {
    public let environment: [String: String]
    public let config: AWSSharedConfig
    public let credentials: AWSCredentialChain
    public let http: HTTPClient
    public let clock: WallClock

    /// `profile` overrides `AWS_PROFILE`; `metadataHTTP` replaces the short-timeout client used
    /// for EC2 instance metadata.
    public init(environment: [String: String], profile: String? = nil, http: HTTPClient, metadataHTTP: HTTPClient? = nil,
                clock: WallClock = .system) throws {
        self.environment = environment
        config = try AWSSharedConfig(environment: environment, profile: profile)
        credentials = try AWSCredentialChain.standard(environment: environment, profile: profile, config: config, http: http,
                                                       metadataHTTP: metadataHTTP, clock: clock)
        self.http = http
        self.clock = clock
    }

    /// The region from `--region`, the environment or the profile.
    public func region(explicit: String? = nil) throws -> String {
        try AWSRegion.resolve(explicit: explicit, environment: environment, config: config)
    }

    /// A client for `service` in `region` (default: the session's region), at the explicit
    /// endpoint or the one the environment names.
    public func client(for service: AWSService, region: String? = nil, endpoint explicit: String? = nil) throws -> AWSJSONClient {
        let region = try region ?? self.region()
        let endpoint = try AWSEndpoint.resolve(service, region: region, explicit: explicit, environment: environment)
        return AWSJSONClient(service: service, region: region, endpoint: endpoint, credentials: credentials, http: http, clock: clock)
    }
}
