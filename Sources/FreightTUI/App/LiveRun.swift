import FreightCore
import FreightEngine

/// What the dashboard may ask of a run it shows: the engine's `RunningReplication` (which
/// announces each change among the run's events), or a view of other processes' runs.
/// Every method returns at once.
public protocol RunSteering: Sendable {
    /// Stop starting new tags; transfers in flight go on.
    func pause()
    /// Undo `pause`.
    func proceed()
    /// Stop scheduling; what is in flight finishes and the checkpoint is saved.
    func stop(reason: String)
    /// Cancel transfers in flight too; their tags stay pending for a resume.
    func abandon()
    /// Runs only watched (`Dashboard.watch`): how to start again the work of `repository`
    /// (the selected one, if any), for `r`.
    func restartHint(for repository: String?) -> String
}

extension RunSteering {
    public func restartHint(for repository: String?) -> String { "" }
}

extension RunningReplication: RunSteering {}

/// A run for the dashboard to show: its events, how to steer it, and how it ends.
public struct LiveRun: Sendable {
    public let events: AsyncStream<ReplicationEvent>
    public let steering: any RunSteering
    /// Waits until the run has ended and saved its checkpoint; returns the exit status.
    public let finished: @Sendable () async -> ExitStatus

    public init(events: AsyncStream<ReplicationEvent>, steering: any RunSteering, finished: @escaping @Sendable () async -> ExitStatus) {
        self.events = events
        self.steering = steering
        self.finished = finished
    }

    /// A replication of this process, steered by the dashboard's keys.
    public init(_ run: RunningReplication) {
        self.init(events: run.events, steering: run, finished: { await run.summary.exitStatus })
    }
}

/// The saved runs for `freightliner dashboard`, and how to resume one.
public struct RunBrowser: Sendable {
    public let directory: String
    /// Lists the runs, newest first; called off the curses thread every few seconds.
    public let list: @Sendable () -> [SavedRun]
    /// Starts the saved run with this id and returns it live; nil when this build cannot resume.
    public let resume: (@Sendable (String) async throws -> LiveRun)?

    public init(directory: String, list: @escaping @Sendable () -> [SavedRun],
                resume: (@Sendable (String) async throws -> LiveRun)?) {
        self.directory = directory
        self.list = list
        self.resume = resume
    }
}

/// How the dashboard looks and when it leaves.
public struct DashboardOptions: Sendable {
    public var catalog: ThemeCatalog
    public var theme: LoadedTheme
    /// Close as soon as the run finishes instead of showing the final state until `q`.
    public var exitOnComplete: Bool
    public var environment: [String: String]

    public init(catalog: ThemeCatalog, theme: LoadedTheme, exitOnComplete: Bool, environment: [String: String]) {
        self.catalog = catalog
        self.theme = theme
        self.exitOnComplete = exitOnComplete
        self.environment = environment
    }
}
