/// The bottom row: the keys that matter here, from the key map, and any notice.
enum KeyBar {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        canvas.fill(rect, role: .text)
        var x = rect.x + 1
        if state.view.editingFilter {
            x += canvas.text("filter: ", x: x, y: rect.y, role: .key)
            x += canvas.text(state.view.filter + "_", x: x, y: rect.y, width: max(0, rect.maxX - x - 24), role: .text)
            canvas.text("  Enter keep  Esc clear", x: x, y: rect.y, width: max(0, rect.maxX - x), role: .dim)
            return
        }
        var notice = state.view.notice
        if notice == nil, state.mode == .live, state.run.isStopping {
            notice = state.view.quitRequested ? "stopping: transfers in flight finish; q again abandons them" : "stopping"
        }
        var limit = rect.maxX
        if let notice {
            // The notice takes the right end; keys go left of it, whole or not at all.
            let width = min(TextFit.width(notice) + 2, rect.width * 2 / 3)
            limit = rect.maxX - width - 1
            canvas.fill(Rect(x: rect.maxX - width, y: rect.y, width: width, height: 1), role: .notice)
            canvas.field(notice, x: rect.maxX - width + 1, y: rect.y, width: width - 2, role: .notice)
        }
        var hidden: Set<DashboardAction> = state.mode == .browse ? [.pause, .focus] : state.view.watching ? [.pause] : []
        // r resumes saved runs: a run still going has none to offer; a finished run cannot be
        // paused, and a complete one has nothing to resume.
        if state.mode == .live, !state.view.watching {
            if let summary = state.run.summary {
                hidden.insert(.pause)
                if summary.status == .completed || state.run.info?.checkpointPath == nil { hidden.insert(.resume) }
            } else {
                hidden.insert(.resume)
            }
        }
        for binding in KeyMap.bindings where binding.bar != nil && !hidden.contains(binding.action) {
            let keys = binding.barKeys ?? binding.label
            // Watching other processes' runs, r and q steer nothing: they say how, and leave.
            var word = binding.bar!
            if state.view.watching, binding.action == .resume { word = "restart how" }
            if state.view.watching, binding.action == .quit { word = "leave" }
            if binding.action == .pause, state.run.phase == .paused { word = "continue" }
            guard x + keys.count + 1 + word.count <= limit else { break }
            x += canvas.text(keys, x: x, y: rect.y, role: .key)
            x += canvas.text(" " + word, x: x, y: rect.y, role: .dim) + 2
        }
    }
}

/// `?`: every binding of the key map with what it does.
enum HelpOverlay {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, width: Int, height: Int) {
        let boxWidth = min(width - 4, 84)
        let labelWidth = KeyMap.bindings.reduce(0) { max($0, $1.label.count) } + 2
        let textWidth = boxWidth - 4 - labelWidth
        let lines = KeyMap.bindings.map { ($0.label, $0.help) }
        let footer = "? or Esc closes this  |  theme: \(state.view.themeName)"
        let boxHeight = min(height - 2, lines.count + 4)
        let rect = Rect(x: (width - boxWidth) / 2, y: (height - boxHeight) / 2, width: boxWidth, height: boxHeight)
        canvas.fill(rect, role: .overlay)
        canvas.box(rect, title: "Keys", focused: true)
        let inner = rect.inner
        let room = inner.height - 2
        for (offset, line) in lines.prefix(room).enumerated() {
            canvas.field(line.0, x: inner.x + 1, y: inner.y + offset, width: labelWidth, role: .key)
            canvas.field(line.1, x: inner.x + 1 + labelWidth, y: inner.y + offset, width: textWidth, role: .overlay)
        }
        canvas.field(footer, x: inner.x + 1, y: inner.maxY - 1, width: inner.width - 2, role: .dim)
    }
}

/// Instead of a garbled layout: what the size is and what it must be.
enum TooSmallScreen {
    static func draw(_ canvas: inout Canvas, width: Int, height: Int, minimum: (width: Int, height: Int)) {
        let times = canvas.glyphs.isASCII ? "x" : "\u{00D7}"
        let lines = ["terminal too small: \(width)\(times)\(height)", "need \(minimum.width)\(times)\(minimum.height)"]
        let top = max(0, (height - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            let fitted = TextFit.truncate(line, width, ellipsis: canvas.glyphs.ellipsis)
            canvas.text(fitted, x: max(0, (width - TextFit.width(fitted)) / 2), y: top + offset, role: offset == 0 ? .warning : .text)
        }
    }
}
