import Foundation
import FreightCloud
import FreightCore
import FreightEngine
import FreightHTTP
import FreightRegistry
import FreightSecrets

/// Connections with every credential source a command's options name, in the order they are
/// tried: `--src-creds`/`--dest-creds`, then `--*-creds-secret`, then the registry's cloud (ECR
/// via AWS, Google registries via Google credentials), then docker's config. ECR destinations
/// get missing repositories created unless `--no-create-repos`.
///
/// AWS and Google configuration is only read when a secret or a registry of theirs is used.
struct CredentialWiring {
    let connections: Connections
    let secretCredentials: [Role: SecretCredentials]

    /// The credentials secret of each role, as a checkpoint may keep it: a reference, never a value.
    func secretReference(_ role: Role) -> String? { secretCredentials[role]?.reference.description }

    /// Reads each credentials secret once, for the registry (`HOST[:PORT]`) it will serve, before
    /// any transfer: a missing secret, a refused key or a malformed value stops the command with
    /// its reason.
    func checkSecrets(_ registries: [Role: String]) async throws {
        for (role, registry) in registries {
            guard let provider = secretCredentials[role] else { continue }
            _ = try await provider.credentials(for: registry)
        }
    }

    /// `checkSecrets` for the registries that locations name (OCI layouts need no credentials).
    func checkSecrets(for locations: [Role: ImageLocation]) async throws {
        try await checkSecrets(locations.compactMapValues { location in
            if case .registry(let reference) = location { return reference.registry }
            return nil
        })
    }
}

extension ConnectionOptions {
    /// `observer` hears every credential's status changes (loaded, refreshed, failed), to
    /// forward as `ReplicationEvent.secretStatus`. A resumed run passes the secret references
    /// and insecure registries it saved; the options given now take precedence.
    func wire(environment: [String: String] = ProcessInfo.processInfo.environment,
              savedSecrets: [Role: String] = [:], savedInsecureRegistries: [String] = [], saved: RunSettings? = nil,
              onRetry: RetryObserver? = nil, events: EventBus? = nil, http shared: HTTPClient? = nil, rates sharedRates: RequestRates? = nil,
              observer notify: @escaping CredentialObserver = { _ in }) throws -> CredentialWiring {
        let roleSettings = roleSettings(saved: saved)
        let http = shared ?? HTTPClient(configuration: httpConfiguration(environment: environment))
        let aws = Lazy { try AWSSession(environment: environment, http: http) }
        let providers = SecretsProviders(http: http, settings: .init(environment: environment), awsSession: { try aws.value() })
        let cache = SecretCache(providers: providers, observer: notify)
        var secrets: [Role: SecretCredentials] = [:]
        for (role, option, text) in [(Role.source, "--src-creds-secret", sourceCredentialsSecret ?? savedSecrets[.source]),
                                     (Role.destination, "--dest-creds-secret", destinationCredentialsSecret ?? savedSecrets[.destination])] {
            guard let text else { continue }
            do {
                secrets[role] = SecretCredentials(reference: try SecretReference(parsing: text), option: option, cache: cache)
            } catch {
                throw CredentialsError(reason: "\(option): \(error)")
            }
        }
        let google = Lazy { GoogleCredentials.isConfigured(environment) ? try GoogleCredentials.standard(environment: environment, http: http) : nil }
        let cloud: [any CredentialProvider] = [
            ECRCredentials(session: { try aws.value() }, observer: notify),
            GoogleRegistryCredentials(google: { try google.value() }, observer: notify),
        ]
        func extra(_ role: Role) -> any CredentialProvider {
            ChainedCredentials((secrets[role].map { [$0] } ?? []) + cloud)
        }
        for (role, flag) in [(Role.source, "--src-tls-verify=false"), (.destination, "--dest-tls-verify=false")]
        where roleSettings[role]?.verifyTLS == false {
            Console.error("freightliner: warning: \(flag): the \(role.rawValue) registry's certificate is not checked, so its identity is not either\n")
        }
        let createRepositories = !noCreateRepositories
        let rates = sharedRates ?? RequestRates(rate: (requestsPerSecond ?? saved?.requestsPerSecond).map { Double($0) },
                                                byRegistry: (saved?.requestsPerSecondByRegistry ?? [:]).mapValues { Double($0) })
        let connections = Connections(insecure: savedInsecureRegistries + insecureRegistries, retry: retryPolicy,
                                      source: try credentials(.source),
                                      destination: try credentials(.destination), sourceExtra: extra(.source),
                                      destinationExtra: extra(.destination), roles: roleSettings, environment: environment, http: http,
                                      destinationPreparer: { registry in
                                          guard createRepositories, let host = ECRHost(registry: registry) else { return nil }
                                          return ECRRepositoryCreator(host: host, session: { try aws.value() })
                                      }, onRetry: onRetry ?? Self.printRetry,
                                      rates: rates,
                                      onAllowance: events.map(Self.allowanceEvents),
                                      observer: notify)
        return CredentialWiring(connections: connections, secretCredentials: secrets)
    }
}

extension ConnectionOptions {
    /// The HTTP client's configuration: the environment's TLS trust, and `--debug`'s trace.
    func httpConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(environment: environment)
        if debug { configuration.trace = true }
        if let metrics = ProcessMetrics.current {
            configuration.onResponse = { url, method, status in
                metrics.request(host: URLParts(url)?.authority ?? "", method: method, status: status)
            }
        }
        return configuration
    }

    /// For commands without an event stream (`ls`): a retry is a plain line on stderr.
    static let printRetry: RetryObserver = { operation, attempt, delay, error in
        Console.error("\(Timestamp.string()) retry    \(operation) (attempt \(attempt + 1) in \(String(format: "%.1f", delay))s): \(error)\n")
    }

    /// The pull allowance a source states, as `pull_allowance` events (the dashboard's header).
    static func allowanceEvents(_ events: EventBus) -> @Sendable (String, PullAllowance) -> Void {
        { registry, allowance in
            events.emit(.pullAllowance(registry: registry, remaining: allowance.remaining, limit: allowance.limit))
        }
    }

    /// For commands that report through events: a retry is a `retrying` event.
    static func retryEvents(_ events: EventBus) -> RetryObserver {
        { operation, attempt, delay, error in
            events.emit(.retrying(operation: operation, attempt: attempt, delay: delay, reason: "\(error)"))
        }
    }
}

/// A value made on first use and kept (a failure too, so it is reported the same way each time).
final class Lazy<Value: Sendable>: Sendable {
    private let make: @Sendable () throws -> Value
    private let result = Locked<Result<Value, any Error>?>(nil)

    init(_ make: @escaping @Sendable () throws -> Value) { self.make = make }

    func value() throws -> Value {
        try result.withLock { result in
            if result == nil { result = Result { try make() } }
            return try result!.get()
        }
    }
}
