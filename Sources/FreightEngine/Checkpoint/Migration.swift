import Foundation
import FreightCore

/// The runs of one migration in a checkpoint directory: its shards' runs by index (nil: not
/// started, or not saved yet), or a single unsharded run. Read from checkpoints only, never
/// written: `status`, `checkpoints list` and the dashboard show other processes' runs with it.
public struct Migration: Sendable {
    public let name: String
    /// By shard index; one entry for an unsharded run.
    public var shards: [RunRecord?]
    /// Runs of it that cannot be read, or that disagree about the split, with why.
    public var problems: [String]

    public var isSharded: Bool { shards.count > 1 || shards.first??.shard != nil }
    public var runs: [RunRecord] { shards.compactMap { $0 } }
    public var updatedAt: Date { runs.map(\.updatedAt).max() ?? .distantPast }

    /// Groups a store's listing: shard runs by their migration (its split is the one most of
    /// them record), every other run on its own; newest first.
    public static func group(_ listings: [CheckpointStore.Listing]) -> [Migration] {
        var sharded: [String: [(Shard, RunRecord)]] = [:]
        var damaged: [String: [String]] = [:]
        var migrations: [Migration] = []
        for listing in listings {
            guard let record = listing.record else {
                if let named = Shard.parse(runID: listing.runID) {
                    damaged[named.migration, default: []].append("\(listing.runID): \(listing.problem ?? "cannot be read")")
                }
                continue
            }
            if let recorded = record.shard, let shard = recorded.shard {
                sharded[recorded.migration, default: []].append((shard, record))
            } else {
                migrations.append(Migration(name: record.runID, shards: [record], problems: []))
            }
        }
        for (name, members) in sharded {
            let counts = Dictionary(grouping: members, by: { $0.0.count })
            let count = counts.max { $0.value.count < $1.value.count || ($0.value.count == $1.value.count && $0.key > $1.key) }!.key
            var shards = [RunRecord?](repeating: nil, count: count)
            var problems = damaged[name] ?? []
            for (shard, record) in members {
                if shard.count == count {
                    shards[shard.index] = record
                } else {
                    problems.append("\(record.runID) is shard \(shard) of another split than \(count) shards; left out")
                }
            }
            migrations.append(Migration(name: name, shards: shards, problems: problems.sorted()))
        }
        return migrations.sorted { ($0.updatedAt, $0.name) > ($1.updatedAt, $1.name) }
    }

    /// One shard's state as `status` shows it.
    public enum ShardState: String, Sendable {
        case notStarted = "not_started", running, interrupted, completed, failed
    }

    public func state(ofShard index: Int) -> ShardState {
        guard let record = shards[index] else { return .notStarted }
        switch record.state {
        case .running: return .running
        case .interrupted: return .interrupted
        case .completed: return .completed
        case .failed: return .failed
        }
    }

    /// One shard's run summarized as its own summary would say (status from its saved state).
    public static func summary(of record: RunRecord) -> RunSummary {
        let status: RunSummary.Status
        switch record.state {
        case .completed: status = .completed
        case .failed: status = .failed
        case .running, .interrupted: status = .interrupted
        }
        var summary = RunLedger(record: record, writer: nil).summary(status: status)
        summary.durationSeconds = record.previousDuration + max(0, record.updatedAt.timeIntervalSince(record.createdAt))
        return summary
    }

    /// The migration as one run: every shard's counts added up. Completed once every shard
    /// is; failed once every shard has finished and one failed; interrupted otherwise (a shard
    /// not started, still running or stopped with work left).
    public var summary: RunSummary {
        let parts = runs.map(Self.summary(of:))
        let finished = shards.allSatisfy { $0.map { $0.state == .completed || $0.state == .failed } ?? false }
        let status: RunSummary.Status = !finished ? .interrupted : parts.contains { $0.status == .failed } ? .failed : .completed
        var total = RunSummary(runID: name, status: status)
        for part in parts { total.add(part) }
        // Shards run side by side: the migration took from the first start to the last save.
        if let first = runs.map(\.createdAt).min() {
            total.durationSeconds = max(0, updatedAt.timeIntervalSince(first))
        }
        // Seen from outside, every session of every shard is this one.
        total.session.tagsCopied = total.tags.copied
        total.session.bytesTransferred = total.bytesTransferred
        total.session.durationSeconds = total.durationSeconds
        return total
    }
}
