import FreightCore
import FreightRegistry

/// What a run has learned about one destination store's tags, so it asks the registry less:
/// the tags each repository has (its `tags/list`, read once per repository per run, then kept
/// current as tags are pushed).
actor DestinationCache {
    /// A repository's tag list as read at its first use in this run.
    private enum Listing {
        /// The repository did not exist: everything in it comes from this run.
        case missing
        case tags(Set<String>)
        /// It could not be read (no list permission, an error): assume anything may exist.
        case unknown
    }

    private var listings: [String: Task<Listing, Never>] = [:]
    private var pushedTags: [String: Set<String>] = [:]

    private func listing(of repository: any ImageRepository) async -> Listing {
        if let existing = listings[repository.path] { return await existing.value }
        let task = Task<Listing, Never> {
            do {
                return .tags(Set(try await repository.tags()))
            } catch let error as RegistryError where error.isNotFound {
                return .missing
            } catch {
                return .unknown
            }
        }
        listings[repository.path] = task
        return await task.value
    }

    /// Whether `repository` may have `tag`: false only when its tag list (read once) lacks it
    /// and this run has not pushed it. When the list cannot be read, everything may exist.
    func mayHave(_ tag: String, in repository: any ImageRepository) async -> Bool {
        if pushedTags[repository.path]?.contains(tag) == true { return true }
        switch await listing(of: repository) {
        case .missing: return false
        case .tags(let tags): return tags.contains(tag)
        case .unknown: return true
        }
    }

    /// Whether the repository did not exist when this run first looked: then every blob in it
    /// was placed by this run (and is known to the blob location cache), so existence checks
    /// can only answer "absent" and are skipped.
    func isNew(_ repository: any ImageRepository) async -> Bool {
        if case .missing = await listing(of: repository) { return true }
        return false
    }

    /// Whether `repository` is known to have `tag`: its tag list (read once) holds it, or this
    /// run pushed it. Unlike `mayHave`, an unreadable list proves nothing.
    func lists(_ tag: String, in repository: any ImageRepository) async -> Bool {
        if pushedTags[repository.path]?.contains(tag) == true { return true }
        if case .tags(let tags) = await listing(of: repository) { return tags.contains(tag) }
        return false
    }

    func pushed(_ tag: String, in repository: String) {
        pushedTags[repository, default: []].insert(tag)
    }
}
