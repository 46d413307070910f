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

    func show(_ run: RunningReplication, info: RunInfo) async -> ExitStatus {
        if case .dashboard(let options) = output {
            switch await Dashboard.open(options) {
            case .success(let dashboard):
                return await show(run, info: info, on: dashboard)
            case .failure(let reason):
                printError("no dashboard (\(reason)); plain output instead")
            }
        }
        let signals = handlesSignals ? SignalHandler { run.interrupt(reason: Self.interruptReason($0)) } : nil
        switch output {
        case .json: await JSONReporter().consume(run.events)
        case .plain, .dashboard: await PlainReporter(verbosity: verbosity).consume(run.events)
        }
        let summary = await run.summary
        signals?.cancel()
        Self.reportCheckpointFailure(summary, info: info)
        return summary.exitStatus
    }

    /// The run under the dashboard: signals go to the dashboard (a first one stops like `q`,
    /// a second abandons transfers), and once it closes the summary is printed, so the outcome
    /// stays in the terminal's scrollback.
    private func show(_ run: RunningReplication, info: RunInfo, on dashboard: Dashboard) async -> ExitStatus {
        let signals = handlesSignals ? SignalHandler { dashboard.interrupt(signal: $0) } : nil
        let status = await dashboard.show(LiveRun(run))
        signals?.cancel()
        let summary = await run.summary
        for line in PlainReporter.summaryLines(summary, dryRun: info.dryRun, resume: info.resumeCommand) {
            PlainReporter.print(line)
        }
        Self.reportCheckpointFailure(summary, info: info)
        return status
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
