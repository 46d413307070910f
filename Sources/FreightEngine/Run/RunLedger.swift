import Foundation
import FreightCore

/// The live state of a run: its record, kept current as tags finish, persisted through the
/// checkpoint writer when the run has one (`copy` and `--dry-run` keep it in memory only).
/// Every count in the summary is derived from it.
public final class RunLedger: Sendable {
    /// A snapshot is also taken when this many tags were journaled since the last one, so a
    /// resume never replays a long journal and no file grows without bound.
    static let snapshotEvery = 512

    private let record: Locked<RunRecord>
    private let writer: CheckpointWriter?
    /// Tags in the run (fixed once planned).
    private let tagCount: Int
    private let sessionStart = ContinuousClock.now
    private let session = Locked(RunSummary.Session())

    public init(record: RunRecord, writer: CheckpointWriter?) {
        self.record = Locked(record)
        self.writer = writer
        self.tagCount = record.repositories.reduce(0) { $0 + $1.tags.count }
    }

    public var current: RunRecord { record.value }
    public var checkpointPath: String? { writer.map { $0.store.runDirectory($0.runID) } }

    public func pendingTags(in repository: Int) -> [Int] {
        record.withLock { record in
            record.repositories[repository].tags.indices.filter { !record.repositories[repository].tags[$0].state.isDone }
        }
    }

    /// Saves the state as it is now (at the start of a run, so it can be resumed at once).
    public func save() async throws {
        guard let writer else { return }
        try await writer.snapshot(stamped())
    }

    /// Records what happened to a tag; `outcome` nil means it was interrupted and stays pending.
    /// Returns once the record is durable.
    func finish(repository: Int, tag: Int, outcome: TagOutcome?, stats: TagStats, sourceDigest: Digest? = nil,
                rewrites: [LayerRewrite] = []) async throws {
        let updated = record.withLock { record -> TagRecord in
            var tagRecord = record.repositories[repository].tags[tag]
            tagRecord.stats.add(stats)
            if let sourceDigest { tagRecord.sourceDigest = sourceDigest }
            if !rewrites.isEmpty { tagRecord.rewrites = (tagRecord.rewrites ?? []) + rewrites }
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
        if writer.pendingJournalRecords >= Self.snapshotEvery { try await writer.snapshot(stamped()) }
    }

    /// A repository is finished. Its tags are durable in the journal already; a snapshot folds
    /// the journal into a rewrite of the whole run, so it is taken only once the journal holds a
    /// fair share of the run's tags. A snapshot per repository made a tree of many small
    /// repositories quadratic (300 repositories of 3 tags: 6.9 s of CPU for a no-op sync).
    func repositoryFinished() async throws {
        guard let writer else { return }
        if writer.pendingJournalRecords >= max(64, tagCount / 8) { try await writer.snapshot(stamped()) }
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
    public func summary(status: RunSummary.Status, requests: [String: Int] = [:]) -> RunSummary {
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
            }
            if failed { summary.repositories.failed += 1 } else if !pending { summary.repositories.completed += 1 }
        }
        summary.session = session.value
        summary.session.durationSeconds = elapsed
        summary.durationSeconds = record.previousDuration + elapsed
        summary.requests = requests
        return summary
    }
}
