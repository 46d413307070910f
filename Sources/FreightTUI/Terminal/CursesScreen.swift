import CCurses
import Foundation

/// Why the dashboard cannot use this terminal; the CLI then falls back to plain lines.
public struct DashboardUnavailable: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The ncurses backend: draws cells and reads keys, nothing else. Every call happens on the
/// dashboard's owner thread (`OwnerThread`), which is why this is unchecked-Sendable.
final class CursesScreen: DashboardScreen, @unchecked Sendable {
    let glyphs: Glyphs
    let tier: ColorTier
    /// The terminal type in use, and why it is not `$TERM` when it is not.
    let terminalType: String
    let fallbackNote: String?
    private let screen: OpaquePointer
    private let defaultColors: Bool
    private var styles: [StyleRole: (attributes: attr_t, pair: Int16)] = [:]
    private var previous: Frame?
    private(set) var width: Int
    private(set) var height: Int

    /// Terminal types tried when `$TERM` is unknown: vt100 addresses the cursor the same way
    /// nearly every terminal does, and promises nothing else.
    static let fallbackTypes = ["vt100"]

    static func terminalIsUsable(environment: [String: String]) -> Bool {
        guard isatty(STDOUT_FILENO) == 1, let type = environment["TERM"], !type.isEmpty, type != "dumb" else { return false }
        return fl_terminal_usable(type) != 0
    }

    /// Sets up the terminal without ever exiting the process (unlike `initscr`).
    static func open(environment: [String: String]) -> Result<CursesScreen, DashboardUnavailable> {
        guard isatty(STDOUT_FILENO) == 1 else {
            return .failure(DashboardUnavailable(description: "standard output is not a terminal"))
        }
        let requested = environment["TERM"] ?? ""
        guard !requested.isEmpty, requested != "dumb" else {
            return .failure(DashboardUnavailable(description: requested.isEmpty ? "TERM is not set" : "TERM=dumb cannot place the cursor"))
        }
        var type = requested
        var note: String?
        if fl_terminal_usable(requested) == 0 {
            guard let fallback = fallbackTypes.first(where: { fl_terminal_usable($0) != 0 }) else {
                return .failure(DashboardUnavailable(description: "TERM=\(requested) is not in the terminfo database and no fallback terminal type is"))
            }
            type = fallback
            note = "TERM=\(requested) is not in the terminfo database (or cannot place the cursor); drawing as \(fallback)"
        }
        let utf8 = fl_locale_is_utf8() != 0
        guard let screen = fl_newterm(type) else {
            return .failure(DashboardUnavailable(description: "ncurses could not set up TERM=\(type)"))
        }
        set_term(screen)
        return .success(CursesScreen(screen: screen, type: type, note: note, utf8: utf8,
                                     noColor: ColorTier.noColorRequested(environment)))
    }

    private init(screen: OpaquePointer, type: String, note: String?, utf8: Bool, noColor: Bool) {
        self.screen = screen
        terminalType = type
        fallbackNote = note
        glyphs = utf8 ? .unicode : .ascii
        cbreak()
        noecho()
        nonl()
        keypad(fl_stdscr(), true)
        intrflush(fl_stdscr(), false)
        leaveok(fl_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        var defaultColors = false
        if !noColor, has_colors() {
            start_color()
            defaultColors = use_default_colors() == fl_ok()
        }
        self.defaultColors = defaultColors
        tier = ColorTier.detect(colors: Int(fl_colors()), hasColors: has_colors(), noColor: noColor)
        width = Int(fl_cols(fl_stdscr()))
        height = Int(fl_lines(fl_stdscr()))
        apply(.builtIn)
    }

    func apply(_ theme: Theme) {
        for (index, role) in StyleRole.allCases.enumerated() {
            let colors = theme.colors(for: role)
            let pair = Int16(index + 1)
            // A role with no colours of its own is carried by attributes, as without colour.
            let colorless = colors.foreground == .terminalDefault && colors.background == .terminalDefault
            if tier != .monochrome, !colorless, var foreground = tier.number(for: colors.foreground),
               var background = tier.number(for: colors.background) {
                if !defaultColors {
                    if foreground < 0 { foreground = 7 }
                    if background < 0 { background = 0 }
                }
                init_extended_pair(Int32(pair), foreground, background)
                styles[role] = (Self.attributes(role.colorAttributes), pair)
            } else {
                styles[role] = (Self.attributes(role.monochromeAttributes), 0)
            }
        }
        repaint()
    }

    func readKeys(timeout: Int32) -> [Key] {
        wtimeout(fl_stdscr(), timeout)
        guard let first = readKey() else { return [] }
        var keys = [first]
        wtimeout(fl_stdscr(), 0)
        while keys.count < 64, let next = readKey() { keys.append(next) }
        return keys
    }

    private func readKey() -> Key? {
        var code: Int32 = 0
        let result = fl_read_key(&code)
        if result == fl_key_code_yes() {
            switch code {
            case fl_key_up(): return .up
            case fl_key_down(): return .down
            case fl_key_left(): return .left
            case fl_key_right(): return .right
            case fl_key_ppage(): return .pageUp
            case fl_key_npage(): return .pageDown
            case fl_key_home(): return .home
            case fl_key_end(): return .end
            case fl_key_enter(): return .enter
            case fl_key_backspace(): return .backspace
            case fl_key_resize():
                width = Int(fl_cols(fl_stdscr()))
                height = Int(fl_lines(fl_stdscr()))
                return .resize
            default: return readKey()
            }
        }
        guard result == fl_ok() else { return nil }
        switch code {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 8, 127: return .backspace
        default:
            guard code >= 0x20, let scalar = Unicode.Scalar(UInt32(code)) else { return readKey() }
            return .character(Character(scalar))
        }
    }

    func draw(_ frame: Frame) {
        for (x, y, cell) in frame.changes(from: previous) {
            let style = styles[cell.role] ?? (0, 0)
            _ = fl_put_cell(Int32(y), Int32(x), wchar_t(cell.scalar.value), style.attributes, style.pair)
        }
        previous = frame
        refresh()
    }

    func resized() { repaint() }

    private func repaint() {
        previous = nil
        fl_force_repaint()
    }

    func close() {
        endwin()
        delscreen(screen)
    }

    private static func attributes(_ set: Set<TextAttribute>) -> attr_t {
        var value = fl_a_normal()
        for attribute in set {
            switch attribute {
            case .bold: value |= fl_a_bold()
            case .dim: value |= fl_a_dim()
            case .reverse: value |= fl_a_reverse()
            case .underline: value |= fl_a_underline()
            }
        }
        return value
    }
}
