import Foundation
import FreightCore

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
///
/// The dashboard loop drives it on its own thread while a test feeds keys and reads frames from
/// another, so its state sits behind a lock (ThreadSanitizer caught `feed` racing `readKeys`).
public final class TextScreen: DashboardScreen, Sendable {
    private struct State: Sendable {
        var width: Int
        var height: Int
        var frames: [Frame] = []
        var theme: Theme?
        var closed = false
        var cellsWritten = 0
        var keys: [Key]
        var previous: Frame?
    }

    public let glyphs: Glyphs
    private let state: Locked<State>

    public init(width: Int, height: Int, glyphs: Glyphs = .unicode, keys: [Key] = []) {
        self.glyphs = glyphs
        state = Locked(State(width: width, height: height, keys: keys))
    }

    public var width: Int { state.value.width }
    public var height: Int { state.value.height }
    public var frames: [Frame] { state.value.frames }
    public var theme: Theme? { state.value.theme }
    public var closed: Bool { state.value.closed }
    /// Cells written by all draws together, as a diffing backend would write them.
    public var cellsWritten: Int { state.value.cellsWritten }

    public func feed(_ more: [Key]) { state.withLock { $0.keys += more } }

    public func resize(width: Int, height: Int) {
        state.withLock { state in
            state.width = width
            state.height = height
            state.keys.append(.resize)
        }
    }

    /// One scripted key at a time; with none left, waits a millisecond as a terminal would.
    public func readKeys(timeout: Int32) -> [Key] {
        if let key = state.withLock({ $0.keys.isEmpty ? nil : $0.keys.removeFirst() }) { return [key] }
        usleep(1000)
        return []
    }

    public func draw(_ frame: Frame) {
        state.withLock { state in
            state.cellsWritten += frame.changes(from: state.previous).count
            state.previous = frame
            state.frames.append(frame)
        }
    }

    public func apply(_ theme: Theme) { state.withLock { $0.theme = theme } }
    public func resized() { state.withLock { $0.previous = nil } }
    public func close() { state.withLock { $0.closed = true } }
}
