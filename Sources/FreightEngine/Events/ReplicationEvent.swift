import Foundation
import FreightCloud
import FreightCore

/// Everything the engine tells the outside world while it runs: the one stream the dashboard,
/// the plain and JSON outputs and the tests learn from. The engine never waits for a consumer.
public enum ReplicationEvent: Sendable {
    /// The run began (or resumed): where from, where to, and what is already done.
    case runStarted(RunInfo)
    /// Planning, before `runStarted`: the catalog and tag lists read so far (a few a second,
    /// and once more when the plan is whole).
    case planning(PlanningProgress)
    /// The plan is known: every repository with its tag count and known sizes.
    case planned([PlannedRepository])
    case repositoryStarted(repository: String)
    case repositoryFinished(repository: String, status: RepositoryStatus)
    case tagStarted(repository: String, tag: String)
    /// Bytes moved so far for a tag; sent at most a few times a second per tag.
    /// `bytesDone` counts toward `bytesTotal` (the source bytes read; a blob found present or
    /// mounted counts whole); `bytesSent`, what was uploaded so far (for a recompressed layer,
    /// its compressed bytes), so a sum of it never runs ahead of what the tag reports at the end.
    case tagProgress(repository: String, tag: String, bytesDone: Int64, bytesTotal: Int64, bytesSent: Int64)
    case tagFinished(repository: String, tag: String, outcome: TagOutcome, stats: TagStats)
    /// A blob reached the destination (or was found already there).
    case blobFinished(repository: String, digest: Digest, size: Int64, transfer: BlobTransferKind)
    /// A layer went through the compression stage.
    case layerCompressed(repository: String, LayerCompression)
    /// A transient failure; the operation will be tried again after `delay` seconds.
    case retrying(operation: String, attempt: Int, delay: Double, reason: String)
    case checkpointSaved(path: String, at: Date)
    /// The source registry stated what is left of its pull allowance.
    case pullAllowance(registry: String, remaining: Int, limit: Int?)
    /// `--prune` deleted a tag at the destination (with `dryRun`, would delete it).
    case tagPruned(repository: String, tag: String, dryRun: Bool)
    /// A credential source changed state (never its value).
    case secretStatus(SecretStatus)
    /// Scheduling paused (`p`): no new tag starts; transfers in flight go on.
    case paused
    /// Scheduling continued after a pause. (A saved run continued by `freightliner resume` is
    /// a run "resumed": `RunInfo.resumed`.)
    case continued
    /// Stopping was asked for (signal or key); in-flight work is finishing.
    case stopping(reason: String)
    case warning(String)
    /// The last event of a run.
    case runFinished(RunSummary)
}

/// How far planning has got: repositories the catalog (or the command line) named, how many of
/// them the filters keep, and their tag lists read so far.
public struct PlanningProgress: Sendable, Equatable {
    /// Repositories listed by the catalog so far (or named with --repo).
    public var repositoriesListed: Int
    /// Of those, the ones whose tags are read (nil until the catalog is whole).
    public var repositories: Int?
    public var tagListsRead: Int
    /// Tags those lists hold that the filters keep.
    public var tags: Int
    public var seconds: Double
    public var done: Bool

    public init(repositoriesListed: Int, repositories: Int?, tagListsRead: Int, tags: Int, seconds: Double, done: Bool) {
        self.repositoriesListed = repositoriesListed
        self.repositories = repositories
        self.tagListsRead = tagListsRead
        self.tags = tags
        self.seconds = seconds
        self.done = done
    }
}

public struct RunInfo: Sendable, Equatable {
    public let runID: String
    public let source: String
    public let destination: String
    public let startedAt: Date
    /// True when this invocation continues an earlier, interrupted one.
    public let resumed: Bool
    public let dryRun: Bool
    public let checkpointPath: String?

    public init(runID: String, source: String, destination: String, startedAt: Date, resumed: Bool, dryRun: Bool,
                checkpointPath: String?) {
        self.runID = runID
        self.source = source
        self.destination = destination
        self.startedAt = startedAt
        self.resumed = resumed
        self.dryRun = dryRun
        self.checkpointPath = checkpointPath
    }

    /// The command that continues this run, with `--checkpoint-dir` unless its checkpoint is in
    /// the default directory (every hint says this, so each can be pasted as it is); nil for a
    /// run that saves nothing (a copy, a dry run).
    public var resumeCommand: String? {
        guard let path = checkpointPath, !dryRun else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        guard directory != CheckpointStore.defaultDirectory() else { return "freightliner resume \(runID)" }
        return "freightliner resume \(runID) --checkpoint-dir \(Self.shellWord(directory))"
    }

    /// `text` as one word for a POSIX shell: as it is when it is plain, else single-quoted.
    static func shellWord(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "/._-+=:@%,".unicodeScalars.contains(scalar))
        }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

public struct PlannedRepository: Sendable, Equatable {
    /// The destination-relative display name, e.g. `team/app`.
    public let name: String
    public let tags: [String]
    /// Tags finished in an earlier session of this run.
    public let alreadyDone: [String: TagOutcome]

    public init(name: String, tags: [String], alreadyDone: [String: TagOutcome] = [:]) {
        self.name = name
        self.tags = tags
        self.alreadyDone = alreadyDone
    }
}

public enum RepositoryStatus: String, Sendable, Codable, Equatable {
    case pending, running, completed, failed
}

public enum TagOutcome: Sendable, Equatable, Codable {
    /// Copied: the bytes this tag moved (blobs uploaded), and the manifest digest at the destination.
    case copied(bytes: Int64, digest: Digest)
    /// The destination already had this exact manifest.
    case skipped(digest: Digest)
    /// What went wrong, in the registry's words where there were some.
    case failed(reason: String)

    public var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }
}

public enum BlobTransferKind: String, Sendable, Codable, Equatable {
    /// Streamed from source to destination.
    case uploaded
    /// Linked from another repository of the destination registry.
    case mounted
    /// The destination repository already had it.
    case skipped
}

/// What the compression stage did with one layer.
public struct LayerCompression: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        case compressed
        case keptBelowMinimumSize
        case keptAboveMaximumSize
        case keptSavedTooLittle(percent: Double)
    }

    public let original: Descriptor
    public let compressed: Descriptor?
    public let result: Result
    public let seconds: Double

    public init(original: Descriptor, compressed: Descriptor?, result: Result, seconds: Double) {
        self.original = original
        self.compressed = compressed
        self.result = result
        self.seconds = seconds
    }
}

/// The state of one credential in use, for the dashboard's secrets panel (never a value): what
/// the credential sources report, carried as it is.
public typealias SecretStatus = CredentialStatus
