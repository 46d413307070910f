/// Drawing on a frame with one set of glyphs: boxes with titles, bars, aligned rows.
struct Canvas {
    var frame: Frame
    let glyphs: Glyphs

    init(width: Int, height: Int, glyphs: Glyphs) {
        frame = Frame(width: width, height: height, asciiOnly: glyphs.isASCII)
        self.glyphs = glyphs
    }

    @discardableResult
    mutating func text(_ string: String, x: Int, y: Int, width: Int? = nil, role: StyleRole) -> Int {
        frame.text(string, x: x, y: y, width: width, role: role)
    }

    /// Text cut to `width` with an ellipsis, padded with spaces.
    mutating func field(_ string: String, x: Int, y: Int, width: Int, role: StyleRole, alignRight: Bool = false) {
        guard width > 0 else { return }
        let fitted = alignRight ? TextFit.padLeft(string, width, ellipsis: glyphs.ellipsis)
                                : TextFit.padRight(string, width, ellipsis: glyphs.ellipsis)
        frame.text(fitted, x: x, y: y, width: width, role: role)
    }

    mutating func fill(_ rect: Rect, role: StyleRole) { frame.fill(rect, role: role) }

    /// A box around `rect` with ` title ` set into the top edge.
    mutating func box(_ rect: Rect, title: String, focused: Bool) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let role: StyleRole = focused ? .borderFocus : .border
        for column in rect.x + 1..<rect.maxX - 1 {
            frame.put(glyphs.horizontal, x: column, y: rect.y, role: role)
            frame.put(glyphs.horizontal, x: column, y: rect.maxY - 1, role: role)
        }
        for row in rect.y + 1..<rect.maxY - 1 {
            frame.put(glyphs.vertical, x: rect.x, y: row, role: role)
            frame.put(glyphs.vertical, x: rect.maxX - 1, y: row, role: role)
        }
        frame.put(glyphs.topLeft, x: rect.x, y: rect.y, role: role)
        frame.put(glyphs.topRight, x: rect.maxX - 1, y: rect.y, role: role)
        frame.put(glyphs.bottomLeft, x: rect.x, y: rect.maxY - 1, role: role)
        frame.put(glyphs.bottomRight, x: rect.maxX - 1, y: rect.maxY - 1, role: role)
        let room = rect.width - 4
        if room > 2, !title.isEmpty {
            let label = " " + TextFit.truncate(title, room - 2, ellipsis: glyphs.ellipsis) + " "
            frame.text(label, x: rect.x + 1, y: rect.y, role: .title)
        }
    }

    /// A progress bar of `width` cells, `fraction` filled, in eighths where the glyphs allow.
    mutating func bar(_ fraction: Double, x: Int, y: Int, width: Int, failed: Bool = false) {
        guard width > 0 else { return }
        let clamped = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let steps = glyphs.barPartials.isEmpty ? 1 : glyphs.barPartials.count + 1
        let filled = Int((clamped * Double(width * steps)).rounded(.down))
        let full = filled / steps
        let partial = filled % steps
        let fillRole: StyleRole = failed ? .failed : .barFill
        for column in 0..<width {
            if column < full {
                frame.put(glyphs.barFull, x: x + column, y: y, role: fillRole)
            } else if column == full, partial > 0 {
                frame.put(glyphs.barPartials[partial - 1], x: x + column, y: y, role: fillRole)
            } else {
                frame.put(glyphs.barEmpty, x: x + column, y: y, role: .barEmpty)
            }
        }
    }
}
