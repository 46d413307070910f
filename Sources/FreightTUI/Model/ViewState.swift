import Foundation

/// What the operator is looking at: selection, focus, filter, overlays, theme.
public struct ViewState: Sendable, Equatable {
    public enum Focus: Sendable, Equatable { case repositories, tags }

    public var focus: Focus = .repositories
    /// The repository chosen with the keys; nil follows the most active one.
    public var selectedRepository: String?
    public var selectedTag: String?
    public var selectedRun: String?
    public var filter = ""
    public var editingFilter = false
    public var showHelp = false
    /// `q` (or a signal) asked to leave once the run has stopped.
    public var quitRequested = false
    /// Leave as soon as the run finishes (`--exit-on-complete`).
    public var exitOnComplete = false
    /// The dashboard should close now.
    public var wantsExit = false
    public var themes: [String] = ["default"]
    public var themeIndex = 0
    /// A short message in the key bar, e.g. why a key did nothing; cleared by time or the next key.
    public var notice: String?
    public var noticeAt: Date?
    /// `serve`: the dashboard follows cycle after cycle; when the next one starts, if planned.
    public var serving = false
    public var nextCycle: Date?
    /// `dashboard MIGRATION`: the runs shown are other processes' (a migration's shards), only
    /// followed through their checkpoints: nothing here steers them.
    public var watching = false
    /// Rows a page key moves.
    public var pageSize = 10

    public init() {}

    public var themeName: String { themes.indices.contains(themeIndex) ? themes[themeIndex] : "default" }
}
