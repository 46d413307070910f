import ArgumentParser
import Foundation
import FreightCore
import FreightEngine

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The combined progress and summary of a migration's runs (its shards) in a checkpoint directory.",
        discussion: """
            DIR is a checkpoint directory that every shard saves into (a shared volume, or the directories gathered \
            afterwards). Without --migration, the most recently updated one. Reads checkpoints only: it never writes \
            or locks another process's files. Exit status as a run's: 0 every shard completed, 1 all finished and \
            some failed, 3 not finished yet (a shard not started, running or interrupted).

            Example:
              freightliner status /var/lib/freightliner/runs --migration mirror-2026-12 --ui json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case auto, plain, json
    }

    @Argument(help: "The checkpoint directory.")
    var directory: String

    @Option(help: ArgumentHelp("The migration: the --run-id its shards were given (or any run's id).", valueName: "RUN_ID"))
    var migration: String?

    @Option(name: .customLong("ui"), help: "plain (a table), or json (the summary object a run ends with, plus a row per shard).")
    var format: Format = .auto

    func run() throws {
        let store = CheckpointStore(directory: directory)
        guard FileManager.default.fileExists(atPath: directory) else {
            throw fail(CheckpointError(path: directory, reason: "does not exist"))
        }
        let migrations = Migration.group(store.list())
        let chosen: Migration
        if let migration {
            guard let found = migrations.first(where: { $0.name == migration })
                    ?? migrations.first(where: { $0.runs.contains { $0.runID == migration } }) else {
                let known = migrations.prefix(8).map(\.name).joined(separator: ", ")
                throw fail(CheckpointError(path: directory, reason: "holds no migration or run \"\(migration)\""
                                           + (known.isEmpty ? "" : " (it holds: \(known))")))
            }
            chosen = found
        } else {
            guard let newest = migrations.first else {
                throw fail(CheckpointError(path: directory, reason: "holds no saved run"))
            }
            chosen = newest
        }
        let summary = chosen.summary
        if format == .json {
            print(Self.json(chosen, summary: summary))
        } else {
            Self.printPlain(chosen, summary: summary)
        }
        let status = summary.exitStatus
        if status != .success { throw ExitCode(status) }
    }

    /// Each shard as a row: what `status --ui json` adds to the summary.
    static func shardRows(_ migration: Migration) -> [[String: Any]] {
        migration.shards.indices.map { index in
            var row: [String: Any] = ["shard": index, "of": migration.shards.count, "state": migration.state(ofShard: index).rawValue]
            guard let record = migration.shards[index] else { return row }
            let part = Migration.summary(of: record)
            row["run_id"] = record.runID
            row["repositories"] = part.repositories.total
            row["tags_total"] = part.tags.total
            row["tags_done"] = part.tags.copied + part.tags.skipped
            row["tags_failed"] = part.tags.failed
            row["bytes_transferred"] = part.bytesTransferred
            row["sessions"] = record.sessions
            row["updated_at"] = ISO8601DateFormatter().string(from: record.updatedAt)
            return row
        }
    }

    static func json(_ migration: Migration, summary: RunSummary) -> String {
        var object = JSONReporter.object(for: .runFinished(summary)) ?? [:]
        object["event"] = "status"
        object["migration"] = migration.name
        object["shards"] = shardRows(migration)
        if !migration.problems.isEmpty { object["problems"] = migration.problems }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func printPlain(_ migration: Migration, summary: RunSummary) {
        let runs = migration.runs
        let route = Set(runs.map { "\($0.source) -> \($0.destination)" }).sorted().joined(separator: "; ")
        print("migration:   \(migration.name)\(migration.isSharded ? " (\(migration.shards.count) shards)" : "")")
        if !route.isEmpty { print("from -> to:  \(route)") }
        let done = summary.tags.copied + summary.tags.skipped
        let waiting = migration.shards.filter { $0 == nil }.count
        print("status:      \(summary.status.rawValue): \(done)/\(summary.tags.total) tags done (\(summary.tags.copied) copied, "
              + "\(summary.tags.skipped) skipped, \(summary.tags.failed) failed), \(summary.repositories.completed)/"
              + "\(summary.repositories.total) repositories, \(ByteFormat.string(summary.bytesTransferred)) transferred"
              + (waiting > 0 ? "; \(waiting) shard\(waiting == 1 ? "" : "s") not started (their tags are counted once they plan)" : ""))
        print("")
        var rows = [["SHARD", "STATE", "REPOS", "TAGS", "FAILED", "BYTES", "UPDATED", "RUN ID"]]
        for row in shardRows(migration) {
            let index = row["shard"] as? Int ?? 0
            guard let record = migration.shards[index] else {
                rows.append(["\(index)/\(migration.shards.count)", "not started", "-", "-", "-", "-", "-", "-"])
                continue
            }
            rows.append(["\(index)/\(migration.shards.count)", migration.state(ofShard: index).rawValue, "\(row["repositories"] ?? 0)",
                         "\(row["tags_done"] ?? 0)/\(row["tags_total"] ?? 0)", "\(row["tags_failed"] ?? 0)",
                         ByteFormat.string(row["bytes_transferred"] as? Int64 ?? 0), CheckpointsCommand.List.format(record.updatedAt),
                         record.runID])
        }
        printTable(rows)
        if !summary.failures.isEmpty {
            print("\nfailed:")
            for failure in summary.failures.prefix(20) { print("  \(failure.repository)\(failure.tag.map { ":\($0)" } ?? ""): \(failure.reason)") }
            if summary.failures.count > 20 { print("  … and \(summary.failures.count - 20) more (--ui json lists them all)") }
        }
        for problem in migration.problems { print("problem: \(problem)") }
    }
}
