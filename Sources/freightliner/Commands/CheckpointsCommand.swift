import ArgumentParser
import Foundation
import FreightCore
import FreightEngine

struct CheckpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "Inspect and remove saved runs.",
        subcommands: [List.self, Show.self, Remove.self, Prune.self]
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
                    if let header = listing.header {
                        object["state"] = header.state.rawValue
                        object["tags_done"] = header.done
                        object["tags_total"] = header.total
                        object["updated_at"] = ISO8601DateFormatter().string(from: header.updatedAt)
                        object["source"] = header.source
                        object["destination"] = header.destination
                        if let shard = header.shard {
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
            func row(_ header: RunHeader, indent: String = "") -> [String] {
                [indent + header.runID, header.state.rawValue, "\(header.done)/\(header.total)",
                 Self.format(header.updatedAt), "\(header.source) -> \(header.destination)"]
            }
            // Runs from their headers; a migration's shards, read whole, under one line: the
            // migration as `status` sums it up.
            enum Entry { case run(RunHeader), migration(Migration) }
            var entries = listings.compactMap(\.header).filter { $0.shard == nil }
                .map { (updatedAt: $0.updatedAt, name: $0.runID, entry: Entry.run($0)) }
            entries += Migration.group(listings.filter { $0.header?.shard != nil }).map { ($0.updatedAt, $0.name, Entry.migration($0)) }
            for (_, _, entry) in entries.sorted(by: { ($0.updatedAt, $0.name) > ($1.updatedAt, $1.name) }) {
                switch entry {
                case .run(let header):
                    rows.append(row(header))
                case .migration(let migration) where !migration.isSharded:
                    rows += migration.runs.map { row(RunHeader($0)) }
                case .migration(let migration):
                    let summary = migration.summary
                    let started = migration.runs.count
                    rows.append(["\(migration.name) (\(migration.shards.count) shards)",
                                 started < migration.shards.count ? "\(summary.status.rawValue), \(started) started" : summary.status.rawValue,
                                 "\(summary.tags.copied + summary.tags.skipped)/\(summary.tags.total)", Self.format(migration.updatedAt),
                                 Set(migration.runs.map { "\($0.source) -> \($0.destination)" }).sorted().joined(separator: "; ")])
                    rows += migration.runs.map { row(RunHeader($0), indent: "  ") }
                }
            }
            for listing in listings where listing.header == nil {
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

extension CheckpointsCommand {
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Delete finished runs: all but the newest N, or those older than a duration.",
            discussion: """
                Only runs that `resume` has nothing left to do for are removed, never one in use. With both \
                options a run is kept by either.

                Example:
                  freightliner checkpoints prune --keep 20 --older-than 30d
                """)

        @Option(name: .customLong("keep"), help: ArgumentHelp("Finished runs kept, newest first.", valueName: "N"))
        var keep: Int?
        @Option(name: .customLong("older-than"), help: ArgumentHelp("Remove finished runs last updated longer ago (30d, 12h, 90m).",
                                                                    valueName: "DURATION"))
        var olderThan: String?
        @Flag(name: .customLong("dry-run"), help: "Print what would be removed; remove nothing.")
        var dryRun = false
        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            if keep == nil && olderThan == nil { throw invalid("give --keep N, --older-than DURATION, or both") }
            if let keep, keep < 0 { throw invalid("--keep must be 0 or more, got \(keep)") }
            if let olderThan, (try? Schedule.duration(olderThan)) == nil {
                throw invalid("--older-than \(olderThan) is not a duration (e.g. 30d, 12h, 90m)")
            }
        }

        func run() throws {
            let retention = Retention(keep: keep, newerThan: try olderThan.map { Date().addingTimeInterval(-(try Schedule.duration($0))) })
            let store = runOptions.store
            if dryRun {
                for runID in retention.chosen(from: store.list()) { print("would remove run \(runID)") }
                return
            }
            let outcome = retention.apply(to: store)
            for runID in outcome.removed { print("removed run \(runID)") }
            for (runID, reason) in outcome.failed { FileHandle.standardError.write(Data("freightliner: run \(runID) kept: \(reason)\n".utf8)) }
            if !outcome.failed.isEmpty { throw ExitCode(ExitStatus.failedItems) }
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
