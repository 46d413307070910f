import Dispatch
import Foundation
import FreightCore
import FreightEngine
import FreightTUI

/// Runs a replication in the foreground: reporter on the event stream, SIGINT/SIGTERM
/// handling (the first stops scheduling and lets transfers finish, a second abandons them),
/// and the contract's exit status.
struct RunDriver {
    let replicator: Replicator
    let output: UIMode
    var verbosity: PlainReporter.Verbosity = .normal
    /// Whether SIGINT and SIGTERM are this driver's to handle (`serve` handles them itself,
    /// across its cycles).
    var handlesSignals = true

    func run(_ repositories: [RepositoryJob], ledger: RunLedger, info: RunInfo) async -> Int32 {
        if case .dashboard(let options) = output {
            switch await Dashboard.open(options) {
            case .success(let dashboard):
                return await run(repositories, ledger: ledger, info: info, on: dashboard)
            case .failure(let reason):
                printError("no dashboard (\(reason)); plain output instead")
            }
        }
        let events = replicator.events
        let reporter = Task {
            switch output {
            case .json: await JSONReporter().consume(events.stream)
            case .plain, .dashboard: await PlainReporter(verbosity: verbosity).consume(events.stream)
            }
        }
        let signals = handlesSignals ? SignalHandler { [replicator] name in replicator.interrupt(signal: name) } : nil
        let summary = await replicator.run(repositories, ledger: ledger, info: info)
        signals?.cancel()
        events.finish()
        await reporter.value
        reportCheckpointFailure(summary, ledger: ledger, info: info)
        return summary.exitCode
    }

    /// A checkpoint that could not be written stopped the run: say so on stderr, whatever the UI.
    private func reportCheckpointFailure(_ summary: RunSummary, ledger: RunLedger, info: RunInfo) {
        guard let failure = summary.checkpointError else { return }
        let resume = ledger.checkpointPath.map { " (saved at \($0))" } ?? ""
        printError("the checkpoint could not be written, so the run stopped: \(failure). "
                   + "Make room or fix the permissions there, then continue the last saved state\(resume) "
                   + "with `freightliner resume \(info.runID)`")
    }
}

extension RunDriver {
    /// The run under the dashboard: signals go to the dashboard (a first one stops like `q`,
    /// a second abandons transfers), and once it closes the summary is printed, so the outcome
    /// stays in the terminal's scrollback.
    private func run(_ repositories: [RepositoryJob], ledger: RunLedger, info: RunInfo, on dashboard: Dashboard) async -> Int32 {
        let live = startForDashboard(repositories, ledger: ledger, info: info)
        let signals = handlesSignals ? SignalHandler { dashboard.interrupt(signal: $0) } : nil
        let status = await dashboard.show(live.run)
        signals?.cancel()
        let summary = await live.summary.value
        for line in PlainReporter.summaryLines(summary, dryRun: info.dryRun, checkpointed: info.checkpointPath != nil) {
            PlainReporter.print(line)
        }
        reportCheckpointFailure(summary, ledger: ledger, info: info)
        return status
    }

    /// Starts the run in the background for a dashboard that is (or will be) open; `whenDone`
    /// runs after the run ended and before its exit status is reported (closing the checkpoint).
    func startForDashboard(_ repositories: [RepositoryJob], ledger: RunLedger, info: RunInfo,
                           whenDone: @escaping @Sendable () async -> Void = {}) -> (run: LiveRun, summary: Task<RunSummary, Never>) {
        let replicator = self.replicator
        let summary = Task {
            let summary = await replicator.run(repositories, ledger: ledger, info: info)
            replicator.events.finish()
            await whenDone()
            return summary
        }
        let run = LiveRun(events: replicator.events.stream, steering: ReplicatorSteering(replicator: replicator),
                          finished: { await summary.value.exitCode })
        return (run, summary)
    }
}

/// The dashboard's keys, carried out on the engine: each change is also announced on the
/// event bus, which is how the dashboard (and a JSON log) learn of it.
struct ReplicatorSteering: RunSteering {
    let replicator: Replicator

    func pause() {
        replicator.control.pause()
        replicator.events.emit(.paused)
    }

    func proceed() {
        replicator.control.resume()
        replicator.events.emit(.resumed)
    }

    func stop(reason: String) {
        if replicator.control.stop(reason: reason) { replicator.events.emit(.stopping(reason: reason)) }
    }

    func abandon() { replicator.abandon() }
}

extension Replicator {
    /// A signal in the foreground: the first stops scheduling and lets transfers finish, a
    /// second abandons them.
    func interrupt(signal name: String) {
        if control.stop(reason: "received \(name)") {
            events.emit(.stopping(reason: "received \(name); press Ctrl-C again to abandon transfers in flight"))
        } else {
            abandon()
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
