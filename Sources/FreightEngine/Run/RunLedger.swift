import Foundation
import FreightCore

/// The live state of a run: its record, kept current as tags finish, persisted through the
/// checkpoint writer when the run has one (`copy` and `--dry-run` keep it in memory only).
/// Every count in the summary is derived from it.
///
/// What a session writes: one snapshot when it starts (the plan, so it can be resumed at once),
/// one journal line per finished tag, and one when it ends. No snapshot in between: a session
/// finishes each tag at most once, so its journal never outgrows the record, and the next
/// session's first snapshot folds it in. A run's writes stay within about twice what it leaves
/// on disk.
///
/// A tag found current and nothing more (`TagRecord.isPlainSkip`, most of a re-sync) is a short
/// line, `NAME@DIGEST`; it is journaled like any other, since a tag announced as finished is on
/// disk and never redone.
public final class RunLedger: Sendable {
    /// How often, at most, the run's header is rewritten while tags finish.
    static let headerInterval: Duration = .seconds(1)

    private let record: Locked<RunRecord>
    private let writer: CheckpointWriter?
    private let lastHeader = Locked<ContinuousClock.Instant?>(nil)
    private let sessionStart: ContinuousClock.Instant
    private let session = Locked(RunSummary.Session())

    /// `session`: when this session began; planning counts, so it is what started first.
    public init(record: RunRecord, writer: CheckpointWriter?, session: SessionStart = SessionStart()) {
        self.record = Locked(record)
        self.writer = writer
        sessionStart = session.instant
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
        try await writer.append(.init(repository: repository, tag: tag, record: updated), header: headerIfDue())
    }

    /// The run's header, if the last one is older than `headerInterval` (listings of a running
    /// run are that fresh); O(tags), so not on every tag.
    private func headerIfDue() -> RunHeader? {
        let now = ContinuousClock.now
        let due = lastHeader.withLock { last -> Bool in
            guard last.map({ now - $0 >= Self.headerInterval }) ?? true else { return false }
            last = now
            return true
        }
        return due ? RunHeader(stamped()) : nil
    }

    /// Replaces the prune record and saves the run: a deletion counts as done only once saved.
    func updatePrune(_ prune: PruneRecord, job: Int) async throws {
        record.withLock { $0.setPrune(prune, job: job) }
        try await save()
    }

    /// Ends this session in `state` and saves it: a journal line, not a snapshot (see above).
    func end(_ state: RunRecord.State) async throws {
        record.withLock { $0.state = state }
        guard let writer else { return }
        let final = stamped()
        let ending = CheckpointFile.Ending(state: state, updatedAt: final.updatedAt, previousDuration: final.previousDuration)
        try await writer.append(.init(ended: ending), header: RunHeader(final))
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
