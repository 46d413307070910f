import Foundation

/// What the dashboard asks of the run (or the CLI) after a key or a signal.
public enum DashboardRequest: Sendable, Equatable {
    case pause
    case proceed
    case stop(reason: String)
    case abandon
    case resume(runID: String)
    /// Watching: say how to restart the shard of this repository.
    case restartHint(repository: String?)
}

extension DashboardState {
    /// A key: filter text while the filter is being edited, else the key map's action.
    public mutating func handle(_ key: Key) -> [DashboardRequest] {
        guard key != .resize else { return [] }
        if view.editingFilter, editFilter(key) { return [] }
        guard let action = KeyMap.action(for: key) else { return [] }
        if view.showHelp {
            // Help covers the screen: only closing it makes sense.
            if action == .help || action == .back || action == .quit { view.showHelp = false }
            return []
        }
        return perform(action)
    }

    public mutating func perform(_ action: DashboardAction) -> [DashboardRequest] {
        clearNotice()
        if view.watching {
            // Nothing here steers the runs watched: they are other processes'.
            switch action {
            case .pause:
                notify("this view only watches: each shard runs in its own process (r on a repository: how to restart its shard)")
                return []
            case .resume:
                return [.restartHint(repository: currentRepository?.name)]
            case .quit:
                view.wantsExit = true
                return []
            default: break
            }
        }
        switch action {
        case .up: move(by: -1)
        case .down: move(by: 1)
        case .pageUp: move(by: -max(1, view.pageSize))
        case .pageDown: move(by: max(1, view.pageSize))
        case .first: move(by: Int.min / 2)
        case .last: move(by: Int.max / 2)
        case .focus:
            guard mode == .live else { return [] }
            if view.focus == .tags {
                view.focus = .repositories
            } else if currentRepository != nil {
                view.focus = .tags
                view.selectedTag = nil
            } else {
                notify("no repository to show tags of yet")
            }
        case .back:
            if view.focus == .tags {
                view.focus = .repositories
            } else if !view.filter.isEmpty {
                view.filter = ""
            } else {
                view.selectedRepository = nil
                view.selectedRun = nil
            }
        case .filter:
            view.editingFilter = true
            view.focus = .repositories
        case .theme:
            guard !view.themes.isEmpty else { return [] }
            view.themeIndex = (view.themeIndex + 1) % view.themes.count
            notify("theme: \(view.themeName)")
        case .help:
            view.showHelp.toggle()
        case .pause:
            return pauseOrContinue()
        case .resume:
            return resume()
        case .quit:
            return quit(reason: "quit from the dashboard; q again abandons transfers in flight")
        }
        return []
    }

    /// SIGINT or SIGTERM: like `q`, and once the run is over, leave.
    public mutating func interrupt(signal name: String) -> [DashboardRequest] {
        if view.watching {
            view.wantsExit = true
            return []
        }
        return quit(reason: "received \(name); again to abandon transfers in flight")
    }

    /// A resume asked for with `r` has started: show that run from its first event.
    public mutating func resumeStarted(runID: String) {
        showNewRun()
        log.append(.info, "resuming run \(runID)", at: now)
    }

    /// `serve` started its next cycle: show it from its first event (the filter stays).
    public mutating func cycleStarted() {
        let filter = view.filter
        showNewRun()
        view.filter = filter
        view.nextCycle = nil
    }

    private mutating func showNewRun() {
        mode = .live
        run = RunProgress()
        view.focus = .repositories
        view.selectedRepository = nil
        view.selectedTag = nil
        view.filter = ""
        view.quitRequested = false
    }

    public mutating func resumeFailed(runID: String, message: String) {
        log.append(.error, "could not resume \(runID): \(message)", at: now)
        notify("could not resume \(runID): \(message)")
    }

    /// The run's events stopped coming: nothing more will happen to it.
    public mutating func streamEnded() {
        run.streamEnded = true
        if !run.isFinished, mode == .live, run.info != nil {
            log.append(.warning, "the run's events ended before it finished", at: now)
        }
        if view.quitRequested || (view.exitOnComplete && mode == .live) { view.wantsExit = true }
        // The run never started (its planning failed, or found nothing to do): nothing to show.
        if mode == .live, run.info == nil, !view.serving, !view.watching { view.wantsExit = true }
    }

