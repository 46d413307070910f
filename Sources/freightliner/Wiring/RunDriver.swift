import Dispatch
import Foundation
import FreightCore
import FreightEngine
import FreightTUI

/// Shows a replication started in the foreground, and turns its outcome into the contract's
/// exit status: a reporter on its events (or the dashboard), SIGINT and SIGTERM to its
/// `interrupt` (the first stops scheduling and lets transfers finish, a second abandons them).
struct RunDriver {
    let output: UIMode
    var verbosity: PlainReporter.Verbosity = .normal
    /// Whether SIGINT and SIGTERM are this driver's to handle (`serve` handles them itself,
    /// across its cycles).
    var handlesSignals = true

    /// Makes the run's event bus and shows it from now on: planning first (`prepare` plans on
    /// the bus it is given, and returns the run, whose engine finishes the bus), then the run.
    /// Nil when there was nothing to run; a planning error is rethrown once the display is
    /// closed, and a stop asked for while planning ends it with `interrupted`.
    func run(_ plan: @escaping @Sendable (EventBus) async throws -> PreparedRun?) async throws -> ExitStatus? {
        let events = EventBus()
        let prepare: @Sendable () async throws -> PreparedRun? = { try await plan(events) }
        if case .dashboard(let options) = output {
            switch await Dashboard.open(options) {
            case .success(let dashboard):
                return try await run(events: events, on: dashboard, prepare)
            case .failure(let reason):
                printError("no dashboard (\(reason)); plain output instead")
            }
        }
        let reporter = Task { await report(events.stream) }
        let prepared: PreparedRun?
        do {
            prepared = try await prepare()
        } catch {
            events.finish()
            await reporter.value
            throw error
        }
        guard let prepared else {
            events.finish()
            await reporter.value
            return nil
        }
        let run = prepared.start()
        let signals = handlesSignals ? SignalHandler { run.interrupt(reason: Self.interruptReason($0)) } : nil
        await reporter.value
        let summary = await run.summary
        signals?.cancel()
        Self.reportCheckpointFailure(summary, info: prepared.info)
        return summary.exitStatus
    }

    /// Planning and the run under one dashboard, opened before planning starts.
    private func run(events: EventBus, on dashboard: Dashboard, _ prepare: @escaping @Sendable () async throws -> PreparedRun?)
        async throws -> ExitStatus? {
        let steering = PendingSteering()
        let planning = Task { try await prepare() }
        steering.onStopBeforeStart { planning.cancel() }
        let outcome = Task { () -> Result<(RunningReplication, RunInfo)?, any Error> in
            do {
                guard let prepared = try await planning.value else {
                    events.finish()
                    return .success(nil)
                }
                let run = prepared.start()
                steering.started(run)
                return .success((run, prepared.info))
            } catch {
                events.finish()
                return .failure(error)
            }
        }
        let signals = handlesSignals ? SignalHandler { dashboard.interrupt(signal: $0) } : nil
        let status = await dashboard.show(LiveRun(events: events.stream, steering: steering, finished: {
            guard case .success(let started?) = await outcome.value else { return .badInput }
            return await started.0.summary.exitStatus
        }))
        signals?.cancel()
        switch await outcome.value {
        case .failure(let error):
            if steering.stoppedBeforeStart, error is CancellationError {
                printError("stopped while planning; nothing was started")
                return .interrupted
            }
            throw error
        case .success(nil):
            return nil
        case .success(let (run, info)?):
            let summary = await run.summary
            for line in PlainReporter.summaryLines(summary, dryRun: info.dryRun, resume: info.resumeCommand) {
                PlainReporter.print(line)
            }
            Self.reportCheckpointFailure(summary, info: info)
            return status
        }
    }

    private func report(_ events: AsyncStream<ReplicationEvent>) async {
        switch output {
        case .json: await JSONReporter().consume(events)
        case .plain, .dashboard: await PlainReporter(verbosity: verbosity).consume(events)
        }
    }

    /// A run started already (`serve`'s cycles, whose dashboard is serve's own), in lines.
    func show(_ run: RunningReplication, info: RunInfo) async -> ExitStatus {
        let signals = handlesSignals ? SignalHandler { run.interrupt(reason: Self.interruptReason($0)) } : nil
        await report(run.events)
        let summary = await run.summary
        signals?.cancel()
        Self.reportCheckpointFailure(summary, info: info)
        return summary.exitStatus
    }

    static func interruptReason(_ signal: String) -> String {
        "received \(signal); press Ctrl-C again to abandon transfers in flight"
    }

    /// A checkpoint that could not be written stopped the run: said here, on stderr whatever the
    /// UI, with how to go on (the engine only records it in the summary, `checkpoint_error`).
    static func reportCheckpointFailure(_ summary: RunSummary, info: RunInfo) {
        guard let failure = summary.checkpointError else { return }
        let resume = info.checkpointPath.map { " (saved at \($0))" } ?? ""
        printError("the checkpoint could not be written, so the run stopped: \(failure). "
                   + "Make room or fix the permissions there, then continue the last saved state\(resume) "
                   + "with `\(info.resumeCommand ?? "freightliner resume \(info.runID)")`")
    }
}

/// The dashboard's steering while the run is still being planned: a stop cancels the planning;
/// once the run has started, every request goes to it (a pause asked for meanwhile is passed on).
final class PendingSteering: RunSteering {
    private struct State {
        var run: RunningReplication?
        var paused = false
        var stopped = false
        var cancel: (@Sendable () -> Void)?
    }

    private let state = Locked(State())

    var stoppedBeforeStart: Bool { state.withLock { $0.run == nil && $0.stopped } }

    func onStopBeforeStart(_ cancel: @escaping @Sendable () -> Void) { state.withLock { $0.cancel = cancel } }

    func started(_ run: RunningReplication) {
        let paused = state.withLock { state -> Bool in
            state.run = run
            return state.paused
        }
        if paused { run.pause() }
    }

    func pause() { target { $0.paused = true }?.pause() }
    func proceed() { target { $0.paused = false }?.proceed() }
    func abandon() {
        if let run = target({ _ in }) { run.abandon() } else { stop(reason: "abandoned") }
    }

    func stop(reason: String) {
        var cancel: (@Sendable () -> Void)?
        let run = target { state in
            state.stopped = true
            if state.run == nil { cancel = state.cancel }
        }
        if let run { run.stop(reason: reason) } else { cancel?() }
    }

    /// The run, once started; before, `change` records what was asked.
    private func target(_ change: (inout State) -> Void) -> RunningReplication? {
        state.withLock { state in
            guard let run = state.run else {
                change(&state)
                return nil
            }
            return run
        }
    }
}

/// Turns signals (SIGINT and SIGTERM unless told others) into calls of `handler` on a dispatch
/// queue. The sources are created in `init` and only cancelled afterwards (cancel is thread-safe).
final class SignalHandler: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(signals: [(Int32, String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")], _ handler: @escaping @Sendable (String) -> Void) {
        let queue = DispatchQueue(label: "freightliner-signals")
        sources = signals.map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(name) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
