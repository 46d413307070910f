import Foundation
import FreightCore

/// What listing a saved run needs, kept beside its checkpoint (`header`) so that `checkpoints
/// list`, `status`, `resume` without a run id and the dashboard read a few hundred bytes per run,
/// not every tag of it.
///
/// The header is derived data: written (not synced) after every snapshot, at most once a second
/// while tags finish, and when the run ends. It names the snapshot it describes (its inode, which
/// each snapshot's rename changes, its size and modification time, which any edit in place
/// changes) and how much of the journal it counts. A header that describes other files than
/// those on disk is not used: the run is read whole instead. The one
/// exception is a run still marked running, whose journal grows past its header between writes:
/// it is listed as of its last header, at most a second old (or, if its process died, as of its
/// last second).
public struct RunHeader: Sendable, Codable, Equatable {
    /// A repository's counts; the header carries the first `RunHeader.repositoryLimit`.
    public struct Repository: Sendable, Codable, Equatable {
        public var name: String
        public var done: Int
        public var failed: Int
        public var total: Int
    }

    /// Repositories listed by name in a header; the rest only counted (a listing shows a screenful).
    public static let repositoryLimit = 100

    public var runID: String
    public var createdAt: Date
    public var updatedAt: Date
    public var state: RunRecord.State
    public var source: String
    public var destination: String
    public var sessions: Int
    public var done: Int
    public var failed: Int
    public var total: Int
    /// `RunRecord.isResumable`: whether `resume` has anything to do.
    public var hasWorkLeft: Bool
    /// Whether the run records what `resume` needs (a `copy` does not).
    public var hasSettings: Bool
    /// Whether the run rewrote images (compression, formats, platforms): such runs are read whole
    /// to learn what they rewrote.
    public var rewrites: Bool
    public var shard: ShardRecord?
    public var cycleOf: String?
    public var repositoryCount: Int
    public var repositories: [Repository]
    /// The snapshot this header describes, and the journal bytes it counts.
    public var checkpoint = FileIdentity()
    public var journalBytes: Int

    public init(_ record: RunRecord) {
        runID = record.runID
        createdAt = record.createdAt
        updatedAt = record.updatedAt
        state = record.state
        source = record.source
        destination = record.destination
        sessions = record.sessions
        var done = 0, failed = 0, total = 0
        var repositories: [Repository] = []
        for repository in record.repositories {
            var counts = Repository(name: repository.destination, done: 0, failed: 0, total: repository.tags.count)
            for tag in repository.tags {
                if tag.state.isDone { counts.done += 1 } else if tag.state == .failed { counts.failed += 1 }
            }
            done += counts.done
            failed += counts.failed
            total += counts.total
            if repositories.count < Self.repositoryLimit { repositories.append(counts) }
        }
        self.done = done
        self.failed = failed
        self.total = total
        hasWorkLeft = record.state != .completed && (done < total || record.prunes.contains { $0?.hasWorkLeft ?? false })
        hasSettings = !record.jobSettings.isEmpty
        rewrites = record.jobSettings.contains { !$0.rewrite.isIdentity }
        shard = record.shard
        cycleOf = record.cycleOf
        repositoryCount = record.repositories.count
        self.repositories = repositories
        journalBytes = 0
    }

    static let magic = "freightliner-run-header"
}

/// What stat(2) says about a file, enough to tell whether it changed: replaced (inode), or
/// written in place (size, modification time).
public struct FileIdentity: Sendable, Codable, Equatable {
    public var inode: UInt64 = 0
    public var size: Int64 = 0
    public var modifiedNanoseconds: Int64 = 0

    public init() {}

    /// The file at `path` as it is now; nil if it cannot be stat'ed.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modifiedNanoseconds = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
    }
}
