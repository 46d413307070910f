import ArgumentParser
import Foundation
import FreightEngine
import FreightTUI

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The dashboard without a job: the runs saved in the checkpoint directory; r resumes the selected one.",
        discussion: """
            Lists interrupted, failed and completed runs with when they were last saved and how far they got. \
            Credentials given with --src-creds/--dest-creds are never saved: pass them here if a resumed run needs them.
            """
    )

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dashboard: DashboardFlags
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let store = runOptions.store
        let opened: Dashboard
        switch await Dashboard.open(dashboard.options) {
        case .success(let dashboard): opened = dashboard
        case .failure(let reason):
            throw fail(DashboardError(description: "the dashboard needs a terminal (\(reason)); `freightliner checkpoints list` lists saved runs"))
        }
        let browser = RunBrowser(directory: store.directory, list: { store.list().map(SavedRun.init) },
                                 resume: DashboardResume.entryPoint(store: store, connection: connection))
        let signals = SignalHandler { opened.interrupt(signal: $0) }
        let status = await opened.browse(browser)
        signals.cancel()
        if status != 0 { throw ExitCode(status) }
    }
}

struct DashboardError: Error, CustomStringConvertible {
    let description: String
}