    public mutating func updateSavedRuns(_ runs: [SavedRun]) {
        savedRuns = runs
    }

    public mutating func note(_ level: LogEntry.Level, _ message: String) {
        log.append(level, message, at: now)
    }

    private mutating func pauseOrContinue() -> [DashboardRequest] {
        guard mode == .live else {
            notify("p pauses a running run; select a saved run and press r to resume it")
            return []
        }
        switch run.phase {
        case .running: return [.pause]
        case .paused: return [.proceed]
        case .waiting: notify("the run has not started yet")
        case .stopping: notify("the run is stopping")
        case .finished: notify("the run has finished")
        }
        return []
    }

    private mutating func resume() -> [DashboardRequest] {
        if mode == .browse {
            guard let saved = currentRun else {
                notify("no saved run to resume")
                return []
            }
            guard saved.resumable else {
                notify(saved.state == .damaged ? "run \(saved.runID) cannot be read: \(saved.problem ?? "damaged")"
                                               : "run \(saved.runID) has nothing left to do")
                return []
            }
            guard canResume else {
                notify("resuming is not available in this build: use `freightliner resume \(saved.runID)`")
                return []
            }
            notify("resuming \(saved.runID)…")
            return [.resume(runID: saved.runID)]
        }
        switch run.phase {
        case .paused: notify("the run is paused: p continues it (r resumes saved runs)")
        case .running, .waiting: notify("the run is already running")
        case .stopping: notify("the run is stopping; resume it once it has stopped")
        case .finished(let summary):
            guard summary.status != .completed else {
                notify("the run is complete: nothing to resume")
                return []
            }
            guard let info = run.info, info.checkpointPath != nil, !info.dryRun else {
                notify("this run saved no checkpoint to resume from")
                return []
            }
            guard canResume else {
                notify("resume it with `\(info.resumeCommand ?? "freightliner resume \(info.runID)")`")
                return []
            }
            notify("resuming \(info.runID)…")
            return [.resume(runID: info.runID)]
        }
        return []
    }

    private mutating func quit(reason: String) -> [DashboardRequest] {
        guard mode == .live, !run.isFinished, !run.streamEnded else {
            view.wantsExit = true
            return []
        }
        if !view.quitRequested {
            view.quitRequested = true
            notify("stopping: transfers in flight finish; q again abandons them")
            return [.stop(reason: reason)]
        }
        notify("abandoning transfers in flight")
        return [.abandon]
    }

    /// Consumes printable keys, Backspace, Enter and Esc while the filter is edited; others
    /// (arrows) still navigate.
    private mutating func editFilter(_ key: Key) -> Bool {
        switch key {
        case .character(let character) where !character.isNewline && character.asciiValue.map({ $0 >= 0x20 }) ?? true:
            view.filter.append(character)
        case .backspace:
            if !view.filter.isEmpty { view.filter.removeLast() }
        case .enter:
            view.editingFilter = false
        case .escape:
            view.filter = ""
            view.editingFilter = false
        default:
            return false
        }
        view.selectedRepository = nil
        view.selectedRun = nil
        return true
    }

    private mutating func move(by delta: Int) {
        switch (mode, view.focus) {
        case (.browse, _):
            view.selectedRun = Self.step(visibleRuns.map(\.runID), from: currentRun?.runID, by: delta)
        case (.live, .repositories):
            view.selectedRepository = Self.step(visibleRepositories.map(\.name), from: currentRepository?.name, by: delta)
            view.selectedTag = nil
        case (.live, .tags):
            guard let repository = currentRepository else { return }
            view.selectedTag = Self.step(visibleTags(of: repository).map(\.name), from: currentTag?.name, by: delta)
        }
    }

    static func step(_ names: [String], from current: String?, by delta: Int) -> String? {
        guard !names.isEmpty else { return nil }
        let position = current.flatMap { names.firstIndex(of: $0) } ?? 0
        let target = min(names.count - 1, max(0, position.addingReportingOverflow(delta).partialValue))
        return names[target]
    }

    /// A short message in the key bar, as a key's own would be.
    public mutating func notice(_ message: String) { notify(message) }

    private mutating func notify(_ message: String) {
        view.notice = message
        view.noticeAt = now
    }

    private mutating func clearNotice() {
        view.notice = nil
        view.noticeAt = nil
    }
}
