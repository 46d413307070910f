import ArgumentParser
import FreightEngine

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted run from its checkpoint; finished tags are never redone.",
        discussion: "Without RUN_ID, the most recently updated run that still has work to do. Credentials given with --src-creds/--dest-creds are never saved: pass them again. Secret references (--src-creds-secret/--dest-creds-secret) are saved with the run and read again."
    )

    @Argument(help: "The run to continue (see `freightliner checkpoints list`).")
    var runID: String?

    @Option(parsing: .unconditional, help: "Blobs uploaded at once (default: as the run was started).")
    var jobs: Int?

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var rate: RateOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var metrics: MetricsOption

    func validate() throws {
        try validateJobs(jobs)
        if let runID {
            do { try CheckpointStore.validate(runID: runID) } catch { throw fail(error) }
        }
    }

    func run() async throws {
        let prepared: PreparedRun?
        do {
            try await metrics.start()
            prepared = try await RunLauncher.resume(runID: runID, store: runOptions.store, connection: connection, jobs: jobs,
                                                    limitRate: try rate.bytesPerSecond, events: EventBus())
        } catch {
            throw fail(error)
        }
        guard let prepared else {
            // Already complete (said on stderr): with --ui json the last line is still the run's
            // summary, so a script that resumes to be sure learns the outcome the same way.
            if case .json = output.resolved, let runID, let record = try? runOptions.store.load(runID),
               var summary = JSONReporter.object(for: .runFinished(RunLedger(record: record, writer: nil).summary(status: .completed))) {
                summary["time"] = Timestamp.string(milliseconds: true)
                JSONReporter.write(summary)
            }
            return
        }
        let status = await prepared.run(output: output.resolved, verbosity: output.verbosity)
        if status != 0 { throw ExitCode(status) }
    }
}
