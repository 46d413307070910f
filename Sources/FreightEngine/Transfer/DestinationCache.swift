import FreightCore
import FreightRegistry

/// What a run has learned about one destination store, so it asks the registry less:
/// the tags each repository has (its `tags/list`, read once per repository per run, then kept
/// current as tags are pushed) and the manifests this run already stored in each repository.
actor DestinationCache {
    private var tags: [String: Task<Set<String>?, Never>] = [:]
    private var pushedTags: [String: Set<String>] = [:]
    private var manifests: [String: Set<Digest>] = [:]

    /// Whether `repository` may have `tag`: false only when its tag list (read once) lacks it
    /// and this run has not pushed it. When the list cannot be read, everything may exist.
    func mayHave(_ tag: String, in repository: any ImageRepository) async -> Bool {
        if pushedTags[repository.path]?.contains(tag) == true { return true }
        let task: Task<Set<String>?, Never>
        if let existing = tags[repository.path] {
            task = existing
        } else {
            task = Task {
                do {
                    return Set(try await repository.tags())
                } catch let error as RegistryError where error.isNotFound {
                    return []  // the repository does not exist yet
                } catch {
                    return nil
                }
            }
            tags[repository.path] = task
        }
        guard let known = await task.value else { return true }
        return known.contains(tag)
    }

    func pushed(_ tag: String, in repository: String) {
        pushedTags[repository, default: []].insert(tag)
    }

    /// Whether this run already stored the manifest `digest` in `repository`.
    func hasManifest(_ digest: Digest, in repository: String) -> Bool {
        manifests[repository]?.contains(digest) == true
    }

    func storedManifest(_ digest: Digest, in repository: String) {
        manifests[repository, default: []].insert(digest)
    }
}
