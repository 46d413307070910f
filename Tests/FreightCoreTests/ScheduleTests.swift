import Foundation
import FreightCore
import FreightTestSupport
import PropertyBased
import Testing

/// `serve`'s schedules: durations, and cron expressions checked against a second, independent
/// matcher (integer civil-date arithmetic in UTC, minute by minute) over generated expressions.
@Suite("schedules", .budget(minutes: 2))
struct ScheduleTests {
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    static func cron(_ text: String) throws -> CronExpression {
        var expression = try CronExpression(text)
        expression.calendar = utc
        return expression
    }

    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    @Test("durations as users write them, and what is not one named", arguments: [
        ("90", 90.0), ("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86_400), ("1h30m", 5400), ("2H", 7200),
    ])
    func durations(text: String, seconds: Double) throws {
        #expect(try Schedule.duration(text) == seconds)
        #expect(try Schedule.duration(Schedule.format(seconds)) == seconds)
    }

    @Test("not durations", arguments: ["soon", "0", "-5", "5x", "m", "", "1.5.2h"])
    func notDurations(text: String) {
        #expect(throws: ScheduleError.self) { try Schedule.duration(text) }
        do { _ = try Schedule.duration(text) } catch { #expect("\(error)".contains("\"\(text)\"")) }
    }

    @Test("--every counts from the start of the last cycle; a late cycle starts the next at once, not twice")
    func every() {
        let now = Self.date("2026-12-01T10:00:00Z")
        let schedule = Schedule.every(900)
        #expect(schedule.next(after: nil, now: now) == now)
        #expect(schedule.next(after: now.addingTimeInterval(-60), now: now) == now.addingTimeInterval(840))
        #expect(schedule.next(after: now.addingTimeInterval(-3600), now: now) == now)
    }

    @Test("cron expressions users write", arguments: [
        ("*/15 * * * *", "2026-12-01T10:07:30Z", "2026-12-01T10:15:00Z"),
        ("30 2 * * *", "2026-12-01T03:00:00Z", "2026-12-02T02:30:00Z"),
        ("30 2 * * *", "2026-12-01T02:29:59Z", "2026-12-01T02:30:00Z"),
        ("0 0 * * 0", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"),
        ("0 0 * * 7", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"),
        ("0 9 13 * 5", "2026-12-01T00:00:00Z", "2026-12-04T09:00:00Z"),
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("5,35 8-17/3 * 1-6 1-5", "2026-06-30T17:36:00Z", "2027-01-01T08:05:00Z"),
        ("5,35 8-17/3 * 1-6 1-5", "2026-06-30T14:06:00Z", "2026-06-30T14:35:00Z"),
    ])
    func examples(expression: String, from: String, next: String) throws {
        #expect(try Self.cron(expression).next(after: Self.date(from)) == Self.date(next))
    }

    @Test("not cron expressions, each named with the field at fault", arguments: [
        ("* * * *", "five fields"), ("60 * * * *", "minute field \"60\""), ("* 24 * * *", "hour field"),
        ("* * 0 * *", "day of month field"), ("* * * 13 *", "month field"), ("* * * * 8", "day of week field"),
        ("*/0 * * * *", "minute field \"*/0\""), ("5-1 * * * *", "minute field \"5-1\""), ("a * * * *", "minute field \"a\""),
    ])
    func notCron(expression: String, says: String) {
        do {
            _ = try CronExpression(expression)
            Issue.record("\(expression) was accepted")
        } catch {
            #expect("\(error)".contains(says), "\(error)")
        }
    }

    /// Minute, hour, day, month and weekday of a Unix minute, in UTC, by civil-date arithmetic.
    static func civil(minute: Int) -> (minute: Int, hour: Int, day: Int, month: Int, weekday: Int) {
        let days = minute / 1440
        // Howard Hinnant's days-to-civil, for days since 1970-01-01.
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (minute % 60, minute / 60 % 24, day, month, (days + 4) % 7)
    }

    static func fieldText(_ range: ClosedRange<Int>, _ random: inout any SeededRandomNumberGenerator) -> String {
        var parts: [String] = []
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            let low = Int.random(in: range, using: &random), high = Int.random(in: low...range.upperBound, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: parts.append("*")
            case 1: parts.append("\(low)")
            case 2: parts.append("\(low)-\(high)")
            case 3: parts.append("*/\(Int.random(in: 1...7, using: &random))")
            case 4: parts.append("\(low)-\(high)/\(Int.random(in: 1...4, using: &random))")
            default: parts.append("\(low)/\(Int.random(in: 1...9, using: &random))")
            }
        }
        return parts.contains("*") ? "*" : parts.joined(separator: ",")
    }

    struct Case: Sendable, CustomStringConvertible {
        let expression: String
        let start: Int
        var description: String { "\(expression) after minute \(start)" }
    }

    static let cases = Generator<Case, Shrink.None<Case>>(run: { random in
        // Days of month up to 28 mostly, so a match is never years away and the scan stays short.
        let days: ClosedRange<Int> = Int.random(in: 0..<10, using: &random) == 0 ? 1...31 : 1...28
        let text = [fieldText(0...59, &random), fieldText(0...23, &random), fieldText(days, &random), fieldText(1...12, &random),
                    fieldText(0...7, &random)].joined(separator: " ")
        // 2026 to 2030, at any second.
        let start = Int.random(in: 29_440_000...31_540_000, using: &random)
        return Case(expression: text, start: start)
    })

    @Test("next(after:) is the first matching minute after the start, as a minute-by-minute scan finds it")
    func againstScan() async {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: min(PropertyRuns.count, 300), input: Self.cases) { item in
            counter.tick()
            let expression = try Self.cron(item.expression)
            let fields = item.expression.split(separator: " ")
            var expected: Int?
            for minute in (item.start + 1)...(item.start + 3 * 527_040) {
                let at = Self.civil(minute: minute)
                let dayOK = expression.days.contains(at.day), weekdayOK = expression.weekdays.contains(at.weekday)
                let dayMatches = fields[2] != "*" && fields[4] != "*" ? (dayOK || weekdayOK) : (dayOK && weekdayOK)
                if expression.minutes.contains(at.minute), expression.hours.contains(at.hour), expression.months.contains(at.month), dayMatches {
                    expected = minute
                    break
                }
            }
            let start = Date(timeIntervalSince1970: Double(item.start * 60) + 17)
            let found = Int(expression.next(after: start).timeIntervalSince1970) / 60
            if let expected { #expect(found == expected, "\(item)") }
        }
        PropertyRuns.report("cron.next", counter)
    }
}
