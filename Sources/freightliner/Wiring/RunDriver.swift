import Dispatch
import Foundation
import FreightCore
import FreightEngine

/// Runs a replication in the foreground: reporter on the event stream, SIGINT/SIGTERM
/// handling (the first stops scheduling and lets transfers finish, a second abandons them),
/// and the contract's exit status.
struct RunDriver {
    let replicator: Replicator
    let output: UIMode

    func run(_ repositories: [RepositoryJob], ledger: RunLedger, info: RunInfo) async -> Int32 {
        let events = replicator.events
        let reporter = Task {
            switch output {
            case .json: await JSONReporter().consume(events.stream)
            case .plain, .auto: await PlainReporter().consume(events.stream)
            }
        }
        let signals = SignalHandler { [replicator] name in
            if replicator.control.stop(reason: "received \(name)") {
                replicator.events.emit(.stopping(reason: "received \(name); press Ctrl-C again to abandon transfers in flight"))
            } else {
                replicator.abandon()
            }
        }
        let summary = await replicator.run(repositories, ledger: ledger, info: info)
        signals.cancel()
        events.finish()
        await reporter.value
        if let failure = summary.checkpointError {
            let resume = ledger.checkpointPath.map { " (saved at \($0))" } ?? ""
            printError("the checkpoint could not be written, so the run stopped: \(failure). "
                       + "Make room or fix the permissions there, then continue the last saved state\(resume) "
                       + "with `freightliner resume \(info.runID)`")
        }
        return summary.exitCode
    }
}

/// Turns SIGINT and SIGTERM into calls of `handler` on a dispatch queue.
/// The sources are created in `init` and only cancelled afterwards (cancel is thread-safe).
final class SignalHandler: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (String) -> Void) {
        let queue = DispatchQueue(label: "freightliner-signals")
        sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
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
