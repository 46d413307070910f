import FreightTestSupport
import FreightTUI
import PropertyBased
import Testing

/// Properties of the theme-file parser over generated and mutated files: a file written from a
/// theme reads back as that theme with no warning, any text yields a complete theme (every role
/// coloured), and each warning names the file and a line that exists.
@Suite("theme files (properties)", .budget(minutes: 5))
struct ThemePropertyTests {
    static func color(_ random: inout any SeededRandomNumberGenerator) -> (ThemeColor, String) {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            return (.terminalDefault, ["default", "DEFAULT", "none"].randomElement(using: &random)!)
        case 1:
            let (name, index) = ThemeColor.names.randomElement(using: &random)!
            return (.indexed(index), Bool.random(using: &random) ? name : name.uppercased())
        case 2:
            let index = UInt8.random(in: 0...255, using: &random)
            return (.indexed(index), "\(index)")
        default:
            let (r, g, b) = (UInt8.random(in: 0...255, using: &random), UInt8.random(in: 0...255, using: &random),
                             UInt8.random(in: 0...255, using: &random))
            let hex = [r, g, b].map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: Bool.random(using: &random)) }.joined()
            return (.rgb(r, g, b), "#" + hex)
        }
    }

    /// A theme and a file that says it: every key once, in any order, with comments and spacing.
    static let files = Generator<([StyleRole: RoleColors], String), Shrink.None<([StyleRole: RoleColors], String)>>(run: { random in
        var colors: [StyleRole: RoleColors] = [:]
        var lines: [String] = ["# generated"]
        for role in StyleRole.allCases.shuffled(using: &random) {
            let (foreground, fgText) = color(&random)
            let (background, bgText) = color(&random)
            colors[role] = RoleColors(foreground, background)
            let space = [" ", "", "\t", "  "].randomElement(using: &random)!
            let comment = Bool.random(using: &random) ? "  # note" : ""
            lines.append("\(role.rawValue).fg\(space)=\(space)\(fgText)\(comment)")
            lines.append("\(space)\(role.rawValue).BG = \(bgText)")
            if Int.random(in: 0..<4, using: &random) == 0 { lines.append("") }
        }
        return (colors, lines.joined(separator: Bool.random(using: &random) ? "\n" : "\r\n"))
    })

    @Test("a file written from a theme reads back as that theme, without a warning")
    func roundTrip() async {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: PropertyRuns.count, input: Self.files) { colors, text in
            counter.tick()
            let (theme, warnings) = ThemeParser.parse(text, name: "generated", file: "g.theme")
            #expect(warnings.isEmpty, "\(warnings)")
            for role in StyleRole.allCases {
                #expect(theme.colors(for: role) == colors[role], "\(role)")
            }
        }
        PropertyRuns.report("theme.round_trip", counter)
    }

    @Test("any text gives a complete theme, and every warning names the file and a real line")
    func mutatedFiles() async {
        let counter = PropertyRuns.Counter()
        let mutator = Mutator(dictionary: ["=", "#", "\n", ".fg", ".bg", " ", "default", "#ffffff", "256", "-1", "\r", "\t",
                                           "text.fg", "selected.bg", "\u{1B}[2J", "é"])
        let inputs = Generator<String, Shrink.None<String>>(run: { random in
            mutator.mutate(Self.files.run(using: &random).1, using: &random)
        })
        await propertyCheck(count: PropertyRuns.count, input: inputs) { text in
            counter.tick()
            let (theme, warnings) = ThemeParser.parse(text, name: "mutated", file: "m.theme")
            #expect(StyleRole.allCases.allSatisfy { theme.colors[$0] != nil }, "a role has no colour")
            let lineCount = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
            for warning in warnings {
                #expect(warning.file == "m.theme")
                #expect((1...lineCount).contains(warning.line), "\(warning)")
            }
        }
        PropertyRuns.report("theme.mutated", counter)
    }

    @Test("a theme file with CRLF line endings is read like any other")
    func crlfFile() {
        let text = "# written on Windows\r\ntext.fg = red\r\ntitle.bg = #102030\r\n"
        let (theme, warnings) = ThemeParser.parse(text, name: "crlf", file: "crlf.theme")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(theme.colors(for: .text).foreground == .indexed(1))
        #expect(theme.colors(for: .title).background == .rgb(0x10, 0x20, 0x30))
    }
}
