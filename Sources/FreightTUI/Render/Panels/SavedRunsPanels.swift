import Foundation

/// `freightliner dashboard`: the saved runs, newest first.
enum SavedRunsPanel {
    static func drawHeader(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        canvas.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .header)
        let place = state.savedRunsDirectory.map { " in \($0)" } ?? ""
        canvas.field(" freightliner dashboard  \(state.savedRuns.count) saved runs\(place)", x: rect.x, y: rect.y, width: rect.width, role: .header)
        var x = rect.x + 1
        for runState in [SavedRun.State.running, .interrupted, .failed, .completed, .damaged] {
            let count = state.savedRuns.filter { $0.state == runState }.count
            guard count > 0 else { continue }
            let text = "\(runState.rawValue) \(count)"
            guard x + text.count <= rect.maxX else { break }
            x += canvas.text(runState.rawValue + " ", x: x, y: rect.y + 1, role: .dim)
            x += canvas.text("\(count)", x: x, y: rect.y + 1, role: role(runState)) + 2
        }
        if state.savedRuns.isEmpty { canvas.text("no saved runs", x: x, y: rect.y + 1, role: .dim) }
    }

    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        let runs = state.visibleRuns
        var title = "Saved runs"
        if !state.view.filter.isEmpty || state.view.editingFilter { title += "  /\(state.view.filter)" }
        let inner = rect.inner
        let current = state.currentRun?.runID
        let selectedIndex = runs.firstIndex { $0.runID == current } ?? 0
        let window = visibleWindow(count: runs.count, rows: inner.height, selected: selectedIndex)
        if window.count < runs.count { title += "  \(window.lowerBound + 1)-\(window.upperBound) of \(runs.count)" }
        canvas.box(rect, title: title, focused: true)
        guard inner.width > 10, inner.height > 0 else { return }
        if runs.isEmpty {
            let message = state.savedRuns.isEmpty ? "no runs saved here yet: `freightliner sync` saves one" : "no run matches \"\(state.view.filter)\""
            canvas.field(message, x: inner.x + 2, y: inner.y, width: inner.width - 2, role: .dim)
            return
        }
        let idWidth = min(26, runs.reduce(0) { max($0, $1.runID.count) })
        let stateWidth = 12, whenWidth = 10, countWidth = 10
        let barWidth = inner.width >= 70 ? 12 : 0
        let placeWidth = inner.width - 2 - idWidth - 1 - stateWidth - whenWidth - countWidth - (barWidth > 0 ? barWidth + 1 : 0) - 1
        var y = inner.y
        for index in window {
            let run = runs[index]
            let selected = run.runID == current
            let rowRole: StyleRole? = selected ? .selected : nil
            if let rowRole { canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), role: rowRole) }
            if selected { canvas.frame.put(canvas.glyphs.selector, x: inner.x, y: y, role: .selected) }
            var x = inner.x + 2
            canvas.field(run.runID, x: x, y: y, width: idWidth, role: rowRole ?? .text)
            x += idWidth + 1
            canvas.field(run.state.rawValue, x: x, y: y, width: stateWidth, role: rowRole ?? role(run.state))
            x += stateWidth
            canvas.field(Formatting.ago(run.updatedAt, now: state.now), x: x, y: y, width: whenWidth - 1, role: rowRole ?? .dim)
            x += whenWidth
            canvas.field(run.total > 0 ? "\(run.done)/\(run.total)" : "--", x: x, y: y, width: countWidth - 1, role: rowRole ?? .text, alignRight: true)
            x += countWidth
            if barWidth > 0 {
                if run.total > 0 { canvas.bar(Double(run.done) / Double(run.total), x: x, y: y, width: barWidth, failed: run.failed > 0) }
                x += barWidth + 1
            }
            if placeWidth > 8 {
                let place = run.state == .damaged ? (run.problem ?? "") : "\(run.source) \(canvas.glyphs.arrow) \(run.destination)"
                canvas.field(place, x: x, y: y, width: placeWidth, role: rowRole ?? .dim)
            }
            y += 1
        }
    }

    /// The selected run: when, how far, where from and to, and each repository.
    static func drawDetail(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        guard let run = state.currentRun else {
            canvas.box(rect, title: "Run", focused: false)
            return
        }
        canvas.box(rect, title: "Run \(run.runID)", focused: false)
        let inner = rect.inner
        guard inner.width > 10, inner.height > 0 else { return }
        let x = inner.x + 1, width = inner.width - 1
        var lines: [(String, StyleRole)] = []
        var stateLine = run.state.rawValue
        if let updated = run.updatedAt { stateLine += ", updated \(Formatting.utc(updated)) (\(Formatting.ago(updated, now: state.now)))" }
        lines.append((stateLine, role(run.state)))
        if let problem = run.problem { lines.append(("cannot be read: \(problem)", .failed)) }
        if !run.source.isEmpty { lines.append(("from \(run.source)", .text)) }
        if !run.destination.isEmpty { lines.append(("to   \(run.destination)", .text)) }
        if run.total > 0 {
            var progress = "\(run.done) of \(run.total) tags done"
            if run.failed > 0 { progress += ", \(run.failed) failed" }
            lines.append((progress, run.failed > 0 ? .warning : .text))
        }
        if run.resumable {
            lines.append((state.canResume ? "r resumes it" : "resume it with `freightliner resume \(run.runID)`", .key))
        }
        var y = inner.y
        for (text, role) in lines where y < inner.maxY {
            canvas.field(text, x: x, y: y, width: width, role: role)
            y += 1
        }
        guard y + 1 < inner.maxY, !run.repositories.isEmpty else { return }
        y += 1
        let nameWidth = max(8, width - 24)
        let room = inner.maxY - y
        let shown = run.repositoryCount > room ? min(room - 1, run.repositories.count) : run.repositories.count
        for repository in run.repositories.prefix(shown) {
            canvas.field(repository.name, x: x, y: y, width: nameWidth, role: .text)
            canvas.field("\(repository.done)/\(repository.total)", x: x + nameWidth, y: y, width: 10, role: .text, alignRight: true)
            let fraction = repository.total > 0 ? Double(repository.done) / Double(repository.total) : 1
            canvas.bar(fraction, x: x + nameWidth + 11, y: y, width: max(0, min(12, width - nameWidth - 11)), failed: repository.failed > 0)
            y += 1
        }
        if shown < run.repositoryCount {
            canvas.field("+\(run.repositoryCount - shown) more repositories", x: x, y: y, width: width, role: .dim)
        }
    }

    static func role(_ state: SavedRun.State) -> StyleRole {
        switch state {
        case .running: return .running
        case .interrupted: return .warning
        case .completed: return .done
        case .failed, .damaged: return .failed
        }
    }
}
