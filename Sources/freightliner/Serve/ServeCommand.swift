import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightTUI

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a job file again and again, on a schedule: continuous sync, with checkpoints and metrics.",
        discussion: """
            Each cycle is a run of the job file (as `freightliner run`) with its own id; the last \
            --keep-runs of them are kept. A cycle interrupted by a stop or a crash is resumed when serve \
            starts again. Never two cycles at once: a cycle that outlasts the interval delays the next \
            one, and a second serve of the same job file and checkpoint directory refuses to start.

            Signals: SIGHUP re-reads the job file for the next cycle (a broken file keeps the jobs \
            read before, saying why); SIGTERM or SIGINT lets the cycle's transfers in flight finish, \
            saves it and exits 0 (a second one abandons the transfers).

            Example:
              freightliner serve migration.yaml --every 15m --metrics-listen 127.0.0.1:9480
              freightliner serve migration.yaml --cron '30 2 * * *' --keep-runs 30
            """
    )

    @Argument(help: "The job file.")
    var file: String

    @Option(help: ArgumentHelp("Start a cycle this long after the start of the last one: 30s, 15m, 2h, 1d or 1h30m (default: 15m).",
                               valueName: "DURATION"))
    var every: String?

    @Option(help: ArgumentHelp("Start cycles when a five-field cron expression matches, in local time: 'M H DOM MON DOW'.",
                               valueName: "EXPRESSION"))
    var cron: String?

    @Option(name: .customLong("keep-runs"), help: ArgumentHelp("Cycles kept in the checkpoint directory; older ones are removed.",
                                                               valueName: "N"))
    var keepRuns = 10

    @OptionGroup var flags: JobRunFlags
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var metrics: MetricsOption

    func validate() throws {
        if every != nil && cron != nil { throw invalid("--every and --cron are two schedules: give one") }
        do { _ = try schedule() } catch { throw invalid("\(error)") }
        if keepRuns < 1 { throw invalid("--keep-runs must be 1 or more, got \(keepRuns)") }
    }

    func schedule() throws -> Schedule {
        if let cron { return .cron(try CronExpression(cron)) }
        return .every(try Schedule.duration(every ?? "15m"))
    }

    func run() async throws {
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        let reader = JobFileReader(path: path, overrides: flags.overrides)
        let jobFile: JobFile
        let lock: RunLock
        do {
            jobFile = try reader.read()
            lock = try ServeLock.take(store: runOptions.store, jobFile: path)
            try await metrics.start()
        } catch {
            throw fail(error)
        }
        defer { lock.release() }
        func loop(_ output: ServeLoop.Output) throws -> ServeLoop {
            ServeLoop(path: path, reader: reader, jobFile: jobFile, schedule: try schedule(), keepRuns: keepRuns, jobs: flags.jobs,
                      limitRate: try flags.rate.bytesPerSecond, store: runOptions.store, output: output)
        }
        let mode = output.resolved
        if case .dashboard(let options) = mode {
            switch await Dashboard.open(options) {
            case .success(let dashboard):
                let serve = try loop(.dashboard(dashboard))
                // q in the dashboard (or its closing) stops serving, as a signal would.
                let shown = Task {
                    await dashboard.showCycles()
                    serve.control.stopServing()
                }
                await serve.run()
                dashboard.leave()
                await shown.value
                if let (summary, info) = serve.lastCycle {
                    for line in PlainReporter.summaryLines(summary, dryRun: false, resume: info.resumeCommand) {
                        PlainReporter.print(line)
                    }
                }
                PlainReporter.print("serve: stopped")
                return
            case .failure(let reason):
                printError("no dashboard (\(reason)); plain output instead")
            }
        }
        let lines: UIMode
        if case .json = mode { lines = .json } else { lines = .plain }
        try await loop(.lines(lines, output.verbosity)).run()
    }
}

