/// Work a registry needs done before the first write to a repository, such as creating it
/// (ECR). Run once per repository and client; a failure is reported to every writer waiting.
public protocol RepositoryPreparer: Sendable {
    func prepare(repository: String, registry: String) async throws
}
