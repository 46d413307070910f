import Foundation
import FreightCore

/// The dashboard's loop, run on the owner thread: keys and inbox in, reduce, commands out,
/// and a frame drawn at most ten times a second when something changed.
final class DashboardLoop: @unchecked Sendable {
    static let frameInterval: TimeInterval = 0.1
    static let keyTimeout: Int32 = 50
    static let savedRunsInterval: TimeInterval = 2

    /// The loop's thread owns this while `run` runs; read it once `run` has returned.
    private(set) var state: DashboardState
    private let published: Locked<DashboardState>
    private let inbox: Inbox
    private let catalog: ThemeCatalog
    private let browser: RunBrowser?
    private let log: (@Sendable (String) -> Void)?
    private(set) var live: LiveRun?
    private var pumps: [Task<Void, Never>] = []
    private var lastLogged = -1
    private let refreshing = Locked(false)
    private var lastRefresh = Date.distantPast

    init(state: DashboardState, inbox: Inbox, catalog: ThemeCatalog, live: LiveRun?, browser: RunBrowser?,
         log: (@Sendable (String) -> Void)?) {
        self.state = state
        published = Locked(state)
        self.inbox = inbox
        self.catalog = catalog
        self.live = live
        self.browser = browser
        self.log = log
        if let live { pumps.append(inbox.pump(live.events)) }
    }

    /// The state as of the loop's last turn, safe to read from any thread while `run` runs (a
    /// test waits on it for the run to finish before pressing a key).
    var snapshot: DashboardState { published.value }

    /// Runs until the state asks to leave; `clock` is injectable for tests.
    func run(on screen: any DashboardScreen, clock: () -> Date = Date.init) {
        var themeIndex = state.view.themeIndex
        var lastDraw = Date.distantPast
        var lastTick = clock()
        var dirty = true
        state.view.pageSize = DashboardRenderer.pageSize(width: screen.width, height: screen.height)
        while !state.view.wantsExit {
            var force = false
            for key in screen.readKeys(timeout: Self.keyTimeout) {
                if key == .resize {
                    screen.resized()
                    state.view.pageSize = DashboardRenderer.pageSize(width: screen.width, height: screen.height)
                    force = true
                }
                execute(state.handle(key))
                dirty = true
            }
            let now = clock()
            for input in inbox.drain() {
                apply(input, at: now)
                dirty = true
            }
            if now.timeIntervalSince(lastTick) >= 1 {
                state.tick(at: now)
                lastTick = now
                dirty = true
            }
            if browser != nil, state.mode == .browse, now.timeIntervalSince(lastRefresh) >= Self.savedRunsInterval {
                refreshSavedRuns()
                lastRefresh = now
            }
            if state.view.themeIndex != themeIndex {
                themeIndex = state.view.themeIndex
                switchTheme(on: screen)
                force = true
            }
            writeLog()
            if dirty && (force || now.timeIntervalSince(lastDraw) >= Self.frameInterval || state.view.wantsExit) {
                screen.draw(DashboardRenderer.render(state, width: screen.width, height: screen.height, glyphs: screen.glyphs))
                lastDraw = now
                dirty = false
            }
            published.withLock { $0 = state }
        }
        writeLog()
    }

    private func apply(_ input: LoopInput, at now: Date) {
        switch input {
        case .event(let event, let at):
            state.apply(event, at: max(at, state.now))
        case .streamEnded:
            state.streamEnded()
        case .interrupt(let signal):
            execute(state.interrupt(signal: signal))
        case .resumeStarted(let runID, let run):
            state.now = now
            state.resumeStarted(runID: runID)
            live = run
            pumps.append(inbox.pump(run.events))
        case .resumeFailed(let runID, let message):
            state.now = now
            state.resumeFailed(runID: runID, message: message)
        case .savedRuns(let runs):
            state.updateSavedRuns(runs)
        case .cycleStarted(let run):
            state.now = now
            state.cycleStarted()
            live = run
        case .nextCycle(let date):
            state.view.nextCycle = date
        case .note(let level, let text):
            state.now = now
            state.note(level, text)
        case .leave:
            state.view.wantsExit = true
        }
    }

    private func execute(_ commands: [DashboardRequest]) {
        for command in commands {
            switch command {
            case .pause: live?.steering.pause()
            case .proceed: live?.steering.proceed()
            case .stop(let reason): live?.steering.stop(reason: reason)
            case .abandon: live?.steering.abandon()
            case .restartHint(let repository):
                if let hint = live?.steering.restartHint(for: repository), !hint.isEmpty { state.notice(hint) }
            case .resume(let runID):
                guard let resume = browser?.resume else { continue }
                let inbox = self.inbox
                Task {
                    do {
                        inbox.push(.resumeStarted(runID: runID, try await resume(runID)))
                    } catch {
                        inbox.push(.resumeFailed(runID: runID, message: "\(error)"))
                    }
                }
            }
        }
    }

    private func refreshSavedRuns() {
        guard let browser, refreshing.withLock({ busy in
            defer { busy = true }
            return !busy
        }) else { return }
        let inbox = self.inbox, refreshing = self.refreshing
        Task.detached {
            inbox.push(.savedRuns(browser.list()))
            refreshing.withLock { $0 = false }
        }
    }

    private func switchTheme(on screen: any DashboardScreen) {
        let name = state.view.themeName
        do {
            let loaded = try catalog.load(name)
            for warning in loaded.warnings { state.note(.warning, "theme \(warning)") }
            screen.apply(loaded.theme)
        } catch {
            state.note(.error, "\(error)")
        }
    }

    /// New events go to the log file too: the panel shows only the latest.
    private func writeLog() {
        guard let log else { return }
        let formatter = ISO8601DateFormatter()
        for entry in state.log.entries(after: lastLogged) {
            log("\(formatter.string(from: entry.at)) \(entry.level.rawValue) \(entry.text)")
            lastLogged = entry.sequence
        }
    }
}
