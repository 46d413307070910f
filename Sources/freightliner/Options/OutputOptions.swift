import ArgumentParser
import Foundation
import FreightTUI

/// What `--ui` accepts.
enum UIChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, tui, plain, json
}

/// How a run reports, once `--ui auto` has looked at the terminal.
enum UIMode: Sendable {
    case plain, json
    case dashboard(DashboardOptions)
}

struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("ui"),
            help: "auto (the dashboard on a terminal, plain lines otherwise), tui, plain, or json (one object per line).")
    var mode: UIChoice = .auto

    @Flag(name: [.customShort("q"), .long], help: "Plain output: only warnings, failures and the summary.")
    var quiet = false

    @Flag(name: [.customShort("v"), .long], help: "Plain output: a line for every blob too.")
    var verbose = false

    @OptionGroup var dashboard: DashboardFlags

    var verbosity: PlainReporter.Verbosity { quiet ? .quiet : verbose ? .verbose : .normal }

    var resolved: UIMode {
        switch mode {
        case .plain: return .plain
        case .json: return .json
        case .tui: return .dashboard(dashboard.options)
        case .auto: return Dashboard.terminalIsUsable() ? .dashboard(dashboard.options) : .plain
        }
    }
}
