import Foundation
import FreightCore

/// Short forms for cramped columns.
enum Formatting {
    /// `0:42`, `12:05`, `1:02:03`: a clock offset for the events panel.
    static func offset(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds.rounded(.down)))
        let hours = total / 3600, minutes = total / 60 % 60, secs = total % 60
        let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(secs))" : "\(minutes):\(two(secs))"
    }

    static func ago(_ date: Date?, now: Date) -> String {
        guard let date else { return "--" }
        let seconds = now.timeIntervalSince(date)
        guard seconds >= 1 else { return "now" }
        if seconds >= 86_400 { return "\(Int(seconds / 86_400))d ago" }
        return ByteFormat.duration(seconds) + " ago"
    }

    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "" }
        return "\(Int((min(1, max(0, fraction)) * 100).rounded(.down)))%"
    }

    /// A UTC timestamp; UTC so the same checkpoint reads the same on every host.
    static func utc(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date) + " UTC"
    }
}

/// `1 tag`, `3 tags`, `1 repository`.
func plural(_ count: Int, _ noun: String, _ plural: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
}
