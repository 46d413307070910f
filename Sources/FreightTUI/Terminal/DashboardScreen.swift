import Foundation

/// What the dashboard loop needs from a terminal: its size and glyphs, keys, drawing a frame,
/// colours for the roles. `CursesScreen` is the real one; `TextScreen` renders for tests.
public protocol DashboardScreen: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var glyphs: Glyphs { get }
    /// Keys typed, waiting at most `timeout` milliseconds for the first.
    func readKeys(timeout: Int32) -> [Key]
    /// Draws a frame of the screen's size; only cells that changed since the last are written.
    func draw(_ frame: Frame)
    /// Colours (or, without colour, attributes) for every role.
    func apply(_ theme: Theme)
    /// The terminal changed size: the next frame repaints everything.
    func resized()
    func close()
}

/// A screen in memory, for tests: keys come from a script, frames are kept as text.
public final class TextScreen: DashboardScreen, @unchecked Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public let glyphs: Glyphs
    public private(set) var frames: [Frame] = []
    public private(set) var theme: Theme?
    public private(set) var closed = false
    /// Cells written by all draws together, as a diffing backend would write them.
    public private(set) var cellsWritten = 0
    private var keys: [Key]
    private var previous: Frame?

    public init(width: Int, height: Int, glyphs: Glyphs = .unicode, keys: [Key] = []) {
        self.width = width
        self.height = height
        self.glyphs = glyphs
        self.keys = keys
    }

    public func feed(_ more: [Key]) { keys += more }

    public func resize(width: Int, height: Int) {
        self.width = width
        self.height = height
        keys.append(.resize)
    }

    /// One scripted key at a time; with none left, waits a millisecond as a terminal would.
    public func readKeys(timeout: Int32) -> [Key] {
        guard !keys.isEmpty else {
            usleep(1000)
            return []
        }
        return [keys.removeFirst()]
    }

    public func draw(_ frame: Frame) {
        cellsWritten += frame.changes(from: previous).count
        previous = frame
        frames.append(frame)
    }

    public func apply(_ theme: Theme) { self.theme = theme }
    public func resized() { previous = nil }
    public func close() { closed = true }
}