/// `serve`'s cycles, one after another.
final class ServeLoop: Sendable {
    let path: String
    let reader: JobFileReader
    let schedule: Schedule
    let keepRuns: Int
    /// --jobs and --limit-rate, for a resumed cycle (a new one has them in its job file's options).
    let jobs: Int?
    let limitRate: Int64?
    let store: CheckpointStore
    let output: Output
    let control = ServeControl()
    private let jobFile: Locked<JobFile>
    private let last = Locked<(RunSummary, RunInfo)?>(nil)

    /// Where cycles and serve's own lines go: plain or JSON lines, or one dashboard for all cycles.
    enum Output: Sendable {
        case lines(UIMode, PlainReporter.Verbosity)
        case dashboard(Dashboard)
    }

    /// The summary of the last cycle that ran, for the dashboard's closing words.
    var lastCycle: (RunSummary, RunInfo)? { last.value }

    init(path: String, reader: JobFileReader, jobFile: JobFile, schedule: Schedule, keepRuns: Int, jobs: Int?, limitRate: Int64?,
         store: CheckpointStore, output: Output) {
        self.path = path
        self.reader = reader
        self.jobFile = Locked(jobFile)
        self.schedule = schedule
        self.keepRuns = keepRuns
        self.jobs = jobs
        self.limitRate = limitRate
        self.store = store
        self.output = output
    }

