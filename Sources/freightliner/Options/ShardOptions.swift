import ArgumentParser
import Foundation
import FreightEngine

/// `--shard I/N` and `--shard-by` of `sync` and `run`; without `--shard`, an Indexed Job's
/// `JOB_COMPLETION_INDEX` and `JOB_COMPLETIONS`.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Copy only the repositories that fall to shard INDEX of COUNT (0-based), a run of its own named "
                               + "RUN_ID-shard-I-of-N (default: JOB_COMPLETION_INDEX of JOB_COMPLETIONS when both are set).",
                               valueName: "I/N"))
    var shard: String?

    @Option(name: .customLong("shard-by"),
            help: ArgumentHelp("What stays together on a shard: repository, or prefix[:N] (repositories under the same first N "
                               + "path components, which often share base layers).", valueName: "KEY"))
    var shardBy: String = "repository"

    /// Where the shard came from, for the line that announces it.
    enum Origin { case option, environment }

    func validate() throws {
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw invalid("--shard \(shard): \(error)") }
        }
        do { _ = try ShardGrouping(parsing: shardBy) } catch { throw invalid("--shard-by \(shardBy): \(error)") }
    }

    var grouping: ShardGrouping { (try? ShardGrouping(parsing: shardBy)) ?? .repository }

    /// The shard this process is, if any, and where that was said.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (shard: Shard, origin: Origin)? {
        if let shard { return (try Shard(parsing: shard), .option) }
        return try Shard.fromEnvironment(environment).map { ($0, .environment) }
    }

    /// Narrows a planned run to its shard, and says what the shard took.
    static func narrow(_ record: inout RunRecord, to shard: Shard, grouping: ShardGrouping, migration: String) {
        let planned = record.narrow(to: shard, grouping: grouping, migration: migration)
        let tags = record.repositories.reduce(0) { $0 + $1.tags.count }
        Console.error("freightliner: shard \(shard) takes \(record.repositories.count) of the \(planned) repositories planned "
                      + "(\(tags) tag\(tags == 1 ? "" : "s"))\n")
    }

    /// The shard's run: the migration's run id (`--run-id`, which every shard and every restart
    /// of one must name alike) with `-shard-I-of-N`. Says so on stderr before anything else.
    func runID(for shard: (shard: Shard, origin: Origin), migration named: String?) throws -> (runID: String, migration: String) {
        guard let named else {
            throw ValidationError("--shard \(shard.shard) needs --run-id: every shard of a migration, and every restart of one, "
                                  + "names the same run (e.g. --run-id mirror-2026-12)")
        }
        let runID = shard.shard.runID(of: named)
        let migration = String(runID.dropLast(shard.shard.runIDSuffix.count))
        let origin = shard.origin == .environment
            ? " (JOB_COMPLETION_INDEX=\(shard.shard.index), JOB_COMPLETIONS=\(shard.shard.count))" : ""
        let grouping = self.grouping == .repository ? "" : ", by \(self.grouping)"
        Console.error("freightliner: shard \(shard.shard)\(origin) of migration \(migration)\(grouping): run \(runID)\n")
        return (runID, migration)
    }
}
