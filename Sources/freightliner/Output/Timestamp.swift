import Foundation

/// The times on plain lines and JSON events: RFC 3339 in UTC (`2026-12-01T10:00:00Z`, with
/// milliseconds for JSON), written with `strftime` rather than a formatter per line.
enum Timestamp {
    static func string(_ date: Date = Date(), milliseconds: Bool = false) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let base = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard milliseconds else { return base + "Z" }
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000) % 1000
        return base + "." + String(format: "%03d", millis) + "Z"
    }
}