    func run() async {
        let control = self.control
        let signals = SignalHandler(signals: [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")]) { control.signal($0) }
        defer { signals.cancel() }
        let jobs = jobFile.value.jobs.count
        report("serve_started", "serving \(path) (\(jobs) job\(jobs == 1 ? "" : "s")) \(schedule.description), keeping \(keepRuns) cycles",
               ["file": path, "schedule": schedule.description, "jobs": jobs, "keep_runs": keepRuns])
        var lastStart: Date?
        if let interrupted = interruptedCycle() {
            lastStart = Date()
            report("cycle_resumed", "resuming cycle \(interrupted), interrupted before it finished", ["run_id": interrupted])
            await resume(interrupted)
        }
        while !control.isStopping {
            let next = schedule.next(after: lastStart, now: Date())
            expect(next)
            if case .dashboard(let dashboard) = output { dashboard.nextCycle(at: next) }
            let wait = max(0, next.timeIntervalSinceNow)
            let line: String
            if wait >= 0.5 {
                line = "next cycle at \(Self.clock(next)) (in \(Schedule.format(wait)))"
            } else {
                line = lastStart == nil ? "first cycle now" : "next cycle now: the last one took longer than the interval"
            }
            report("cycle_scheduled", line, ["at": Timestamp.string(next), "in_seconds": Int(wait.rounded())])
            while !control.isStopping, next.timeIntervalSinceNow > 0 {
                await control.wait(until: next)
                if control.takeReload() { reload() }
            }
            if control.takeReload() { reload() }
            if control.isStopping { break }
            let start = Date()
            lastStart = start
            expect(schedule.next(after: start, now: start))
            await cycle()
            prune()
        }
        report("serve_stopped", "stopped", [:])
    }

    /// One cycle: a new run of the job file as it is now.
    private func cycle() async {
        let runID = CheckpointStore.newRunID()
        let events = EventBus()
        let prepared: PreparedRun
        do {
            prepared = try await JobFileRun.prepare(jobFile.value, runID: runID, store: store, dryRun: false, events: events, cycleOf: path)
        } catch {
            events.finish()
            ProcessMetrics.current?.health.finished(ok: false, detail: "cycle \(runID) could not start: \(error)")
            report("cycle_failed", "cycle \(runID) could not start: \(error)", ["run_id": runID, "error": "\(error)"], error: true)
            return
        }
        await run(prepared)
    }

    private func resume(_ runID: String) async {
        do {
            let connection = try ConnectionOptions.parse([])
            guard let prepared = try await RunLauncher.resume(runID: runID, store: store, connection: connection, jobs: jobs,
                                                              limitRate: limitRate, events: EventBus()) else { return }
            await run(prepared)
        } catch {
            report("cycle_failed", "cycle \(runID) could not be resumed: \(error)", ["run_id": runID, "error": "\(error)"], error: true)
        }
    }

    private func run(_ prepared: PreparedRun) async {
        let run = prepared.start()
        control.running(run)
        switch output {
        case .lines(let mode, let verbosity):
            _ = await RunDriver(output: mode, verbosity: verbosity, handlesSignals: false).show(run, info: prepared.info)
        case .dashboard(let dashboard):
            let steering = ServingSteering(cycle: run, control: control)
            let shown = dashboard.cycleStarted(LiveRun(events: run.events, steering: steering, finished: { await run.summary.exitStatus }))
            let finished = await run.summary
            await shown.value
            last.withLock { $0 = (finished, prepared.info) }
        }
        control.running(nil)
    }

    /// For `/healthz`: the next cycle is due at `date`; it is overdue once a whole interval
    /// (or, with --cron, the gap to the match after it) has passed without it starting.
    private func expect(_ date: Date) {
        guard let health = ProcessMetrics.current?.health else { return }
        switch schedule {
        case .every(let interval): health.due(date, grace: interval)
        case .cron(let expression): health.due(date, grace: expression.next(after: date).timeIntervalSince(date))
        }
    }

    /// SIGHUP: the file as it is now, for the next cycle; a broken one keeps the jobs read before.
    private func reload() {
        do {
            let fresh = try reader.read()
            jobFile.withLock { $0 = fresh }
            let jobs = fresh.jobs.count
            report("reloaded", "reloaded \(path): \(jobs) job\(jobs == 1 ? "" : "s"), from the next cycle on", ["file": path, "jobs": jobs])
        } catch {
            report("reload_failed", "\(error); the next cycles run the jobs read before", ["file": path, "error": "\(error)"], error: true)
        }
    }

    /// The newest cycle of this job file that was interrupted before it finished.
    private func interruptedCycle() -> String? {
        let cycles = store.list().compactMap(\.header).filter { $0.cycleOf == path }
        guard let newest = cycles.first, newest.hasWorkLeft else { return nil }
        return newest.runID
    }

    /// Keeps the newest `keepRuns` cycles of this job file.
    private func prune() {
        let cycles = store.list().compactMap(\.header).filter { $0.cycleOf == path }.sorted { $0.createdAt > $1.createdAt }
        for old in cycles.dropFirst(keepRuns) {
            do {
                try store.remove(old.runID)
            } catch {
                report("warning", "an old cycle could not be removed: \(error)", ["message": "an old cycle could not be removed: \(error)"],
                       error: true)
            }
        }
    }

    /// A line of serve's own: plain (on stderr for problems), a JSON object, or a line of the
    /// dashboard's log (the countdown in its header).
    private func report(_ event: String, _ line: String, _ fields: [String: any Sendable], error: Bool = false) {
        switch output {
        case .lines(.json, _):
            var object: [String: Any] = fields
            object["event"] = event
            object["time"] = Timestamp.string(milliseconds: true)
            JSONReporter.write(object)
        case .lines(_, let verbosity):
            if error {
                printError("serve: \(line)")
            } else if verbosity != .quiet {
                PlainReporter.print("serve: \(line)")
            }
        case .dashboard(let dashboard):
            dashboard.note(error ? .error : .info, line)
        }
    }

    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = Calendar.current.isDate(date, inSameDayAs: Date()) ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}

/// The steering of a cycle shown in serve's dashboard: `q` stops the cycle and serving.
struct ServingSteering: RunSteering {
    let cycle: any RunSteering
    let control: ServeControl

    func pause() { cycle.pause() }
    func proceed() { cycle.proceed() }
    func stop(reason: String) {
        control.stopServing()
        cycle.stop(reason: reason)
    }
    func abandon() { cycle.abandon() }
}

/// One `serve` per job file and checkpoint directory: a lock beside the runs, released on exit
/// (or by the kernel when the process dies).
enum ServeLock {
    static func take(store: CheckpointStore, jobFile: String) throws -> RunLock {
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let name = String(Digest.sha256(of: Array(jobFile.utf8)).hex.prefix(16))
        return try RunLock(path: "\(store.directory)/.serve-\(name).lock", owner: store.directory,
                           inUse: "is in use by another `freightliner serve \(jobFile)`: one serve per job file")
    }
}
