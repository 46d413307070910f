/// Where each panel goes for a terminal size: a pure function, so resizing is just
/// rendering again.
struct LiveLayout: Equatable {
    var header: Rect
    var repositories: Rect
    var tags: Rect
    var compression: Rect
    var secrets: Rect
    var events: Rect
    var keyBar: Rect

    /// Side by side from this width; stacked below it.
    static let wideFrom = 100

    init(width: Int, height: Int) {
        header = Rect(x: 0, y: 0, width: width, height: 2)
        keyBar = Rect(x: 0, y: height - 1, width: width, height: 1)
        let rest = height - 3
        let eventsHeight = min(10, max(3, rest / 5))
        let main = rest - eventsHeight
        events = Rect(x: 0, y: 2 + main, width: width, height: eventsHeight)
        if width >= Self.wideFrom {
            let left = width * 55 / 100
            let right = width - left
            repositories = Rect(x: 0, y: 2, width: left, height: main)
            let boxes = main >= 24 ? 5 : max(3, (main - 6) / 2)
            tags = Rect(x: left, y: 2, width: right, height: main - 2 * boxes)
            compression = Rect(x: left, y: tags.maxY, width: right, height: boxes)
            secrets = Rect(x: left, y: compression.maxY, width: right, height: boxes)
        } else {
            let top = (main + 1) / 2
            let bottom = main - top
            repositories = Rect(x: 0, y: 2, width: width, height: top)
            let left = width / 2
            tags = Rect(x: 0, y: 2 + top, width: left, height: bottom)
            let upper = (bottom + 1) / 2
            compression = Rect(x: left, y: 2 + top, width: width - left, height: upper)
            secrets = Rect(x: left, y: compression.maxY, width: width - left, height: bottom - upper)
        }
    }
}

/// `freightliner dashboard`: the saved runs, the selected one in detail, events.
struct BrowseLayout: Equatable {
    var header: Rect
    var runs: Rect
    var detail: Rect
    var events: Rect
    var keyBar: Rect

    init(width: Int, height: Int) {
        header = Rect(x: 0, y: 0, width: width, height: 2)
        keyBar = Rect(x: 0, y: height - 1, width: width, height: 1)
        let rest = height - 3
        let eventsHeight = min(8, max(3, rest / 5))
        let main = rest - eventsHeight
        events = Rect(x: 0, y: 2 + main, width: width, height: eventsHeight)
        if width >= LiveLayout.wideFrom {
            let left = width * 60 / 100
            runs = Rect(x: 0, y: 2, width: left, height: main)
            detail = Rect(x: left, y: 2, width: width - left, height: main)
        } else {
            let top = (main + 1) / 2
            runs = Rect(x: 0, y: 2, width: width, height: top)
            detail = Rect(x: 0, y: 2 + top, width: width, height: main - top)
        }
    }
}

/// Which slice of a list of `count` rows fits in `rows`, keeping `selected` on screen: whole
/// pages, so rows stay put while the selection moves within one.
func visibleWindow(count: Int, rows: Int, selected: Int) -> Range<Int> {
    guard rows > 0, count > 0 else { return 0..<0 }
    guard count > rows else { return 0..<count }
    let start = min(max(0, selected) / rows * rows, count - rows)
    return start..<min(count, start + rows)
}
