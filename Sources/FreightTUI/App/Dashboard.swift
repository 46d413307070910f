import Foundation
import FreightCore

/// The dashboard on the terminal: `open` it (it says why not when the terminal cannot do
/// it), then `show` a live run or `browse` saved ones (one of them, once). Curses runs on its
/// own thread, stderr goes to a log file meanwhile, and the run's events never wait for the
/// screen.
///
/// ```swift
/// switch await Dashboard.open(options) {
/// case .success(let dashboard): status = await dashboard.show(run)
/// case .failure(let why): print("plain output: \(why)")
/// }
/// ```
public final class Dashboard: Sendable {
    private let owner: OwnerThread
    private let screen: CursesScreen
    private let log: StderrLog?
    private let options: DashboardOptions
    private let inbox = Inbox()

    private init(owner: OwnerThread, screen: CursesScreen, log: StderrLog?, options: DashboardOptions) {
        self.owner = owner
        self.screen = screen
        self.log = log
        self.options = options
    }

    public static func open(_ options: DashboardOptions) async -> Result<Dashboard, DashboardUnavailable> {
        let owner = OwnerThread(name: "freightliner-ui")
        let environment = options.environment
        let opened = await owner.run { () -> Result<(CursesScreen, StderrLog?), DashboardUnavailable> in
            // The log takes stderr before curses starts, so nothing ncurses says can tear the screen.
            let log = StderrLog(directory: StderrLog.directory(environment: environment))
            switch CursesScreen.open(environment: environment) {
            case .success(let screen): return .success((screen, log))
            case .failure(let error):
                log?.restore()
                return .failure(error)
            }
        }
        switch opened {
        case .failure(let error):
            owner.stop()
            return .failure(error)
        case .success(let (screen, log)):
            log?.write("\(ISO8601DateFormatter().string(from: Date())) info dashboard on TERM=\(screen.terminalType), "
                       + "\(screen.tier.rawValue) colours, \(screen.glyphs.isASCII ? "ASCII" : "UTF-8") lines")
            return .success(Dashboard(owner: owner, screen: screen, log: log, options: options))
        }
    }

    /// Shows `run` until the operator leaves (or it finishes, with `exitOnComplete`); returns
    /// the run's exit status.
    public func show(_ run: LiveRun) async -> ExitStatus {
        let loop = DashboardLoop(state: initialState(mode: .live), inbox: inbox, catalog: options.catalog, live: run,
                                 browser: nil, log: logWriter)
        await runLoop(loop)
        return await run.finished()
    }

    /// Other processes' runs followed through their checkpoints (a migration's shards): shown
    /// as one run until the operator leaves; `p` and `q` steer nothing, `r` asks `run.steering`
    /// how to restart the selected repository's shard.
    public func watch(_ run: LiveRun) async {
        var state = initialState(mode: .live)
        state.view.watching = true
        state.view.exitOnComplete = false
        let loop = DashboardLoop(state: state, inbox: inbox, catalog: options.catalog, live: run, browser: nil, log: logWriter)
        await runLoop(loop)
    }

    /// `serve`: cycle after cycle in one screen, until the operator leaves (`q`: the steering
    /// of the cycle shown is asked to stop) or `leave()` is called. Cycles arrive with
    /// `cycleStarted`, the countdown with `nextCycle`.
    public func showCycles() async {
        var state = initialState(mode: .live)
        state.view.serving = true
        state.view.exitOnComplete = false
        let loop = DashboardLoop(state: state, inbox: inbox, catalog: options.catalog, live: nil, browser: nil, log: logWriter)
        await runLoop(loop)
    }

    /// Shows `run` from now on; the task ends once every event of it has reached the dashboard,
    /// so what is said after it shows after them.
    @discardableResult
    public func cycleStarted(_ run: LiveRun) -> Task<Void, Never> {
        inbox.push(.cycleStarted(run))
        return inbox.pump(run.events)
    }
    public func nextCycle(at date: Date?) { inbox.push(.nextCycle(date)) }
    public func note(_ level: LogEntry.Level, _ text: String) { inbox.push(.note(level, text)) }
    public func leave() { inbox.push(.leave) }

    /// Lists saved runs, resuming one on `r`; returns success, or the resumed run's exit status.
    public func browse(_ browser: RunBrowser) async -> ExitStatus {
        var state = initialState(mode: .browse)
        state.savedRunsDirectory = browser.directory
        state.canResume = browser.resume != nil
        state.updateSavedRuns(browser.list())
        let loop = DashboardLoop(state: state, inbox: inbox, catalog: options.catalog, live: nil, browser: browser, log: logWriter)
        await runLoop(loop)
        guard let live = loop.live else { return .success }
        return await live.finished()
    }

    /// A signal: stop the run as `q` would (a second one abandons transfers), or leave.
    public func interrupt(signal name: String) { inbox.push(.interrupt(name)) }

    private var logWriter: (@Sendable (String) -> Void)? {
        guard let log else { return nil }
        return { log.write($0) }
    }

    private func initialState(mode: DashboardState.Mode) -> DashboardState {
        var state = DashboardState(mode: mode, now: Date())
        state.view.exitOnComplete = options.exitOnComplete
        let names = options.catalog.available()
        state.view.themes = names.contains(options.theme.theme.name) ? names : [options.theme.theme.name] + names
        state.view.themeIndex = state.view.themes.firstIndex(of: options.theme.theme.name) ?? 0
        if let note = screen.fallbackNote {
            state.note(.warning, note)
            state.view.notice = note
            state.view.noticeAt = state.now
        }
        for warning in options.theme.warnings { state.note(.warning, "theme \(warning)") }
        return state
    }

    private func runLoop(_ loop: DashboardLoop) async {
        let screen = self.screen, theme = options.theme.theme
        await owner.run {
            screen.apply(theme)
            loop.run(on: screen)
            screen.close()
        }
        owner.stop()
        if let log {
            log.restore()
            if loop.state.log.entries.contains(where: { $0.level == .error || $0.level == .warning }) {
                try? FileHandle.standardError.write(contentsOf: Data("freightliner: the dashboard's log: \(log.path)\n".utf8))
            }
        }
    }
}

extension Dashboard {
    /// Whether `--ui auto` should choose the dashboard: standard output is a terminal and
    /// terminfo knows `TERM` well enough to place the cursor. Asks terminfo only, before any
    /// screen exists.
    public static func terminalIsUsable(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        CursesScreen.terminalIsUsable(environment: environment)
    }
}
