import FreightCore

/// Every repository of the run: status, tags done of total, bytes sent, a progress bar.
enum RepositoriesPanel {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        let visible = state.visibleRepositories
        let run = state.run
        var title = "Repositories \(run.repositoriesDone)/\(run.repositories.count)"
        if !state.view.filter.isEmpty || state.view.editingFilter { title += "  /\(state.view.filter)" }
        let focused = state.view.focus == .repositories
        let inner = rect.inner
        guard inner.width > 4, inner.height > 0 else {
            canvas.box(rect, title: title, focused: focused)
            return
        }
        let columns = Columns(width: inner.width)
        let showHeading = inner.height >= 5
        let rows = inner.height - (showHeading ? 1 : 0)
        let current = state.currentRepository?.name
        let selectedIndex = visible.firstIndex { $0.name == current } ?? 0
        let window = visibleWindow(count: visible.count, rows: rows, selected: selectedIndex)
        if window.count < visible.count { title += "  \(window.lowerBound + 1)-\(window.upperBound) of \(visible.count)" }
        canvas.box(rect, title: title, focused: focused)

        var y = inner.y
        if showHeading {
            columns.heading(&canvas, x: inner.x, y: y)
            y += 1
        }
        if visible.isEmpty {
            let message = run.repositories.isEmpty ? (run.info == nil ? "waiting for the plan" : "nothing planned")
                                                   : "no repository matches \"\(state.view.filter)\""
            canvas.field(message, x: inner.x + 2, y: y, width: inner.width - 2, role: .dim)
            return
        }
        for index in window {
            let repository = visible[index]
            let selected = repository.name == current
            let rowRole: StyleRole? = selected ? (focused ? .selected : .selectedInactive) : nil
            if let rowRole { canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), role: rowRole) }
            columns.row(&canvas, repository, finished: run.isFinished, selected: selected, rowRole: rowRole, x: inner.x, y: y)
            y += 1
        }
    }

    static func status(_ repository: RepositoryProgress, finished: Bool) -> (String, StyleRole) {
        if repository.copying > 0 { return ("copying", .running) }
        switch repository.status {
        case .running: return (finished ? "stopped" : "copying", finished ? .pending : .running)
        case .failed: return ("failed", .failed)
        case .completed: return ("done", .done)
        case .pending:
            if repository.total > 0, repository.done == repository.total { return ("done", .done) }
            if repository.failed > 0 { return ("failed", .failed) }
            if finished, repository.done > 0 { return ("stopped", .pending) }
            return ("queued", .pending)
        }
    }

    /// Column widths for a panel width; the bar, then the bytes, go first when it is narrow.
    struct Columns {
        let name: Int, status = 8, tags = 9, bytes: Int, bar: Int, percent: Int

        init(width: Int) {
            let fixed = 2 + 8 + 1 + 9 + 1
            var rest = width - fixed
            bytes = rest >= 30 ? 10 : 0
            rest -= bytes
            if rest >= 30 {
                percent = 5
                bar = min(24, max(8, (rest - 5) / 3))
                name = rest - bar - percent - 1
            } else {
                percent = rest >= 18 ? 5 : 0
                bar = 0
                name = rest - percent
            }
        }

        func heading(_ canvas: inout Canvas, x: Int, y: Int) {
            var column = x + 2
            canvas.field("REPOSITORY", x: column, y: y, width: name, role: .dim)
            column += name + 1
            canvas.field("STATUS", x: column, y: y, width: status, role: .dim)
            column += status
            canvas.field("TAGS", x: column, y: y, width: tags, role: .dim, alignRight: true)
            column += tags
            if bytes > 0 {
                canvas.field("SENT", x: column, y: y, width: bytes, role: .dim, alignRight: true)
                column += bytes
            }
            if bar > 0 { canvas.field("PROGRESS", x: column + 1, y: y, width: bar, role: .dim) }
        }

        func row(_ canvas: inout Canvas, _ repository: RepositoryProgress, finished: Bool, selected: Bool,
                 rowRole: StyleRole?, x: Int, y: Int) {
            if selected { canvas.frame.put(canvas.glyphs.selector, x: x, y: y, role: rowRole ?? .text) }
            var column = x + 2
            canvas.field(TextFit.truncateMiddle(repository.name, name, ellipsis: canvas.glyphs.ellipsis),
                         x: column, y: y, width: name, role: rowRole ?? .text)
            column += name + 1
            let (word, role) = RepositoriesPanel.status(repository, finished: finished)
            canvas.field(word, x: column, y: y, width: status, role: rowRole ?? role)
            column += status
            canvas.field("\(repository.done)/\(repository.total)", x: column, y: y, width: tags, role: rowRole ?? .text, alignRight: true)
            column += tags
            if bytes > 0 {
                canvas.field(ByteFormat.string(repository.bytes), x: column, y: y, width: bytes, role: rowRole ?? .text, alignRight: true)
                column += bytes
            }
            let fraction = repository.fraction
            if bar > 0 {
                canvas.bar(fraction, x: column + 1, y: y, width: bar, failed: repository.failed > 0)
                column += bar + 1
            }
            if percent > 0 {
                canvas.field(Formatting.percent(fraction), x: column, y: y, width: percent, role: rowRole ?? .dim, alignRight: true)
            }
        }
    }
}
