import Foundation
import FreightCore

/// Everything a run must remember to be resumed: what it copies where, with which settings,
/// and how far each tag got. This is the checkpoint's content; it never holds a credential.
public struct RunRecord: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case running, interrupted, completed, failed
    }

    public var runID: String
    public var createdAt: Date
    public var updatedAt: Date
    public var state: State
    /// Display forms of where the run copies from and to.
    public var source: String
    public var destination: String
    /// What `resume` needs; nil for runs that are never resumed (`copy`).
    public var settings: RunSettings?
    /// Invocations that worked on this run so far, this one included.
    public var sessions: Int
    /// Wall time of the sessions before this one.
    public var previousDuration: Double
    public var repositories: [RepositoryRecord]
    /// `--prune`: the listing it follows and the deletions (nil without the option). A job
    /// file's run keeps these in `jobs` instead.
    public var prune: PruneRecord?
    /// A job file's run (`freightliner run`): each job's settings and prune; its repositories
    /// say which job they belong to. Nil for a run of one job, whose `settings` and `prune` say it.
    public var jobs: [JobRecord]?
    /// A cycle of `freightliner serve`: the job file it runs (its absolute path).
    public var cycleOf: String?
    /// One shard of a migration split across processes (`--shard`): only its repositories are here.
    public var shard: ShardRecord?

    public init(runID: String, createdAt: Date, source: String, destination: String, settings: RunSettings?,
                repositories: [RepositoryRecord]) {
        self.runID = runID
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.state = .running
        self.source = source
        self.destination = destination
        self.settings = settings
        self.sessions = 1
        self.previousDuration = 0
        self.repositories = repositories
    }

    /// Each job's prune record, by job index (one entry for a run of one job).
    public var prunes: [PruneRecord?] { jobs.map { $0.map(\.prune) } ?? [prune] }

    /// Replaces the prune record of job `index`.
    public mutating func setPrune(_ record: PruneRecord, job index: Int) {
        if jobs != nil { jobs![index].prune = record } else { prune = record }
    }

    /// Each job's settings, by job index (a run of one job: its `settings`, if it has them).
    public var jobSettings: [RunSettings] { jobs.map { $0.map(\.settings) } ?? (settings.map { [$0] } ?? []) }

    /// The job a repository belongs to.
    public func job(of repository: RepositoryRecord) -> Int { repository.job ?? 0 }

    /// Tags finished (copied or skipped) and in total, for listings.
    public var progress: (done: Int, total: Int) {
        var done = 0, total = 0
        for repository in repositories {
            total += repository.tags.count
            done += repository.tags.filter(\.state.isDone).count
        }
        return (done, total)
    }

    /// The path a repository is placed on a shard by: relative to its job's source prefix.
    public func shardKey(of repository: RepositoryRecord) -> String {
        let settings = jobSettings, job = job(of: repository)
        guard settings.indices.contains(job) else { return repository.source }
        return settings[job].source.relativePath(of: repository.source) ?? repository.source
    }

    /// Makes this run shard `shard` of the migration `migration`: only the repositories that
    /// fall to it stay, and a prune considers only those.
    /// Returns how many repositories the whole plan had.
    @discardableResult
    public mutating func narrow(to shard: Shard, grouping: ShardGrouping, migration: String) -> Int {
        let sharding = Sharding(count: shard.count, grouping: grouping)
        let planned = repositories.count
        repositories = repositories.filter { sharding.shard(of: shardKey(of: $0)) == shard.index }
        for (job, prune) in prunes.enumerated() {
            guard var prune else { continue }
            prune.unplanned = prune.unplanned.filter { sharding.shard(of: $0.name) == shard.index }
            setPrune(prune, job: job)
        }
        self.shard = ShardRecord(migration: migration, shard: shard, grouping: grouping)
        return planned
    }

    /// Whether `resume` has anything to do.
    public var isResumable: Bool {
        state != .completed && (progress.done < progress.total || prunes.contains { $0?.hasWorkLeft ?? false })
    }
}

/// One repository of the run: where it comes from and goes to, and its tags.
public struct RepositoryRecord: Sendable, Codable, Equatable {
    /// Path in the source registry.
    public var source: String
    /// Path in the destination registry.
    public var destination: String
    public var tags: [TagRecord]
    /// Every tag the source listed when the run was planned, filtered or not (kept for `--prune`).
    public var sourceTags: [String]?
    /// The job of a job file's run it belongs to (nil: the one job).
    public var job: Int?

    public init(source: String, destination: String, tags: [TagRecord]) {
        self.source = source
        self.destination = destination
        self.tags = tags
    }
}

/// One job of a job file's run: what it copies where and how (as a `sync` would record it),
/// and its prune.
public struct JobRecord: Sendable, Codable, Equatable {
    public var name: String
    public var settings: RunSettings
    public var prune: PruneRecord?

    public init(name: String, settings: RunSettings, prune: PruneRecord? = nil) {
        self.name = name
        self.settings = settings
        self.prune = prune
    }
}

