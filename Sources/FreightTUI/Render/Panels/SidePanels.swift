import Foundation
import FreightCore

/// Layers recompressed, their sizes before and after, what was saved.
enum CompressionPanel {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        canvas.box(rect, title: "Compression", focused: false)
        let inner = rect.inner
        guard inner.height > 0, inner.width > 2 else { return }
        let totals = state.run.compression
        let x = inner.x + 1, width = inner.width - 1
        guard !totals.isEmpty else {
            canvas.field("no layers recompressed", x: x, y: inner.y, width: width, role: .dim)
            return
        }
        let arrow = canvas.glyphs.arrow
        let layers = "\(plural(totals.layers, "layer")) recompressed, \(totals.kept) kept"
        let sizes = "\(ByteFormat.string(totals.originalBytes)) \(arrow) \(ByteFormat.string(totals.compressedBytes))"
        let saved = totals.ratio.map { ratio in
            "saved \(ByteFormat.string(totals.savedBytes)) (\(Formatting.percent(1 - ratio))), ratio \(ByteFormat.formatted(ratio, decimals: 2))"
        } ?? "nothing recompressed yet"
        let lines: [String]
        switch inner.height {
        case 1: lines = ["\(plural(totals.layers, "layer")): \(sizes)"]
        case 2: lines = [layers, "\(sizes), saved \(totals.ratio.map { Formatting.percent(1 - $0) } ?? "--")"]
        default: lines = [layers, "size  \(sizes)", saved]
        }
        for (offset, line) in lines.enumerated() {
            canvas.field(line, x: x, y: inner.y + offset, width: width, role: .text)
        }
    }
}

/// Each credential in use: provider, reference, state, last refresh. Never a value: the
/// events carry none.
enum SecretsPanel {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        let secrets = state.run.secrets
        canvas.box(rect, title: secrets.isEmpty ? "Secrets" : "Secrets \(secrets.count)", focused: false)
        let inner = rect.inner
        guard inner.height > 0, inner.width > 2 else { return }
        let x = inner.x + 1, width = inner.width - 2
        guard !secrets.isEmpty else {
            canvas.field("no secrets in use", x: x, y: inner.y, width: width, role: .dim)
            return
        }
        let shown = secrets.count > inner.height ? inner.height - 1 : secrets.count
        let stateWidth = 10, whenWidth = width >= 44 ? 9 : 0
        let providerWidth = min(13, secrets.reduce(0) { max($0, TextFit.width($1.provider)) })
        let referenceWidth = width - providerWidth - stateWidth - whenWidth - 2
        for (offset, secret) in secrets.prefix(shown).enumerated() {
            let y = inner.y + offset
            var column = x
            canvas.field(secret.provider, x: column, y: y, width: providerWidth, role: .dim)
            column += providerWidth + 1
            canvas.field(TextFit.truncateMiddle(secret.reference, referenceWidth, ellipsis: canvas.glyphs.ellipsis),
                         x: column, y: y, width: referenceWidth, role: .text)
            column += referenceWidth + 1
            let role: StyleRole = secret.state == .failed ? .failed : .done
            canvas.field(secret.state.rawValue, x: column, y: y, width: stateWidth, role: role)
            column += stateWidth
            if whenWidth > 0 {
                canvas.field(Formatting.ago(secret.at, now: state.now), x: column, y: y, width: whenWidth, role: .dim, alignRight: true)
            }
        }
        if shown < secrets.count {
            canvas.field("+\(secrets.count - shown) more", x: x, y: inner.y + shown, width: width, role: .dim)
        }
    }
}

/// The latest notable events, newest at the bottom, timed from the start of the run.
enum EventsPanel {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect, since start: Date) {
        let errors = state.log.entries.filter { $0.level == .error }.count
        canvas.box(rect, title: errors > 0 ? "Events  \(errors) errors" : "Events", focused: false)
        let inner = rect.inner
        guard inner.height > 0, inner.width > 8 else { return }
        let entries = state.log.entries.suffix(inner.height)
        var y = inner.y
        for entry in entries {
            let time = Formatting.offset(entry.at.timeIntervalSince(start))
            let timeWidth = canvas.text(TextFit.padLeft(time, 5, ellipsis: canvas.glyphs.ellipsis), x: inner.x, y: y, role: .dim)
            let role: StyleRole
            switch entry.level {
            case .info: role = .text
            case .success: role = .done
            case .warning: role = .warning
            case .error: role = .failed
            }
            canvas.field(entry.text, x: inner.x + timeWidth + 1, y: y, width: inner.width - timeWidth - 1, role: role)
            y += 1
        }
    }
}
