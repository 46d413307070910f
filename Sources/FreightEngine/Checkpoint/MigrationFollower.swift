import Foundation
import FreightCore

/// Follows a migration's shards through their checkpoints, as another process sees them, and
/// tells what changed as the events a run emits: the dashboard shows every shard as one run
/// without any shard knowing it is watched. It only reads (never writes or locks) the files.
public struct MigrationFollower: Sendable {
    public let store: CheckpointStore
    public let name: String

    public init(store: CheckpointStore, name: String) {
        self.store = store
        self.name = name
    }

    /// The migration as saved now (nil when the directory holds none of that name). Only its
    /// own runs are read: this is called every second, and the directory may hold many others.
    public func current() -> Migration? {
        let name = self.name
        return Migration.group(store.list { $0 == name || Shard.parse(runID: $0)?.migration == name })
            .first { $0.name == name || $0.runs.contains { $0.runID == name } }
    }

    /// The name a shard's repository has in the dashboard: its shard, then its path.
    public static func displayName(_ repository: RepositoryRecord, of record: RunRecord) -> String {
        let path = record.shardKey(of: repository)
        guard let shard = record.shard else { return path }
        return "[\(shard.index)/\(shard.count)] \(path)"
    }

    /// Polls every `interval` seconds, and ends after the event that says every shard finished.
    public func events(interval: Double = 1) -> AsyncStream<ReplicationEvent> {
        AsyncStream { continuation in
            let task = Task {
                var last: Migration?
                while !Task.isCancelled {
                    if let now = current() {
                        let (events, finished) = Self.changes(from: last, to: now, directory: store.directory)
                        for event in events { continuation.yield(event) }
                        last = now
                        if finished { break }
                    }
                    try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// What happened between two readings of the migration, as run events, and whether it is
    /// over (every shard completed or failed: its summary is the last event).
    public static func changes(from old: Migration?, to new: Migration, directory: String) -> (events: [ReplicationEvent], finished: Bool) {
        var events: [ReplicationEvent] = []
        if old == nil {
            let runs = new.runs
            let route = { (parts: [String]) in Set(parts).sorted().joined(separator: ", ") }
            events.append(.runStarted(RunInfo(runID: new.name, source: route(runs.map(\.source)), destination: route(runs.map(\.destination)),
                                              startedAt: runs.map(\.createdAt).min() ?? Date(), resumed: false, dryRun: false,
                                              checkpointPath: directory)))
        }
        for (index, record) in new.shards.enumerated() {
            guard let record else { continue }
            let before = old.flatMap { $0.shards.indices.contains(index) ? $0.shards[index] : nil }
            guard let before, before.runID == record.runID, before.repositories.count == record.repositories.count else {
                events.append(.planned(record.repositories.map { repository in
                    var done: [String: TagOutcome] = [:]
                    for tag in repository.tags where tag.state.isDone { done[tag.job.label] = tag.outcome }
                    return PlannedRepository(name: displayName(repository, of: record), tags: repository.tags.map(\.job.label), alreadyDone: done)
                }))
                continue
            }
            for (position, repository) in record.repositories.enumerated() {
                let name = displayName(repository, of: record), earlier = before.repositories[position]
                var changed = false
                for (tagIndex, tag) in repository.tags.enumerated() where tagIndex < earlier.tags.count {
                    let was = earlier.tags[tagIndex]
                    guard tag.state != was.state, tag.state != .pending, let outcome = tag.outcome else { continue }
                    changed = true
                    events.append(.tagStarted(repository: name, tag: tag.job.label))
                    events.append(.tagProgress(repository: name, tag: tag.job.label, bytesDone: tag.stats.bytes, bytesTotal: tag.stats.bytes,
                                                bytesSent: tag.stats.bytes))
                    events.append(.tagFinished(repository: name, tag: tag.job.label, outcome: outcome, stats: tag.stats))
                }
                if changed, !repository.tags.contains(where: { $0.state == .pending }) {
                    events.append(.repositoryFinished(repository: name,
                                                      status: repository.tags.contains { $0.state == .failed } ? .failed : .completed))
                }
            }
            if before.state != record.state, record.state == .interrupted || record.state == .failed {
                events.append(.warning("shard \(index)/\(new.shards.count) (\(record.runID)) stopped: \(record.state.rawValue)"))
            } else if before.state != record.state, record.state == .running, before.state != .running {
                events.append(.warning("shard \(index)/\(new.shards.count) (\(record.runID)) runs again (session \(record.sessions))"))
            }
        }
        if old.map({ $0.updatedAt != new.updatedAt }) ?? true, new.updatedAt > .distantPast {
            events.append(.checkpointSaved(path: directory, at: new.updatedAt))
        }
        let finished = new.shards.allSatisfy { $0.map { $0.state == .completed || $0.state == .failed } ?? false }
        if finished { events.append(.runFinished(new.summary)) }
        return (events, finished)
    }
}
