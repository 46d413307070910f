import ArgumentParser
import Foundation
import FreightEngine
import FreightTUI

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The dashboard without a job: the runs saved in the checkpoint directory (r resumes the selected one), or a migration's shards as one run.",
        discussion: """
            Lists interrupted, failed and completed runs with when they were last saved and how far they got. \
            Credentials given with --src-creds/--dest-creds are never saved: pass them here if a resumed run needs them.

            With MIGRATION (the --run-id a sharded sync or run was given), follows every shard of it through the \
            checkpoints they save in the directory (a shared volume): every repository with its shard, combined \
            throughput and ETA, refreshed each second. It only reads their files; r tells how to restart the \
            selected repository's shard.
            """
    )

    @Argument(help: "A migration to watch: the run id its shards share.")
    var migration: String?

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dashboard: DashboardFlags
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let store = runOptions.store
        // A migration to watch must be there before any screen opens.
        var watched: (MigrationFollower, Migration)?
        if let migration {
            let follower = MigrationFollower(store: store, name: migration)
            guard let found = follower.current() else {
                let known = Migration.group(store.list()).filter(\.isSharded).prefix(8).map(\.name).joined(separator: ", ")
                throw fail(CheckpointError(path: store.directory, reason: "holds no migration or run \"\(migration)\""
                                           + (known.isEmpty ? "" : " (migrations here: \(known))")))
            }
            watched = (follower, found)
        }
        let opened: Dashboard
        switch await Dashboard.open(dashboard.options) {
        case .success(let dashboard): opened = dashboard
        case .failure(let reason):
            let instead = migration == nil ? "`freightliner checkpoints list` lists saved runs"
                                           : "`freightliner status \(store.directory) --migration \(migration!)` prints its progress"
            throw fail(DashboardError(description: "the dashboard needs a terminal (\(reason)); \(instead)"))
        }
        let signals = SignalHandler { opened.interrupt(signal: $0) }
        defer { signals.cancel() }
        if let (follower, found) = watched {
            let steering = ShardWatchSteering(migration: found.name, directory: store.directory)
            await opened.watch(LiveRun(events: follower.events(), steering: steering, finished: { .success }))
            return
        }
        let browser = RunBrowser(directory: store.directory, list: { store.list().map(SavedRun.init) },
                                 resume: Self.resume(store: store, connection: connection))
        let status = await opened.browse(browser)
        if status != .success { throw ExitCode(status) }
    }

    /// How `r` starts a saved run: prepared exactly as `freightliner resume RUN_ID` does, then
    /// shown in the open dashboard.
    private static func resume(store: CheckpointStore, connection: ConnectionOptions) -> @Sendable (String) async throws -> LiveRun {
        { runID in
            guard let prepared = try await RunLauncher.resume(runID: runID, store: store, connection: connection, jobs: nil,
                                                              events: EventBus()) else {
                throw DashboardError(description: "run \(runID) has nothing left to do")
            }
            return LiveRun(prepared.start())
        }
    }
}

/// The runs watched are other processes': nothing to steer, only how to restart a shard.
struct ShardWatchSteering: RunSteering {
    let migration: String
    let directory: String

    func pause() {}
    func proceed() {}
    func stop(reason: String) {}
    func abandon() {}

    func restartHint(for repository: String?) -> String {
        guard let repository else { return "select a repository (j/k): r then says how to restart its shard" }
        guard repository.hasPrefix("["), let close = repository.firstIndex(of: "]"),
              let shard = try? Shard(parsing: String(repository[repository.index(after: repository.startIndex)..<close])) else {
            return "\(repository) is no shard's: continue it with `freightliner resume \(migration)`"
        }
        return "shard \(shard) is the Job's index \(shard.index): delete its pod to have it started again, "
            + "or `freightliner resume --shard \(shard) \(migration) --checkpoint-dir \(directory)`"
    }
}

struct DashboardError: Error, CustomStringConvertible {
    let description: String
}
