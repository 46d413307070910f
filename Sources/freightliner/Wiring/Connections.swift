import FreightCloud
import FreightCore
import FreightEngine
import FreightHTTP
import FreightRegistry

/// Builds repositories from locations: one HTTP client for the process, one registry client per
/// registry and role (source and destination may hold different credentials).
final class Connections: Sendable {
    let http: HTTPClient
    private let insecure: Set<String>
    private let retry: RetryPolicy
    private let providers: [Role: any CredentialProvider]
    /// What must happen before the first write to a destination repository of a registry.
    private let destinationPreparer: (@Sendable (String) -> (any RepositoryPreparer)?)?
    private let clients = Locked<[String: RegistryClient]>([:])

    init(insecure: [String], retry: RetryPolicy, source: Credentials?, destination: Credentials?,
         sourceExtra: (any CredentialProvider)? = nil, destinationExtra: (any CredentialProvider)? = nil,
         http: HTTPClient = HTTPClient(), destinationPreparer: (@Sendable (String) -> (any RepositoryPreparer)?)? = nil,
         observer: @escaping CredentialObserver = { _ in }) {
        self.http = http
        self.destinationPreparer = destinationPreparer
        self.insecure = Set(insecure)
        self.retry = retry
        let docker = ObservedCredentials(DockerConfigCredentials(), name: "docker-config", observer: observer)
        func chain(_ flag: Credentials?, _ extra: (any CredentialProvider)?) -> any CredentialProvider {
            var providers: [any CredentialProvider] = []
            if let flag { providers.append(ObservedCredentials(StaticCredentials(flag), name: "flag", observer: observer)) }
            if let extra { providers.append(extra) }
            providers.append(docker)
            return ChainedCredentials(providers)
        }
        providers = [.source: chain(source, sourceExtra), .destination: chain(destination, destinationExtra)]
    }

    func client(for registry: String, role: Role) -> RegistryClient {
        clients.withLock { clients in
            let key = "\(role.rawValue) \(registry)"
            if let client = clients[key] { return client }
            let client = RegistryClient(registry: registry, http: http, credentials: providers[role]!,
                                        insecure: insecure.contains(registry), retry: retry,
                                        preparer: role == .destination ? destinationPreparer?(registry) : nil)
            clients[key] = client
            return client
        }
    }

    func repository(registry: String, path: String, role: Role) -> RegistryRepository {
        RegistryRepository(client: client(for: registry, role: role), path: path)
    }

    /// The repository a location names, and the tag or digest it names within it (nil: none given).
    func repository(for location: ImageLocation, role: Role) throws -> (repository: any ImageRepository, reference: String?) {
        switch location {
        case .registry(let reference):
            let explicit = reference.digest?.description ?? reference.tag
            return (repository(registry: reference.registry, path: reference.repository, role: role), explicit)
        case .layout(let path, let tag, let digest):
            let layout = try OCILayout.open(path, create: role == .destination)
            return (OCILayoutRepository(layout: layout), digest?.description ?? tag)
        }
    }
}
