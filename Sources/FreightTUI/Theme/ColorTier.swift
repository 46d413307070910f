/// How many colours the terminal can show, from terminfo; theme colours are mapped down to it.
public enum ColorTier: String, Sendable, Equatable, CaseIterable {
    /// 24-bit: terminfo's direct-colour entries (`COLORS` of 2^24, e.g. `xterm-direct`).
    case direct
    case indexed256 = "256"
    case ansi16 = "16"
    case ansi8 = "8"
    /// No colour: `NO_COLOR`, or a terminal without colours. Roles use attributes alone.
    case monochrome

    public static func detect(colors: Int, hasColors: Bool, noColor: Bool) -> ColorTier {
        guard !noColor, hasColors else { return .monochrome }
        if colors >= 1 << 24 { return .direct }
        if colors >= 256 { return .indexed256 }
        if colors >= 16 { return .ansi16 }
        if colors >= 8 { return .ansi8 }
        return .monochrome
    }

    /// `NO_COLOR` set to anything but the empty string turns colour off (no-color.org).
    public static func noColorRequested(_ environment: [String: String]) -> Bool {
        if let value = environment["NO_COLOR"], !value.isEmpty { return true }
        return false
    }

    /// The curses colour number for `color`, or -1 for the terminal's default; nil when this
    /// tier shows no colour.
    public func number(for color: ThemeColor) -> Int32? {
        switch self {
        case .monochrome:
            return nil
        case .direct:
            switch color {
            case .terminalDefault: return -1
            case .indexed(let index) where index < 8: return Int32(index)
            case .indexed(let index): return Self.packed(Palette.rgb(of: index))
            case .rgb(let r, let g, let b): return Self.packed((r, g, b))
            }
        case .indexed256:
            switch color {
            case .terminalDefault: return -1
            case .indexed(let index): return Int32(index)
            case .rgb(let r, let g, let b): return Int32(Palette.nearest256(r, g, b))
            }
        case .ansi16, .ansi8:
            let limit = self == .ansi16 ? 16 : 8
            switch color {
            case .terminalDefault: return -1
            case .indexed(let index) where Int(index) < limit: return Int32(index)
            case .indexed(let index): return Int32(Palette.nearest(Palette.rgb(of: index), among: limit))
            case .rgb(let r, let g, let b): return Int32(Palette.nearest((r, g, b), among: limit))
            }
        }
    }

    /// Direct-colour terminfo reads values below 8 as the ANSI colours; a near-black RGB value
    /// is nudged up so it stays RGB.
    private static func packed(_ rgb: (UInt8, UInt8, UInt8)) -> Int32 {
        max(8, Int32(rgb.0) << 16 | Int32(rgb.1) << 8 | Int32(rgb.2))
    }
}

/// xterm's default palette, for mapping colours between tiers.
enum Palette {
    static let ansi: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    static func rgb(of index: UInt8) -> (UInt8, UInt8, UInt8) {
        switch index {
        case 0..<16: return ansi[Int(index)]
        case 16..<232:
            let cube = Int(index) - 16
            return (UInt8(cubeLevels[cube / 36]), UInt8(cubeLevels[cube / 6 % 6]), UInt8(cubeLevels[cube % 6]))
        default:
            let grey = UInt8(8 + 10 * (Int(index) - 232))
            return (grey, grey, grey)
        }
    }

    /// The nearest of the 6x6x6 cube and the grey ramp (16-255); never 0-15, whose actual
    /// colours vary from terminal to terminal.
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        func level(_ value: UInt8) -> Int {
            cubeLevels.indices.min { abs(cubeLevels[$0] - Int(value)) < abs(cubeLevels[$1] - Int(value)) }!
        }
        let cube = 16 + 36 * level(r) + 6 * level(g) + level(b)
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyStep = min(23, max(0, (average - 3) / 10))
        let grey = 232 + greyStep
        return distance(rgb(of: UInt8(cube)), (r, g, b)) <= distance(rgb(of: UInt8(grey)), (r, g, b)) ? UInt8(cube) : UInt8(grey)
    }

    static func nearest(_ color: (UInt8, UInt8, UInt8), among count: Int) -> UInt8 {
        UInt8((0..<count).min { distance(ansi[$0], color) < distance(ansi[$1], color) }!)
    }

    static func distance(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Int {
        // Weighted towards green, where the eye is most sensitive.
        let dr = Int(a.0) - Int(b.0), dg = Int(a.1) - Int(b.1), db = Int(a.2) - Int(b.2)
        return 3 * dr * dr + 4 * dg * dg + 2 * db * db
    }
}
