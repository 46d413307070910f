import FreightCore

/// A sync's `--prune`: what it was asked, what the source listed when the run was planned (so
/// the deletions follow the listing the copies did), and, once planned, every deletion with its
/// state, so a resume neither repeats nor forgets one.
public struct PruneRecord: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case pending, deleted, failed
    }

    public struct Entry: Sendable, Codable, Equatable {
        /// The destination repository path, and its name in events (relative to the prefix).
        public var repository: String
        public var name: String
        public var tag: String
        /// The manifest the tag named when the deletion was planned.
        public var digest: Digest?
        public var state: State
        public var error: String?

        public init(repository: String, name: String, tag: String, digest: Digest?) {
            self.repository = repository
            self.name = name
            self.tag = tag
            self.digest = digest
            state = .pending
        }
    }

    /// `--prune-repos`: also the tags of destination repositories the source no longer has.
    public var repositories: Bool
    /// `--prune-max`: more planned deletions than this, and nothing is deleted.
    public var maximum: Int
    /// The source's repositories (relative to its prefix) as the catalog listed them, for
    /// `--prune-repos`; nil when the repositories were named (`--repo`), not listed.
    public var sourceRepositories: [String]?
    /// Repositories the source listed whose tags no filter took: they are in no job of the run,
    /// and their vanished tags go too.
    public struct Listed: Sendable, Codable, Equatable {
        public var name: String
        public var destination: String
        public var sourceTags: [String]

        public init(name: String, destination: String, sourceTags: [String]) {
            self.name = name
            self.destination = destination
            self.sourceTags = sourceTags
        }
    }

    public var unplanned: [Listed] = []
    /// Why the source listing cannot be trusted whole (a repository that vanished while listed):
    /// then nothing is pruned.
    public var incomplete: [String]
    public var planned: Bool
    public var entries: [Entry]
    /// Why nothing (more) is deleted: an incomplete listing, too many deletions, a registry that
    /// refuses deletes.
    public var refusal: String?

    public init(repositories: Bool, maximum: Int) {
        self.repositories = repositories
        self.maximum = maximum
        incomplete = []
        planned = false
        entries = []
    }

    /// Deletions left to do (or the plan not made yet).
    public var hasWorkLeft: Bool { refusal == nil && (!planned || entries.contains { $0.state == .pending }) }
    public var hasFailures: Bool { refusal != nil || entries.contains { $0.state == .failed } }
}
