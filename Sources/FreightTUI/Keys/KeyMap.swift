import Foundation

/// What a key asks the dashboard to do.
public enum DashboardAction: String, Sendable, CaseIterable {
    case resume, pause, quit
    case up, down, pageUp, pageDown, first, last
    case focus, back, filter, theme, help
}

/// One row of the key map.
public struct KeyBinding: Sendable {
    public let keys: [Key]
    /// How the keys are written in help and docs: `Up` / `k`.
    public let label: String
    public let action: DashboardAction
    /// The word in the key bar; nil keeps the binding out of the bar.
    public let bar: String?
    /// One line for the `?` overlay.
    public let help: String
    /// The whole story, for the README.
    public let description: String
    /// The keys as the key bar writes them, when shorter than `label`.
    public let barKeys: String?

    init(keys: [Key], label: String, action: DashboardAction, bar: String?, help: String, description: String? = nil,
         barKeys: String? = nil) {
        self.keys = keys
        self.label = label
        self.action = action
        self.bar = bar
        self.help = help
        self.description = description ?? help
        self.barKeys = barKeys
    }
}

/// The one place key bindings live: the loop looks keys up here, and the `?` overlay, the key
/// bar and the README's key table are all generated from it.
public enum KeyMap {
    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.character("r")], label: "r", action: .resume, bar: "resume",
                   help: "resume a saved run from its checkpoint",
                   description: "Resume a saved run from its checkpoint: in `freightliner dashboard`, the selected one; "
                       + "after a run ended with work left (failed tags, or stopped), that run; watching a migration's "
                       + "shards (`freightliner dashboard MIGRATION`), say how to restart the selected repository's shard"),
        KeyBinding(keys: [.character("p")], label: "p", action: .pause, bar: "pause",
                   help: "pause scheduling new tags, or continue",
                   description: "Pause scheduling: no new tag starts, transfers in flight finish; again to continue"),
        KeyBinding(keys: [.character("q")], label: "q", action: .quit, bar: "quit",
                   help: "quit: stop, save the checkpoint, exit (again: abandon)",
                   description: "Quit: stop scheduling, let transfers in flight finish, save the checkpoint and exit 3 while "
                       + "work remains; exit 0 once the run is complete (1 if tags failed). Again while stopping: abandon "
                       + "transfers in flight (their tags stay pending)"),
        KeyBinding(keys: [.up, .character("k")], label: "Up / k", action: .up, bar: nil, help: "previous row"),
        KeyBinding(keys: [.down, .character("j")], label: "Down / j", action: .down, bar: "select", help: "next row",
                   barKeys: "j/k"),
        KeyBinding(keys: [.pageUp], label: "PgUp", action: .pageUp, bar: nil, help: "up one page"),
        KeyBinding(keys: [.pageDown], label: "PgDn", action: .pageDown, bar: nil, help: "down one page"),
        KeyBinding(keys: [.home, .character("g")], label: "Home / g", action: .first, bar: nil, help: "first row"),
        KeyBinding(keys: [.end, .character("G")], label: "End / G", action: .last, bar: nil, help: "last row"),
        KeyBinding(keys: [.enter, .tab], label: "Enter / Tab", action: .focus, bar: "tags",
                   help: "focus the tags of the selected repository, or back",
                   description: "Focus the tags pane of the selected repository (a failed tag shows its whole reason); "
                       + "again to go back to the repositories",
                   barKeys: "Enter"),
        KeyBinding(keys: [.escape], label: "Esc", action: .back, bar: nil,
                   help: "close help, clear the filter, back to repositories",
                   description: "Close help, clear the filter, go back to the repositories, or let the selection follow "
                       + "the most active repository again"),
        KeyBinding(keys: [.character("/")], label: "/", action: .filter, bar: "filter",
                   help: "filter repositories by name (Enter keeps, Esc clears)",
                   description: "Filter repositories (or saved runs) by name: type, Enter keeps the filter, Esc clears it"),
        KeyBinding(keys: [.character("t")], label: "t", action: .theme, bar: "theme", help: "next colour theme",
                   description: "Next colour theme (see themes/README.md)"),
        KeyBinding(keys: [.character("?")], label: "?", action: .help, bar: "help", help: "show or hide this help"),
    ]

    private static let index: [Key: DashboardAction] = {
        var index: [Key: DashboardAction] = [:]
        for binding in bindings {
            for key in binding.keys {
                precondition(index[key] == nil, "key \(key) is bound twice in the key map")
                index[key] = binding.action
            }
        }
        return index
    }()

    public static func action(for key: Key) -> DashboardAction? { index[key] }

    public static func binding(for action: DashboardAction) -> KeyBinding? { bindings.first { $0.action == action } }

    /// The README's key table, in Markdown.
    public static var markdownTable: String {
        var lines = ["| Key | Action |", "|---|---|"]
        for binding in bindings {
            let keys = binding.label.components(separatedBy: " / ").map { "`\($0)`" }.joined(separator: " ")
            lines.append("| \(keys) | \(binding.description.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
