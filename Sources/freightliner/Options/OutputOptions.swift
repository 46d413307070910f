import ArgumentParser
import Foundation

/// How a run reports: the dashboard, plain lines, or JSON lines.
enum UIMode: String, ExpressibleByArgument, CaseIterable {
    case auto, plain, json
}

struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("ui"), help: "auto (plain when not a terminal), plain, or json (one object per line).")
    var mode: UIMode = .auto

    var resolved: UIMode { mode == .auto ? .plain : mode }
}
