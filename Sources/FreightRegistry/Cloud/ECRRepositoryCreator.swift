import FreightCloud

/// Creates missing ECR repositories before the first push to them: unlike most registries, ECR
/// refuses pushes to a repository that does not exist.
public struct ECRRepositoryCreator: RepositoryPreparer {
    public let host: ECRHost
    private let session: @Sendable () throws -> AWSSession

    /// Creates repositories in `host`'s registry (the account and region it names).
    public init(host: ECRHost, session: @escaping @Sendable () throws -> AWSSession) {
        self.host = host
        self.session = session
    }

    public func prepare(repository: String, registry: String) async throws {
        do {
            let ecr = ECRClient(api: try session().client(for: .ecr, region: host.region))
            try await ecr.createRepository(repository, account: host.account)
        } catch {
            throw RepositoryCreationError(repository: repository, registry: registry, reason: "\(error)")
        }
    }
}

/// A destination repository that could not be created.
public struct RepositoryCreationError: Error, CustomStringConvertible {
    public let repository: String
    public let registry: String
    public let reason: String

    public var description: String {
        "could not create ECR repository \(repository) in \(registry) (--no-create-repos turns creation off): \(reason)"
    }
}
