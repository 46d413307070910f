import Foundation
import FreightCore

/// The live state of a run: its record, kept current as tags finish, persisted through the
/// checkpoint writer when the run has one (`copy` and `--dry-run` keep it in memory only).
/// Every count in the summary is derived from it.
public final class RunLedger: Sendable {
    /// A snapshot costs O(tags in the run), a journal record O(1). Snapshotting once the journal
    /// holds half as many records as the run has tags (at least 256) keeps the total cost of
    /// checkpointing linear in the number of tags, and a resume replays a bounded journal.
    static func snapshotThreshold(totalTags: Int) -> Int { max(256, totalTags / 2) }

    private let record: Locked<RunRecord>
    private let writer: CheckpointWriter?
    private let snapshotThreshold: Int
    private let sessionStart: ContinuousClock.Instant
    private let session = Locked(RunSummary.Session())

    /// `session`: when this session began; planning counts, so it is what started first.
    public init(record: RunRecord, writer: CheckpointWriter?, session: SessionStart = SessionStart()) {
        self.record = Locked(record)
        self.writer = writer
        sessionStart = session.instant
        snapshotThreshold = Self.snapshotThreshold(totalTags: record.progress.total)
    }

    public var current: RunRecord { record.value }
    public var checkpointPath: String? { writer.map { $0.store.runDirectory($0.runID) } }

    /// The job of one tag, without copying the record.
    func job(repository: Int, tag: Int) -> TagJob {
        record.withLock { $0.repositories[repository].tags[tag].job }
    }

    public func pendingTags(in repository: Int) -> [Int] {
        record.withLock { record in
            record.repositories[repository].tags.indices.filter { !record.repositories[repository].tags[$0].state.isDone }
        }
    }

    /// Saves the state as it is now (at the start of a run, so it can be resumed at once).
    /// Ends the checkpoint writer's work and releases the run's lock (the run is over).
    func close() async { await writer?.close() }

    public func save() async throws {
        guard let writer else { return }
        try await writer.snapshot(stamped())
    }

    /// Records what happened to a tag; `outcome` nil means it was interrupted and stays pending.
    /// Returns once the record is durable.
    func finish(repository: Int, tag: Int, outcome: TagOutcome?, stats: TagStats, sourceDigest: Digest? = nil,
                rewrites: [LayerRewrite] = [], blobs: [Digest] = []) async throws {
        let updated = record.withLock { record -> TagRecord in
            var tagRecord = record.repositories[repository].tags[tag]
            tagRecord.stats.add(stats)
            if let sourceDigest { tagRecord.sourceDigest = sourceDigest }
            let known = tagRecord.rewrites ?? []
            let learned = rewrites.filter { !known.contains($0) }
            if !learned.isEmpty { tagRecord.rewrites = known + learned }
            if !blobs.isEmpty { tagRecord.blobs = blobs }
            switch outcome {
            case .copied(_, let digest)?:
                tagRecord.state = .copied
                tagRecord.digest = digest
                tagRecord.error = nil
            case .skipped(let digest)?:
                tagRecord.state = .skipped
                tagRecord.digest = digest
                tagRecord.error = nil
            case .failed(let reason)?:
                tagRecord.state = .failed
                tagRecord.error = reason
            case nil:
                break
            }
            record.repositories[repository].tags[tag] = tagRecord
            return tagRecord
        }
        session.withLock { session in
            if case .copied? = outcome { session.tagsCopied += 1 }
            session.bytesTransferred += stats.bytes
        }
        guard let writer else { return }
        try await writer.append(repository: repository, tag: tag, record: updated)
        if writer.pendingJournalRecords >= snapshotThreshold { try await writer.snapshot(stamped()) }
    }

    /// Replaces the prune record and saves the run: a deletion counts as done only once saved.
    func updatePrune(_ prune: PruneRecord, job: Int) async throws {
        record.withLock { $0.setPrune(prune, job: job) }
        try await save()
    }

    /// Ends this session in `state` and saves it.
    func end(_ state: RunRecord.State) async throws {
        record.withLock { $0.state = state }
        try await save()
    }

    private func stamped() -> RunRecord {
        record.withLock { record in
            record.updatedAt = Date()
            var copy = record
            copy.previousDuration += elapsed
            return copy
        }
    }

    private var elapsed: Double {
        let duration = ContinuousClock.now - sessionStart
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The run's summary: whole-run counts from every tag's record, `session` from this one.
    public func summary(status: RunSummary.Status, requests: [String: Int] = [:], connections: Int = 0) -> RunSummary {
        let record = self.record.value
        var summary = RunSummary(runID: record.runID, status: status)
        summary.repositories.total = record.repositories.count
        for repository in record.repositories {
            var failed = false, pending = false
            for tag in repository.tags {
                summary.tags.total += 1
                switch tag.state {
                case .copied: summary.tags.copied += 1
                case .skipped: summary.tags.skipped += 1
                case .failed:
                    summary.tags.failed += 1
                    failed = true
                    summary.failures.append(.init(repository: repository.destination, tag: tag.job.label,
                                                  reason: tag.error ?? "failed"))
                case .pending: pending = true
                }
                let stats = tag.stats
                summary.blobs.copied += stats.blobsUploaded
                summary.blobs.mounted += stats.blobsMounted
                summary.blobs.skipped += stats.blobsSkipped
                summary.bytesTransferred += stats.bytes
                summary.compression.layers += stats.compressedLayers
                summary.compression.keptLayers += stats.keptLayers
                summary.compression.originalBytes += stats.originalBytes
                summary.compression.compressedBytes += stats.compressedBytes
                summary.compression.seconds += stats.compressionSeconds ?? 0
                summary.referrers.copied += stats.referrersCopied ?? 0
                summary.referrers.skipped += stats.referrersSkipped ?? 0
            }
            if failed { summary.repositories.failed += 1 } else if !pending { summary.repositories.completed += 1 }
        }
        for (job, prune) in record.prunes.enumerated() {
            guard let prune else { continue }
            summary.pruned.deleted += prune.entries.filter { $0.state == .deleted }.count
            summary.pruned.failed += prune.entries.filter { $0.state == .failed }.count
            summary.pruned.pending += prune.entries.filter { $0.state == .pending }.count
            let destination = record.jobs.map { $0[job].settings.destination.description } ?? record.destination
            if let refusal = prune.refusal { summary.failures.append(.init(repository: destination, tag: nil, reason: refusal)) }
            for entry in prune.entries where entry.state == .failed {
                summary.failures.append(.init(repository: entry.repository, tag: entry.tag, reason: "not pruned: \(entry.error ?? "failed")"))
            }
        }
        summary.session = session.value
        summary.session.durationSeconds = elapsed
        summary.durationSeconds = record.previousDuration + elapsed
        summary.requests = requests
        summary.connections = connections
        return summary
    }
}

/// When a session of a run began (its planning, or a resume's connecting), on both clocks: the
/// summary's durations and the dashboard's elapsed time count from it.
public struct SessionStart: Sendable {
    public let date: Date
    public let instant: ContinuousClock.Instant

    public init() {
        date = Date()
        instant = .now
    }
}
