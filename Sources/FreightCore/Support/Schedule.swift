import Foundation

/// When `serve` starts its cycles: `--every DURATION` after the start of the last one, or at
/// the moments a five-field cron expression (`--cron 'M H DOM MON DOW'`) names.
public enum Schedule: Sendable, Equatable {
    case every(TimeInterval)
    case cron(CronExpression)

    /// The next cycle's start, for a cycle that started at `lastStart` (nil: none yet) and a
    /// clock at `now`; never before `now`.
    public func next(after lastStart: Date?, now: Date) -> Date {
        switch self {
        case .every(let interval):
            guard let lastStart else { return now }
            return max(now, lastStart.addingTimeInterval(interval))
        case .cron(let expression):
            return expression.next(after: now)
        }
    }

    public var description: String {
        switch self {
        case .every(let interval): return "every \(Schedule.format(interval))"
        case .cron(let expression): return "at '\(expression.text)'"
        }
    }

    /// `90`, `30s`, `15m`, `2h`, `1d`, `1h30m`.
    public static func duration(_ text: String) throws -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let seconds = Double(text), seconds > 0 { return seconds }
        var total = 0.0, digits = ""
        for character in text.lowercased() {
            if character.isNumber {
                digits.append(character)
            } else if let unit = units[character], let value = Double(digits) {
                total += value * unit
                digits = ""
            } else {
                throw ScheduleError(reason: "\"\(text)\" is not a duration: use 30s, 15m, 2h, 1d or 1h30m")
            }
        }
        guard digits.isEmpty, total > 0 else { throw ScheduleError(reason: "\"\(text)\" is not a duration: use 30s, 15m, 2h, 1d or 1h30m") }
        return total
    }

    public static func format(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded())
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

public struct ScheduleError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// A classic five-field cron expression, in the machine's local time: minute (0-59), hour
/// (0-23), day of month (1-31), month (1-12), day of week (0-7, 0 and 7 Sunday). Each field is
/// `*`, a number, a range `a-b`, a list `a,b`, with an optional step `/n`. As in cron, when both
/// day fields are restricted, a day matching either runs.
public struct CronExpression: Sendable, Equatable {
    public let text: String
    public let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    public let daysRestricted: Bool, weekdaysRestricted: Bool
    public var calendar = Calendar.current

    public init(_ text: String) throws {
        self.text = text
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw ScheduleError(reason: "\"\(text)\" is not a cron expression: it needs five fields, minute hour day-of-month month day-of-week")
        }
        let names = ["minute", "hour", "day of month", "month", "day of week"]
        let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
        var sets: [Set<Int>] = []
        for (index, field) in fields.enumerated() {
            sets.append(try Self.parse(field, range: ranges[index], name: names[index], expression: text))
        }
        minutes = sets[0]
        hours = sets[1]
        days = sets[2]
        months = sets[3]
        weekdays = Set(sets[4].map { $0 == 7 ? 0 : $0 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    public static func == (a: CronExpression, b: CronExpression) -> Bool { a.text == b.text }

    private static func parse(_ field: String, range: ClosedRange<Int>, name: String, expression: String) throws -> Set<Int> {
        func bad() -> ScheduleError {
            ScheduleError(reason: "\"\(expression)\": the \(name) field \"\(field)\" is not *, N, N-M or a list of them, with /STEP, within \(range.lowerBound)-\(range.upperBound)")
        }
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw bad() }
            var step = 1
            if pieces.count == 2 {
                guard let number = Int(pieces[1]), number > 0 else { throw bad() }
                step = number
            }
            var low: Int, high: Int
            if pieces[0] == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let a = Int(pieces[0][..<dash]), let b = Int(pieces[0][pieces[0].index(after: dash)...]), a <= b else { throw bad() }
                (low, high) = (a, b)
            } else {
                guard let a = Int(pieces[0]) else { throw bad() }
                (low, high) = (a, pieces.count == 2 ? range.upperBound : a)
            }
            guard range.contains(low), range.contains(high) else { throw bad() }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    /// The first whole minute after `date` that matches.
    public func next(after date: Date) -> Date {
        var candidate = Date(timeIntervalSince1970: (floor(date.timeIntervalSince1970 / 60) + 1) * 60)
        // Minute by minute, skipping whole hours and days that cannot match: at most a few
        // thousand steps for any expression within a year (four for Feb 29 once a leap year).
        for _ in 0..<600_000 {
            let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: candidate)
            guard let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month,
                  let weekday = parts.weekday.map({ $0 - 1 }) else { break }
            let dayMatches: Bool
            if daysRestricted && weekdaysRestricted {
                dayMatches = days.contains(day) || weekdays.contains(weekday)
            } else {
                dayMatches = days.contains(day) && weekdays.contains(weekday)
            }
            if !months.contains(month) || !dayMatches {
                let startOfDay = calendar.startOfDay(for: candidate)
                candidate = calendar.date(byAdding: .day, value: 1, to: startOfDay) ?? candidate.addingTimeInterval(86_400)
                continue
            }
            if !hours.contains(hour) {
                let startOfHour = calendar.date(bySettingHour: hour, minute: 0, second: 0, of: candidate) ?? candidate
                candidate = startOfHour.addingTimeInterval(3600)
                continue
            }
            if minutes.contains(minute) { return candidate }
            candidate = candidate.addingTimeInterval(60)
        }
        return candidate
    }
}
