import FreightCore

/// The tags of the selected repository: copying with bytes and percent, queued, copied,
/// mounted, skipped, failed with the reason. Focused, a failed tag's whole reason shows below.
enum TagsPanel {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        let focused = state.view.focus == .tags
        guard let repository = state.currentRepository else {
            canvas.box(rect, title: "Tags", focused: focused)
            canvas.field("no repository selected", x: rect.inner.x + 2, y: rect.inner.y, width: rect.inner.width - 2, role: .dim)
            return
        }
        let tags = state.visibleTags(of: repository)
        var title = "Tags of \(repository.name)  \(repository.done)/\(repository.total)"
        let inner = rect.inner
        guard inner.width > 4, inner.height > 0 else {
            canvas.box(rect, title: title, focused: focused)
            return
        }
        let current = focused ? state.currentTag?.name : nil
        var reasonLines: [String] = []
        if focused, let tag = state.currentTag, case .failed(let reason) = tag.status, inner.height >= 6 {
            reasonLines = Array(TextFit.wrap(reason, inner.width - 2).prefix(min(4, inner.height / 3)))
        }
        let rows = inner.height - (reasonLines.isEmpty ? 0 : reasonLines.count + 1)
        let selectedIndex = current.flatMap { name in tags.firstIndex { $0.name == name } } ?? 0
        let window = visibleWindow(count: tags.count, rows: rows, selected: selectedIndex)
        if window.count < tags.count { title += "  \(window.lowerBound + 1)-\(window.upperBound) of \(tags.count)" }
        canvas.box(rect, title: title, focused: focused)
        if tags.isEmpty {
            canvas.field("no tags", x: inner.x + 2, y: inner.y, width: inner.width - 2, role: .dim)
            return
        }

        let longest = tags.reduce(0) { max($0, TextFit.width($1.name)) }
        let nameWidth = min(max(6, longest), max(6, inner.width / 3))
        var y = inner.y
        for index in window {
            let tag = tags[index]
            let selected = tag.name == current
            let rowRole: StyleRole? = selected ? .selected : nil
            if let rowRole { canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), role: rowRole) }
            if selected { canvas.frame.put(canvas.glyphs.selector, x: inner.x, y: y, role: .selected) }
            var x = inner.x + 2
            canvas.field(tag.name, x: x, y: y, width: nameWidth, role: rowRole ?? .text)
            x += nameWidth + 1
            let (word, role, detail) = describe(tag)
            canvas.field(word, x: x, y: y, width: 8, role: rowRole ?? role)
            x += 9
            let room = inner.maxX - x
            if tag.status == .copying, tag.bytesTotal > 0 {
                let numbers = "\(ByteFormat.string(tag.bytesDone))/\(ByteFormat.string(tag.bytesTotal))"
                let percent = Formatting.percent(tag.fraction)
                let barWidth = min(16, room - TextFit.width(numbers) - 6)
                x += canvas.text(numbers, x: x, y: y, width: room, role: rowRole ?? .text) + 1
                if barWidth >= 4 {
                    canvas.bar(tag.fraction, x: x, y: y, width: barWidth)
                    x += barWidth + 1
                }
                canvas.field(percent, x: x, y: y, width: max(0, inner.maxX - x), role: rowRole ?? .dim)
            } else {
                canvas.field(detail, x: x, y: y, width: room, role: rowRole ?? (tag.status.isFailure ? .failed : .dim))
            }
            y += 1
        }
        if !reasonLines.isEmpty {
            var lineY = inner.maxY - reasonLines.count
            canvas.field("reason:", x: inner.x + 1, y: lineY - 1, width: inner.width - 1, role: .dim)
            for line in reasonLines {
                canvas.field(line, x: inner.x + 1, y: lineY, width: inner.width - 1, role: .failed)
                lineY += 1
            }
        }
    }

    static func describe(_ tag: TagProgress) -> (String, StyleRole, String) {
        let earlier = tag.earlier ? "earlier session" : ""
        // Signatures, SBOMs and attestations that came along (or were there already).
        let referrers: String = {
            guard let stats = tag.stats else { return "" }
            let count = (stats.referrersCopied ?? 0) + (stats.referrersSkipped ?? 0)
            return count == 0 ? "" : ", \(count) referrer\(count == 1 ? "" : "s")"
        }()
        switch tag.status {
        case .queued: return ("queued", .pending, "")
        case .copying: return ("copying", .running, "")
        case .copied(let bytes):
            guard let stats = tag.stats else { return ("copied", .done, earlier.isEmpty ? ByteFormat.string(bytes) : earlier) }
            var detail = "\(ByteFormat.string(bytes)), \(stats.blobsUploaded) up"
            if stats.blobsMounted > 0 { detail += ", \(stats.blobsMounted) mounted" }
            if stats.blobsSkipped > 0 { detail += ", \(stats.blobsSkipped) present" }
            return ("copied", .done, detail + referrers)
        case .mounted:
            return ("mounted", .done, tag.stats.map { "\($0.blobsMounted) blobs mounted, nothing sent" + referrers } ?? earlier)
        case .skipped: return ("skipped", .skipped, (earlier.isEmpty ? "up to date" : "up to date, \(earlier)") + referrers)
        case .failed(let reason): return ("failed", .failed, reason)
        }
    }
}

extension TagProgress.Status {
    var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }
}