public struct TagRecord: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case pending, copied, skipped, failed

        /// Finished for good: a resume never touches it again.
        public var isDone: Bool { self == .copied || self == .skipped }
    }

    public var job: TagJob
    public var state: State
    /// The manifest digest at the destination (after any recompression).
    public var digest: Digest?
    /// The manifest digest at the source, when it was reached.
    public var sourceDigest: Digest?
    public var error: String?
    /// Cumulative over every attempt.
    public var stats: TagStats
    /// Layers this tag recompressed, so later sessions and runs need not compress them again.
    public var rewrites: [LayerRewrite]?
    /// The blobs the destination repository holds for this tag (after any recompression), so a
    /// later session mounts them into sibling repositories instead of uploading them again.
    public var blobs: [Digest]?

    public init(job: TagJob) {
        self.job = job
        self.state = .pending
        self.stats = TagStats()
    }

    public var outcome: TagOutcome? {
        switch state {
        case .pending: return nil
        case .copied: return digest.map { .copied(bytes: stats.bytes, digest: $0) }
        case .skipped: return digest.map { .skipped(digest: $0) }
        case .failed: return .failed(reason: error ?? "failed")
        }
    }

    /// A tag found current and nothing more (most tags of a re-sync): nothing to resume, nothing
    /// learned. Saved as `"NAME@DIGEST"`.
    public var isPlainSkip: Bool {
        state == .skipped && digest != nil && sourceDigest == digest && job.destination == job.source
            && error == nil && rewrites == nil && blobs == nil && stats == TagStats()
    }
}

extension TagRecord {
    private enum CodingKeys: String, CodingKey { case job, state, digest, sourceDigest, error, stats, rewrites, blobs }

    public init(from decoder: any Decoder) throws {
        if let plain = try? decoder.singleValueContainer().decode(String.self) {
            guard let at = plain.lastIndex(of: "@"), let digest = try? Digest(parsing: String(plain[plain.index(after: at)...])) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not NAME@DIGEST: \(plain)"))
            }
            let name = String(plain[..<at])
            self.init(job: TagJob(source: name, destination: name))
            state = .skipped
            self.digest = digest
            sourceDigest = digest
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(job: try container.decode(TagJob.self, forKey: .job))
        state = try container.decode(State.self, forKey: .state)
        digest = try container.decodeIfPresent(Digest.self, forKey: .digest)
        sourceDigest = try container.decodeIfPresent(Digest.self, forKey: .sourceDigest)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        stats = try container.decode(TagStats.self, forKey: .stats)
        rewrites = try container.decodeIfPresent([LayerRewrite].self, forKey: .rewrites)
        blobs = try container.decodeIfPresent([Digest].self, forKey: .blobs)
    }

    public func encode(to encoder: any Encoder) throws {
        if isPlainSkip, let digest {
            var container = encoder.singleValueContainer()
            try container.encode("\(job.source)@\(digest)")
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job, forKey: .job)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(digest, forKey: .digest)
        try container.encodeIfPresent(sourceDigest, forKey: .sourceDigest)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(stats, forKey: .stats)
        try container.encodeIfPresent(rewrites, forKey: .rewrites)
        try container.encodeIfPresent(blobs, forKey: .blobs)
    }
}

extension RunSettings {
    /// How this run rewrites manifests (platforms that no longer parse are left out).
    public var rewrite: RewriteSettings {
        RewriteSettings(compression: compression, format: format,
                        platforms: (platforms ?? []).compactMap { try? PlatformSelector(parsing: $0) })
    }
}

/// The settings a run needs to be resumed exactly as it started. Credentials are not here:
/// only whether a flag gave them (so resume can ask for them again) and secret *references*.
public struct RunSettings: Sendable, Codable, Equatable {
    public var source: RegistryPrefix
    public var destination: RegistryPrefix
    public var jobs: Int
    public var force: Bool
    public var insecureRegistries: [String]
    public var compression: CompressionSettings
    /// `--format`: the manifest family written (nil: as the source has it).
    public var format: ManifestFormat?
    /// `--limit-rate` in bytes per second (nil: none).
    public var limitRate: Int64?
    /// `--compress-threads`: cores gzip uses for one layer (nil: all).
    public var compressThreads: Int?
    /// `--requests-per-second` to each registry (nil: as many as it takes).
    public var requestsPerSecond: Int?
    /// A job file's `requests-per-second` of its registries, by host.
    public var requestsPerSecondByRegistry: [String: Int]?
    /// `--platform`: the platforms of an index copied (nil or empty: all).
    public var platforms: [String]?
    /// `--immutable-tags`: tags trusted from the replica record (nil: none).
    public var immutableTags: String?
    /// `--verify`: every tag checked, whatever the record says.
    public var verify: Bool?
    /// `--no-referrers` (false), and `--referrers-type`.
    public var referrers: Bool?
    public var referrerTypes: [String]?
    public var sourceCredentialsSecret: String?
    public var destinationCredentialsSecret: String?
    public var sourceCredentialsFromFlag: Bool
    public var destinationCredentialsFromFlag: Bool
    /// `--src-cert-dir`, `--dest-cert-dir`, `--src-authfile`/`--dest-authfile` (or `--authfile`):
    /// paths, never what they hold, so a resume trusts and logs in as the run started.
    public var sourceCertificateDirectory: String?
    public var destinationCertificateDirectory: String?
    public var sourceAuthFile: String?
    public var destinationAuthFile: String?
    /// For `checkpoints show`: how the plan was made.
    public var filters: [String]

    public init(source: RegistryPrefix, destination: RegistryPrefix, jobs: Int, force: Bool = false,
                insecureRegistries: [String] = [], compression: CompressionSettings = .none, format: ManifestFormat? = nil,
                sourceCredentialsSecret: String? = nil, destinationCredentialsSecret: String? = nil,
                sourceCredentialsFromFlag: Bool = false, destinationCredentialsFromFlag: Bool = false,
                filters: [String] = []) {
        self.source = source
        self.destination = destination
        self.jobs = jobs
        self.force = force
        self.insecureRegistries = insecureRegistries
        self.compression = compression
        self.format = format
        self.sourceCredentialsSecret = sourceCredentialsSecret
        self.destinationCredentialsSecret = destinationCredentialsSecret
        self.sourceCredentialsFromFlag = sourceCredentialsFromFlag
        self.destinationCredentialsFromFlag = destinationCredentialsFromFlag
        self.filters = filters
    }
}
