import Foundation

/// One line of the recent events panel (and of the dashboard's log file).
public struct LogEntry: Sendable, Equatable {
    public enum Level: String, Sendable { case info, success, warning, error }

    /// Increases by one per entry, so a writer can tell which entries it has not written yet.
    public let sequence: Int
    public let at: Date
    public let level: Level
    public let text: String
}

/// The most recent notable events, oldest first; older ones fall off the front.
public struct EventLog: Sendable, Equatable {
    public let capacity: Int
    public private(set) var entries: [LogEntry] = []
    public private(set) var nextSequence = 0

    public init(capacity: Int = 200) { self.capacity = capacity }

    public mutating func append(_ level: LogEntry.Level, _ text: String, at date: Date) {
        entries.append(LogEntry(sequence: nextSequence, at: date, level: level, text: text))
        nextSequence += 1
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    public func entries(after sequence: Int) -> [LogEntry] { entries.filter { $0.sequence > sequence } }
}
