import Foundation
import FreightEngine

/// The whole dashboard as a value: the run (or the saved runs), the view, the recent events,
/// and the time. Events change it through `apply(_:at:)`, keys through `handle(_:)`; rendering
/// reads it and nothing else.
public struct DashboardState: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Watching a run.
        case live
        /// `freightliner dashboard`: choosing a saved run.
        case browse
    }

    public var mode: Mode
    public var run = RunProgress()
    public var savedRuns: [SavedRun] = []
    /// Where the saved runs come from, for the header.
    public var savedRunsDirectory: String?
    public var view = ViewState()
    public var log = EventLog()
    public var now: Date
    /// When the dashboard opened: what event times count from when no run has started.
    public let openedAt: Date
    /// Whether a resume entry point was given (`r` in the run list, or after a failed run).
    public var canResume = false

    public init(mode: Mode = .live, now: Date) {
        self.mode = mode
        self.now = now
        openedAt = now
    }
}
