/// Something in a theme file that was ignored, and where.
public struct ThemeWarning: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// Reads theme files: one `key = colour` per line, `#` starts a comment line (or a comment
/// after the colour). Keys are `ROLE.fg` and `ROLE.bg`; colours are a name, `default`,
/// 0-255 or `#RRGGBB`. Unknown keys and bad colours are warned about and skipped; keys left out
/// keep the built-in default.
public enum ThemeParser {
    public static var knownKeys: [String] {
        StyleRole.allCases.flatMap { ["\($0.rawValue).fg", "\($0.rawValue).bg"] }
    }

    public static func parse(_ text: String, name: String, file: String) -> (Theme, [ThemeWarning]) {
        var theme = Theme(name: name, colors: [:])
        var warnings: [ThemeWarning] = []
        var seen: [String: Int] = [:]
        // Any line break: "\r\n" is one Character in Swift, so splitting on "\n" alone left a
        // CRLF file as a single line (one comment, if it opened with one: every colour ignored).
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            let line = rawLine.trimmingCharacters(in: " \t\r")
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            func warn(_ message: String) { warnings.append(ThemeWarning(file: file, line: number, message: message)) }
            guard let equals = line.firstIndex(of: "=") else {
                warn("\"\(line)\" is not `key = colour`")
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: " \t").lowercased()
            let words = line[line.index(after: equals)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let role = StyleRole(rawValue: parts[0]), parts[1] == "fg" || parts[1] == "bg" else {
                warn("unknown key \"\(key)\"; keys are ROLE.fg or ROLE.bg, ROLE one of: "
                     + StyleRole.allCases.map(\.rawValue).joined(separator: ", "))
                continue
            }
            guard let value = words.first else {
                warn("\(key) has no colour")
                continue
            }
            if words.count > 1, !words[1].hasPrefix("#") {
                warn("unexpected \"\(words.dropFirst().joined(separator: " "))\" after the colour of \(key)")
                continue
            }
            guard let color = ThemeColor(parsing: value) else {
                warn("\"\(value)\" is not a colour for \(key): use a name (red, bright-blue, gray, ...), default, 0-255 or #RRGGBB")
                continue
            }
            if let earlier = seen[key] { warn("\(key) is set again (first on line \(earlier)); this value wins") }
            seen[key] = number
            var colors = theme.colors[role] ?? Theme.builtIn.colors(for: role)
            if parts[1] == "fg" { colors.foreground = color } else { colors.background = color }
            theme.colors[role] = colors
        }
        for role in StyleRole.allCases where theme.colors[role] == nil {
            theme.colors[role] = Theme.builtIn.colors(for: role)
        }
        return (theme, warnings)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
