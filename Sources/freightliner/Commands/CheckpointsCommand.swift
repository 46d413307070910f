import ArgumentParser
import Foundation
import FreightCore
import FreightEngine

struct CheckpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "Inspect and remove saved runs.",
        subcommands: [List.self, Show.self, Remove.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Saved runs, newest first.")

        @OptionGroup var runOptions: RunOptions
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let listings = runOptions.store.list()
            if json {
                for listing in listings {
                    var object: [String: Any] = ["run_id": listing.runID]
                    if let record = listing.record {
                        let progress = record.progress
                        object["state"] = record.state.rawValue
                        object["tags_done"] = progress.done
                        object["tags_total"] = progress.total
                        object["updated_at"] = ISO8601DateFormatter().string(from: record.updatedAt)
                        object["source"] = record.source
                        object["destination"] = record.destination
                        if let shard = record.shard {
                            object["migration"] = shard.migration
                            object["shard"] = shard.index
                            object["shards"] = shard.count
                        }
                    }
                    object["problem"] = listing.problem
                    JSONReporter.write(object)
                }
                return
            }
            guard !listings.isEmpty else {
                print("no saved runs in \(runOptions.store.directory)")
                return
            }
            var rows = [["RUN ID", "STATE", "TAGS", "UPDATED", "SOURCE -> DESTINATION"]]
            func row(_ record: RunRecord, indent: String = "") -> [String] {
                let progress = record.progress
                return [indent + record.runID, record.state.rawValue, "\(progress.done)/\(progress.total)",
                        Self.format(record.updatedAt), "\(record.source) -> \(record.destination)"]
            }
            // A migration's shards under one line: the migration as `status` sums it up.
            for migration in Migration.group(listings) {
                guard migration.isSharded else {
                    rows += migration.runs.map { row($0) }
                    continue
                }
                let summary = migration.summary
                let started = migration.runs.count
                rows.append(["\(migration.name) (\(migration.shards.count) shards)",
                             started < migration.shards.count ? "\(summary.status.rawValue), \(started) started" : summary.status.rawValue,
                             "\(summary.tags.copied + summary.tags.skipped)/\(summary.tags.total)", Self.format(migration.updatedAt),
                             Set(migration.runs.map { "\($0.source) -> \($0.destination)" }).sorted().joined(separator: "; ")])
                rows += migration.runs.map { row($0, indent: "  ") }
            }
            for listing in listings where listing.record == nil {
                rows.append([listing.runID, "damaged", "-", "-", listing.problem ?? ""])
            }
            printTable(rows)
        }

        static func format(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return formatter.string(from: date)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A saved run: settings, progress and failures.")

        @Argument(help: "The run id.") var runID: String
        @OptionGroup var runOptions: RunOptions

        func run() throws {
            let record: RunRecord
            do {
                record = try runOptions.store.load(runID)
            } catch {
                throw fail(error)
            }
            let progress = record.progress
            print("run:         \(record.runID)")
            print("state:       \(record.state.rawValue) (\(progress.done)/\(progress.total) tags done, \(record.sessions) session\(record.sessions == 1 ? "" : "s"))")
            print("from:        \(record.source)")
            print("to:          \(record.destination)")
            print("created:     \(List.format(record.createdAt))")
            print("updated:     \(List.format(record.updatedAt))")
            func notes(_ settings: RunSettings) -> String {
                var notes = ["jobs \(settings.jobs)"]
                if settings.force { notes.append("force") }
                if settings.compression.isEnabled { notes.append("compress \(settings.compression.algorithm.rawValue)") }
                notes += settings.filters
                if settings.sourceCredentialsFromFlag { notes.append("--src-creds given (not saved)") }
                if settings.destinationCredentialsFromFlag { notes.append("--dest-creds given (not saved)") }
                return notes.joined(separator: ", ")
            }
            if let jobs = record.jobs {
                for job in jobs {
                    print("job:         \(job.name): \(job.settings.source) -> \(job.settings.destination) (\(notes(job.settings)))")
                }
            } else if let settings = record.settings {
                print("settings:    \(notes(settings))")
            }
            print("")
            var rows = [["REPOSITORY", "DONE", "COPIED", "SKIPPED", "FAILED", "BYTES"]]
            var failures: [String] = []
            for repository in record.repositories {
                let tags = repository.tags
                rows.append([repository.destination, "\(tags.filter(\.state.isDone).count)/\(tags.count)",
                             "\(tags.filter { $0.state == .copied }.count)", "\(tags.filter { $0.state == .skipped }.count)",
                             "\(tags.filter { $0.state == .failed }.count)",
                             ByteFormat.string(tags.reduce(0) { $0 + $1.stats.bytes })])
                for tag in tags where tag.state == .failed {
                    failures.append("\(repository.destination):\(tag.job.label): \(tag.error ?? "failed")")
                }
            }
            printTable(rows)
            if !failures.isEmpty {
                print("\nfailed:")
                for failure in failures { print("  \(failure)") }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a saved run.")

        @Argument(help: "The run id.") var runID: String
        @OptionGroup var runOptions: RunOptions

        func run() throws {
            do {
                try runOptions.store.remove(runID)
            } catch {
                throw fail(error)
            }
            print("removed run \(runID)")
        }
    }
}

/// Prints rows as left-aligned columns.
func printTable(_ rows: [[String]]) {
    guard let columns = rows.first?.count else { return }
    let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        print(row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  "))
    }
}
