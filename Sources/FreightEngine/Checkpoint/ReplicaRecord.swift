import Foundation
import FreightCore

/// What was last replicated from one source prefix to one destination prefix, across runs: for
/// each repository pair and tag, the source manifest digest and the destination digest it
/// became. `--immutable-tags` trusts it instead of asking the registries (see `ImmutableTags`).
public struct ReplicaRecord: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var source: Digest
        public var destination: Digest

        public init(source: Digest, destination: Digest) {
            self.source = source
            self.destination = destination
        }
    }

    public var source: String
    public var destination: String
    /// `SOURCE-REPOSITORY DESTINATION-REPOSITORY` → tag → entry.
    public var repositories: [String: [String: Entry]]
    /// Referrers carried in full: repository pair → referrers tag (a subject's fallback tag,
    /// cosign's `.sig`, `.att`, `.sbom`) → what it named at the source then (for a fallback
    /// tag, a digest of the referrer list). Absent in older records.
    public var referrers: [String: [String: Digest]]?
    /// The children of source indexes the tags name, by index digest: content-addressed, so
    /// always true; a tag found current needs no read of its index to find its children's
    /// referrers. Absent in older records.
    public var children: [String: [Digest]]?

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
        repositories = [:]
    }

    static func key(_ source: String, _ destination: String) -> String { "\(source) \(destination)" }

    public func entry(source repository: String, destination: String, tag: String) -> Entry? {
        repositories[Self.key(repository, destination)]?[tag]
    }

    /// Takes in referrers carried and index children learned; children no recorded tag names
    /// any more are forgotten.
    mutating func remember(referrers carried: [String: [String: Digest]], children learned: [String: [Digest]]) {
        var known = referrers ?? [:]
        for (pair, tags) in carried { known[pair, default: [:]].merge(tags) { _, new in new } }
        referrers = known.isEmpty ? nil : known
        var indexes = (children ?? [:]).merging(learned) { _, new in new }
        let named = Set(repositories.values.flatMap { $0.values.map(\.source.description) })
        indexes = indexes.filter { named.contains($0.key) }
        children = indexes.isEmpty ? nil : indexes
    }

    /// Takes in what `run` did: a tag copied or found current is recorded with its digests, a
    /// failed one forgotten; tags the run did not touch keep their entries.
    /// In a job file's run, only the repositories of `job` (the job of this record's pair).
    public mutating func update(from run: RunRecord, job: Int? = nil) {
        for repository in run.repositories where job == nil || run.job(of: repository) == job {
            let key = Self.key(repository.source, repository.destination)
            var tags = repositories[key] ?? [:]
            for tag in repository.tags {
                guard let name = tag.job.destination else { continue }
                switch tag.state {
                case .copied, .skipped:
                    if let source = tag.sourceDigest, let destination = tag.digest {
                        tags[name] = Entry(source: source, destination: destination)
                    }
                case .failed:
                    tags[name] = nil
                case .pending:
                    break
                }
            }
            repositories[key] = tags.isEmpty ? nil : tags
        }
    }
}

/// The replica records of a state directory: `DIR/.replicas/<hash of the pair>.record`, next to
/// the runs (a run id never starts with '.'), written as checkpoints are (checksummed, atomic,
/// 0600), and refused whole when damaged.
public struct ReplicaStore: Sendable {
    public static let magic = "freightliner-replica"
    public let directory: String

    public init(checkpointDirectory: String) { directory = "\(checkpointDirectory)/.replicas" }

    public func path(source: String, destination: String) -> String {
        "\(directory)/\(Digest.sha256(of: Array("\(source) -> \(destination)".utf8)).hex.prefix(32)).record"
    }

    /// The record of the pair, empty when there is none yet.
    public func load(source: String, destination: String) throws -> ReplicaRecord {
        let path = path(source: source, destination: destination)
        guard let data = FileManager.default.contents(atPath: path) else { return ReplicaRecord(source: source, destination: destination) }
        let record = try CheckpointFile.decode(Array(data), as: ReplicaRecord.self, magic: Self.magic, path: path)
        guard record.source == source, record.destination == destination else {
            throw CheckpointError(path: path, reason: "records \(record.source) -> \(record.destination), not \(source) -> \(destination)")
        }
        return record
    }

    /// Applies `change` to the pair's record as saved now, and saves it, holding the store's
    /// lock: runs of one pair that end together (a migration's shards, each writing its own
    /// repositories) each add theirs, and none writes over another's. `started` is the record
    /// as this run loaded it, used when the saved one has become unreadable.
    public func update(_ started: ReplicaRecord, _ change: (inout ReplicaRecord) -> Void) throws {
        try createDirectory()
        let descriptor = open("\(directory)/.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CheckpointError(path: "\(directory)/.lock", reason: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw CheckpointError(path: "\(directory)/.lock", reason: "cannot be locked: \(String(cString: strerror(errno)))")
            }
        }
        var record = (try? load(source: started.source, destination: started.destination)) ?? started
        change(&record)
        try save(record)
    }

    private func createDirectory() throws {
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }

    public func save(_ record: ReplicaRecord) throws {
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        try DurableFile.replace(path(source: record.source, destination: record.destination),
                                with: try CheckpointFile.encode(record, magic: Self.magic))
    }
}

/// `--immutable-tags REGEX`: tags that never move once written. One that is in the replica
/// record and still in the destination's tag list is current without a request of its own: its
/// source tag is trusted to still name the recorded source digest, and the destination tag (and
/// its content) to still be the recorded destination digest.
public struct ImmutableTags: Sendable {
    public let pattern: TagPattern
    public let record: ReplicaRecord

    public init(pattern: TagPattern, record: ReplicaRecord) {
        self.pattern = pattern
        self.record = record
    }

    /// The recorded entry for `tag`, when the tag is immutable and recorded.
    func entry(source: String, destination: String, tag: String) -> ReplicaRecord.Entry? {
        guard pattern.matches(tag) else { return nil }
        return record.entry(source: source, destination: destination, tag: tag)
    }
}
