import Foundation
import FreightCloud
import FreightCore
import FreightEngine
import FreightHTTP
import FreightRegistry

/// Builds repositories from locations: one HTTP client for the process, one registry client per
/// registry and role (source and destination may hold different credentials, certificate
/// directories and TLS settings).
final class Connections: Sendable {
    /// How one role reaches its registries: TLS and where its login files are.
    struct RoleSettings: Sendable {
        /// `--src-cert-dir`/`--dest-cert-dir`; nil: the registry's `certs.d` directory, if any.
        var certificateDirectory: String?
        /// `--src-tls-verify=false`/`--dest-tls-verify=false`: no certificate checks at all.
        var verifyTLS = true
        /// `--authfile`/`--src-authfile`/`--dest-authfile`.
        var authFile: String?
    }

    let http: HTTPClient
    private let insecure: Set<String>
    private let retry: RetryPolicy
    private let roles: [Role: RoleSettings]
    private let providers: [Role: any CredentialProvider]
    /// What must happen before the first write to a destination repository of a registry.
    private let destinationPreparer: (@Sendable (String) -> (any RepositoryPreparer)?)?
    private let clients = Locked<[String: RegistryClient]>([:])
    private let onRetry: RetryObserver?
    /// `--requests-per-second`, one bucket per registry (shared by both roles, and by every job
    /// of a job file's run).
    private let rates: RequestRates
    private let onAllowance: (@Sendable (String, PullAllowance) -> Void)?

    init(insecure: [String], retry: RetryPolicy, source: Credentials?, destination: Credentials?,
         sourceExtra: (any CredentialProvider)? = nil, destinationExtra: (any CredentialProvider)? = nil,
         roles: [Role: RoleSettings] = [:], environment: [String: String] = ProcessInfo.processInfo.environment,
         http: HTTPClient = HTTPClient(), destinationPreparer: (@Sendable (String) -> (any RepositoryPreparer)?)? = nil,
         onRetry: RetryObserver? = nil, rates: RequestRates = RequestRates(),
         onAllowance: (@Sendable (String, PullAllowance) -> Void)? = nil, observer: @escaping CredentialObserver = { _ in }) {
        self.http = http
        self.onRetry = onRetry
        self.rates = rates
        self.onAllowance = onAllowance
        self.destinationPreparer = destinationPreparer
        self.insecure = Set(insecure)
        self.retry = retry
        self.roles = roles
        func chain(_ role: Role, _ flag: Credentials?, _ extra: (any CredentialProvider)?) -> any CredentialProvider {
            var providers: [any CredentialProvider] = []
            if let flag { providers.append(ObservedCredentials(StaticCredentials(flag), name: "flag", observer: observer)) }
            if let extra { providers.append(extra) }
            providers.append(ObservedCredentials(DockerConfigCredentials(environment: environment, authFile: roles[role]?.authFile),
                                                 name: "docker-config", observer: observer))
            return ChainedCredentials(providers)
        }
        providers = [.source: chain(.source, source, sourceExtra), .destination: chain(.destination, destination, destinationExtra)]
    }

    /// The client for `registry` in `role`; its certificate directory is read on first use
    /// (an unusable one is an error naming the file).
    func client(for registry: String, role: Role) throws -> RegistryClient {
        try clients.withLock { clients in
            let key = "\(role.rawValue) \(registry)"
            if let client = clients[key] { return client }
            let settings = roles[role] ?? RoleSettings()
            let tls = try CertificateDirectory.find(host: registry, explicit: settings.certificateDirectory)?
                .settings(over: http.configuration.tls)
            let client = RegistryClient(registry: registry, http: http, credentials: providers[role]!,
                                        insecure: insecure.contains(registry) || !settings.verifyTLS, retry: retry,
                                        preparer: role == .destination ? destinationPreparer?(registry) : nil, tls: tls,
                                        onRetry: retryReporter(for: registry), requestRate: bucket(for: registry),
                                        onAllowance: role == .source ? allowanceReporter(for: registry) : nil)
            clients[key] = client
            return client
        }
    }

    /// The request bucket of `registry` under `--requests-per-second`, shared by both roles.
    private func bucket(for registry: String) -> TokenBucket? { rates.bucket(for: registry) }

    /// Retries of `registry`'s requests: to the run's observer, and counted for metrics.
    private func retryReporter(for registry: String) -> RetryObserver? {
        guard let metrics = ProcessMetrics.current else { return onRetry }
        let onRetry = self.onRetry
        return { operation, attempt, delay, error in
            onRetry?(operation, attempt, delay, error)
            metrics.retry(registry: registry, reason: RetryReason.of(error))
        }
    }

    private func allowanceReporter(for registry: String) -> (@Sendable (PullAllowance) -> Void)? {
        guard let report = onAllowance else { return nil }
        return { allowance in report(registry, allowance) }
    }

    func repository(registry: String, path: String, role: Role) throws -> RegistryRepository {
        RegistryRepository(client: try client(for: registry, role: role), path: path)
    }

    /// The repository a location names, and the tag or digest it names within it (nil: none given).
    func repository(for location: ImageLocation, role: Role) throws -> (repository: any ImageRepository, reference: String?) {
        switch location {
        case .registry(let reference):
            let explicit = reference.digest?.description ?? reference.tag
            return (try repository(registry: reference.registry, path: reference.repository, role: role), explicit)
        case .layout(let path, let tag, let digest):
            let layout = try OCILayout.open(path, create: role == .destination)
            return (OCILayoutRepository(layout: layout), digest?.description ?? tag)
        }
    }
}

/// `--requests-per-second`: one token bucket per registry, at that registry's rate (a job file's
/// `registries:`) or the one rate for all; shared by everything that reaches the registry.
final class RequestRates: Sendable {
    let rate: Double?
    let byRegistry: [String: Double]
    private let buckets = Locked<[String: TokenBucket]>([:])

    init(rate: Double? = nil, byRegistry: [String: Double] = [:]) {
        self.rate = rate
        self.byRegistry = byRegistry
    }

    func bucket(for registry: String) -> TokenBucket? {
        guard let rate = byRegistry[registry] ?? rate else { return nil }
        return buckets.withLock { buckets -> TokenBucket in
            if let bucket = buckets[registry] { return bucket }
            let bucket = TokenBucket(ratePerSecond: rate, burst: max(1, rate / 4))
            buckets[registry] = bucket
            return bucket
        }
    }
}

extension Connections {
    /// What the HTTP client counted, for a run's summary (the client counts; the engine is told).
    var requestTally: @Sendable () -> RequestTally {
        let counts = http.requestCounts
        return { RequestTally(byMethod: counts.snapshot, connections: counts.connections) }
    }
}
