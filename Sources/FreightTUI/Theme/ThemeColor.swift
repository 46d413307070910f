/// A colour as a theme file writes it: the terminal's own, one of the 256 indexed colours
/// (names are 0-15), or 24-bit RGB.
public enum ThemeColor: Sendable, Equatable, Hashable {
    case terminalDefault
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// The names a theme file may use for colours 0-15.
    public static let names: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "bright-black": 8, "gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
        "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15,
    ]

    /// Parses `default`, a name, `0`-`255`, or `#RRGGBB`; nil for anything else.
    public init?(parsing text: String) {
        let value = text.lowercased()
        if value == "default" || value == "none" {
            self = .terminalDefault
        } else if let index = Self.names[value] {
            self = .indexed(index)
        } else if let number = Int(value), (0...255).contains(number), value.allSatisfy(\.isNumber) {
            self = .indexed(UInt8(number))
        } else if value.hasPrefix("#"), value.count == 7, let rgb = UInt32(value.dropFirst(), radix: 16) {
            self = .rgb(UInt8(rgb >> 16 & 0xFF), UInt8(rgb >> 8 & 0xFF), UInt8(rgb & 0xFF))
        } else {
            return nil
        }
    }
}

/// A role's colours.
public struct RoleColors: Sendable, Equatable {
    public var foreground: ThemeColor
    public var background: ThemeColor

    public init(_ foreground: ThemeColor, _ background: ThemeColor = .terminalDefault) {
        self.foreground = foreground
        self.background = background
    }
}
