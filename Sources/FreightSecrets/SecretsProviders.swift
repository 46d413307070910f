import FreightCloud
import FreightCore
import FreightHTTP

/// Builds the provider for a reference's scheme on first use and keeps it, so credentials
/// and tokens are resolved once per process.
public final class SecretsProviders: Sendable {
    public struct Settings: Sendable {
        public var environment: [String: String]
        /// Overrides the endpoint of whichever service is used (`--endpoint-url`).
        public var endpointURL: String?
        public var awsRegion: String?
        public var awsProfile: String?
        public var recoveryWindowDays: Int

        public init(environment: [String: String], endpointURL: String? = nil, awsRegion: String? = nil, awsProfile: String? = nil,
                    recoveryWindowDays: Int = 30) {
            self.environment = environment
            self.endpointURL = endpointURL
            self.awsRegion = awsRegion
            self.awsProfile = awsProfile
            self.recoveryWindowDays = recoveryWindowDays
        }
    }

    /// gcloud's own override for the Secret Manager endpoint.
    public static let googleEndpointVariable = "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER"

    public let settings: Settings
    private let http: HTTPClient
    private let clock: WallClock
    private let awsSession: (@Sendable () throws -> AWSSession)?
    private let built = Locked<[String: any SecretsProvider]>([:])

    /// `awsSession` shares AWS credentials with other clients (ECR); without one, a session is
    /// made from `settings` when an AWS secret is first used.
    public init(http: HTTPClient, settings: Settings, awsSession: (@Sendable () throws -> AWSSession)? = nil, clock: WallClock = .system) {
        self.http = http
        self.settings = settings
        self.awsSession = awsSession
        self.clock = clock
    }

    public func provider(for scheme: String) throws -> any SecretsProvider {
        if let provider = built.withLock({ $0[scheme] }) { return provider }
        let provider: any SecretsProvider
        switch scheme {
        case SecretReference.awsScheme:
            let session = try awsSession?() ?? AWSSession(environment: settings.environment, profile: settings.awsProfile, http: http, clock: clock)
            let api = try session.client(for: .secretsManager, region: session.region(explicit: settings.awsRegion),
                                         endpoint: settings.endpointURL)
            provider = AWSSecretsManager(api: api, recoveryWindowDays: settings.recoveryWindowDays)
        case SecretReference.gcpScheme:
            let credentials = try GoogleCredentials.standard(environment: settings.environment, http: http, clock: clock)
            var endpoint = GoogleSecretManager.defaultEndpoint, origin: String?
            if let explicit = settings.endpointURL, !explicit.isEmpty {
                (endpoint, origin) = (explicit, "--endpoint-url")
            } else if let variable = settings.environment[Self.googleEndpointVariable], !variable.isEmpty {
                (endpoint, origin) = (variable, Self.googleEndpointVariable)
            }
            guard URLParts(endpoint) != nil else {
                throw SecretsError(.invalidInput, "\(origin ?? "the endpoint") \"\(endpoint)\" is not an http:// or https:// URL")
            }
            provider = GoogleSecretManager(credentials: credentials, http: http, endpoint: endpoint, endpointOrigin: origin)
        default:
            throw SecretsError(.invalidInput, "no secrets provider for \"\(scheme)://\": use aws-sm:// or gcp-sm://")
        }
        return built.withLock { built in
            if let existing = built[scheme] { return existing }
            built[scheme] = provider
            return provider
        }
    }

    public func provider(for reference: SecretReference) throws -> any SecretsProvider { try provider(for: reference.scheme) }
}
