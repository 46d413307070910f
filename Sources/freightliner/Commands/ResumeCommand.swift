import ArgumentParser
import Foundation
import FreightCore
import FreightEngine

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted run from its checkpoint; finished tags are never redone.",
        discussion: "Without RUN_ID, the most recently updated run that still has work to do. Credentials given with --src-creds/--dest-creds are never saved: pass them again. Secret references (--src-creds-secret/--dest-creds-secret) are saved with the run and read again."
    )

    @Argument(help: "The run to continue (see `freightliner checkpoints list`).")
    var runID: String?

    @Option(help: ArgumentHelp("Continue shard I of N of the migration RUN_ID, i.e. the run RUN_ID-shard-I-of-N (default: "
                               + "JOB_COMPLETION_INDEX of JOB_COMPLETIONS when both are set).", valueName: "I/N"))
    var shard: String?

    @Option(parsing: .unconditional, help: "Blobs uploaded at once (default: as the run was started).")
    var jobs: Int?

    @Option(name: .customLong("compress-threads"), parsing: .unconditional,
            help: ArgumentHelp("Cores gzip uses for one layer (default: as the run was started, else all).", valueName: "N"))
    var compressThreads: Int?

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var rate: RateOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var metrics: MetricsOption

    func validate() throws {
        try validateJobs(jobs)
        if let compressThreads { try validateCompressThreads(compressThreads) }
        if let runID {
            do { try CheckpointStore.validate(runID: runID) } catch { throw fail(error) }
        }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw invalid("--shard \(shard): \(error)") }
        }
    }

    /// The run to continue: RUN_ID, or with a shard (named, or an Indexed Job's) that shard's run of it.
    private func chosenRunID() throws -> String? {
        guard let shard = try shard.map(Shard.init(parsing:)) ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment) else {
            return runID
        }
        guard let runID else {
            throw ValidationError("resuming shard \(shard) needs RUN_ID, the migration's run id (e.g. freightliner resume --shard \(shard) mirror-2026-12)")
        }
        // A shard run's own id is taken as it is.
        if let named = Shard.parse(runID: runID), named.shard == shard || self.shard == nil { return runID }
        return shard.runID(of: runID)
    }

    func run() async throws {
        let status: ExitStatus?
        let runID: String?
        do {
            try await metrics.start()
            let chosen = try chosenRunID()
            runID = chosen
            let store = runOptions.store, connection = self.connection, jobs = self.jobs
            let limitRate = try rate.bytesPerSecond, compressThreads = self.compressThreads
            status = try await RunDriver(output: output.resolved, verbosity: output.verbosity).run { events in
                try await RunLauncher.resume(runID: chosen, store: store, connection: connection, jobs: jobs, limitRate: limitRate,
                                             compressThreads: compressThreads, events: events)
            }
        } catch {
            throw fail(error)
        }
        guard let status else {
            if let runID { RunLauncher.reportComplete(runID, store: runOptions.store, output: output.resolved) }
            return
        }
        if status != .success { throw ExitCode(status) }
    }
}
