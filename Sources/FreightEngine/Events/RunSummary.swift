import FreightCore
/// The outcome of a run, as the `summary` JSON line and the dashboard's final state show it.
/// Top-level counts cover the whole run across every resume; `session` only this invocation.
public struct RunSummary: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, Equatable {
        case completed, failed, interrupted
    }

    public struct Repositories: Sendable, Equatable, Codable {
        public var total = 0, completed = 0, failed = 0
    }

    public struct Tags: Sendable, Equatable, Codable {
        public var total = 0, copied = 0, skipped = 0, failed = 0
    }

    public struct Blobs: Sendable, Equatable, Codable {
        public var copied = 0, mounted = 0, skipped = 0
    }

    public struct Compression: Sendable, Equatable, Codable {
        /// Layers recompressed.
        public var layers = 0
        public var originalBytes: Int64 = 0
        public var compressedBytes: Int64 = 0
        /// Candidates kept as they were (below/above a threshold, or saving too little).
        public var keptLayers = 0
        /// Time spent compressing the recompressed layers, summed over layers (they may run in
        /// parallel, so it can exceed the run's duration).
        public var seconds: Double = 0

        enum CodingKeys: String, CodingKey {
            case layers
            case originalBytes = "original_bytes"
            case compressedBytes = "compressed_bytes"
            case keptLayers = "kept_layers"
            case seconds
        }
    }

    public struct Session: Sendable, Equatable, Codable {
        public var tagsCopied = 0
        public var bytesTransferred: Int64 = 0
        public var durationSeconds: Double = 0

        enum CodingKeys: String, CodingKey {
            case tagsCopied = "tags_copied"
            case bytesTransferred = "bytes_transferred"
            case durationSeconds = "duration_seconds"
        }
    }

    /// Referrers (signatures, SBOMs, attestations) carried with their subjects, and found there.
    public struct Referrers: Sendable, Equatable, Codable {
        public var copied = 0, skipped = 0
    }

    /// `--prune`: tags deleted at the destination, refused or failed, and still to go.
    public struct Pruned: Sendable, Equatable, Codable {
        public var deleted = 0, failed = 0, pending = 0

        public init() {}

        public var isEmpty: Bool { deleted == 0 && failed == 0 && pending == 0 }
    }

    /// The source's pull allowance as it last stated it (Docker Hub's `ratelimit-*` headers).
    public struct PullLimit: Sendable, Equatable, Codable {
        public var registry: String
        public var remaining: Int
        public var limit: Int?
        public var windowSeconds: Int?

        public init(registry: String, remaining: Int, limit: Int?, windowSeconds: Int?) {
            self.registry = registry
            self.remaining = remaining
            self.limit = limit
            self.windowSeconds = windowSeconds
        }

        enum CodingKeys: String, CodingKey {
            case registry, remaining, limit
            case windowSeconds = "window_seconds"
        }
    }

    public struct Failure: Sendable, Equatable, Codable {
        public var repository: String
        public var tag: String?
        public var reason: String
    }

    public var runID: String
    public var status: Status
    public var repositories = Repositories()
    public var tags = Tags()
    public var blobs = Blobs()
    public var bytesTransferred: Int64 = 0
    public var compression = Compression()
    public var durationSeconds: Double = 0
    public var session = Session()
    public var failures: [Failure] = []
    public var pruned = Pruned()
    public var referrers = Referrers()
    public var pullLimit: PullLimit?
    /// HTTP requests this session sent, by method.
    public var requests: [String: Int] = [:]
    /// TCP connections this session opened (every other request reused one).
    public var connections = 0
    /// Why the checkpoint could not be written, when it could not: the run stopped there.
    public var checkpointError: String?

    public init(runID: String, status: Status) {
        self.runID = runID
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case status, repositories, tags, blobs
        case bytesTransferred = "bytes_transferred"
        case compression
        case durationSeconds = "duration_seconds"
        case session, failures, requests, connections, pruned, referrers
        case pullLimit = "pull_limit"
        case checkpointError = "checkpoint_error"
    }

    /// Adds another run's counts to this one's (a migration's shards as one run); status,
    /// duration, session, requests and the pull limit stay this summary's own.
    public mutating func add(_ other: RunSummary) {
        repositories.total += other.repositories.total
        repositories.completed += other.repositories.completed
        repositories.failed += other.repositories.failed
        tags.total += other.tags.total
        tags.copied += other.tags.copied
        tags.skipped += other.tags.skipped
        tags.failed += other.tags.failed
        blobs.copied += other.blobs.copied
        blobs.mounted += other.blobs.mounted
        blobs.skipped += other.blobs.skipped
        bytesTransferred += other.bytesTransferred
        compression.layers += other.compression.layers
        compression.keptLayers += other.compression.keptLayers
        compression.originalBytes += other.compression.originalBytes
        compression.compressedBytes += other.compression.compressedBytes
        compression.seconds += other.compression.seconds
        failures += other.failures
        pruned.deleted += other.pruned.deleted
        pruned.failed += other.pruned.failed
        pruned.pending += other.pruned.pending
        referrers.copied += other.referrers.copied
        referrers.skipped += other.referrers.skipped
    }

    /// The process exit status the contract gives this outcome: a checkpoint that could not be
    /// written is an environment error (2), whatever else happened.
    public var exitStatus: ExitStatus {
        if checkpointError != nil { return .badInput }
        switch status {
        case .completed: return .success
        case .failed: return .failedItems
        case .interrupted: return .interrupted
        }
    }
}
