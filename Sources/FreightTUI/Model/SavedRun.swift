import Foundation

/// A run saved in the checkpoint directory, as `freightliner dashboard` lists it. The CLI
/// builds these from the checkpoint store, so the dashboard never reads checkpoints itself.
public struct SavedRun: Sendable, Equatable {
    public enum State: String, Sendable {
        case running, interrupted, completed, failed
        /// The checkpoint could not be read; `problem` says why.
        case damaged
    }

    public struct Repository: Sendable, Equatable {
        public var name: String
        public var done: Int
        public var failed: Int
        public var total: Int

        public init(name: String, done: Int, failed: Int, total: Int) {
            self.name = name
            self.done = done
            self.failed = failed
            self.total = total
        }
    }

    public var runID: String
    public var state: State
    public var source: String
    public var destination: String
    public var updatedAt: Date?
    public var done: Int
    public var failed: Int
    public var total: Int
    /// The first repositories (a screenful; a listing does not carry them all).
    public var repositories: [Repository]
    /// How many repositories the run has, listed or not.
    public var repositoryCount: Int
    public var problem: String?
    /// Whether `r` has anything to do for it.
    public var resumable: Bool

    public init(runID: String, state: State, source: String = "", destination: String = "", updatedAt: Date? = nil,
                done: Int = 0, failed: Int = 0, total: Int = 0, repositories: [Repository] = [], repositoryCount: Int? = nil,
                problem: String? = nil, resumable: Bool = false) {
        self.runID = runID
        self.state = state
        self.source = source
        self.destination = destination
        self.updatedAt = updatedAt
        self.done = done
        self.failed = failed
        self.total = total
        self.repositories = repositories
        self.repositoryCount = max(repositoryCount ?? repositories.count, repositories.count)
        self.problem = problem
        self.resumable = resumable
    }
}
