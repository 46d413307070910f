import Foundation
import FreightTestSupport
import Testing
@testable import FreightTUI

@Suite("TUI themes", .budget(minutes: 1))
struct ThemeTests {
    static let repositoryThemes = Paths.root + "/themes"

    @Test("colours: names, 0-255, #RRGGBB and default; nothing else")
    func colours() {
        #expect(ThemeColor(parsing: "red") == .indexed(1))
        #expect(ThemeColor(parsing: "Bright-Blue") == .indexed(12))
        #expect(ThemeColor(parsing: "grey") == .indexed(8))
        #expect(ThemeColor(parsing: "0") == .indexed(0))
        #expect(ThemeColor(parsing: "255") == .indexed(255))
        #expect(ThemeColor(parsing: "#FF8000") == .rgb(255, 128, 0))
        #expect(ThemeColor(parsing: "default") == .terminalDefault)
        for bad in ["256", "-1", "#12345", "#1234567", "#GGGGGG", "purple", "", "1.5", "+3"] {
            #expect(ThemeColor(parsing: bad) == nil, "\(bad) should not be a colour")
        }
    }

    @Test("a file sets what it names; missing keys keep the built-in default")
    func parsing() {
        let (theme, warnings) = ThemeParser.parse("""
            # a comment
            text.fg = #102030   # trailing comment
              header.bg=blue

            failed.fg = 9
            """, name: "t", file: "t.theme")
        #expect(warnings.isEmpty)
        #expect(theme.colors(for: .text).foreground == .rgb(16, 32, 48))
        #expect(theme.colors(for: .text).background == Theme.builtIn.colors(for: .text).background)
        #expect(theme.colors(for: .header).background == .indexed(4))
        #expect(theme.colors(for: .header).foreground == Theme.builtIn.colors(for: .header).foreground)
        #expect(theme.colors(for: .failed).foreground == .indexed(9))
        #expect(theme.colors(for: .key) == Theme.builtIn.colors(for: .key))
    }

    @Test("unknown keys, bad colours and stray text are warned about with their line, and skipped")
    func warnings() {
        let (theme, warnings) = ThemeParser.parse("""
            text.fg = 1
            txet.fg = 2
            title.colour = 3
            dim.fg = #12345
            border.fg = 4 and more
            just words
            key.fg =
            text.fg = 5
            """, name: "bad", file: "bad.theme")
        #expect(warnings.map(\.line) == [2, 3, 4, 5, 6, 7, 8])
        #expect(warnings[0].description.hasPrefix("bad.theme:2: unknown key \"txet.fg\""))
        #expect(warnings[2].message.contains("\"#12345\" is not a colour for dim.fg"))
        #expect(warnings[3].message.contains("unexpected \"and more\""))
        #expect(warnings[6].message.contains("set again (first on line 1)"))
        #expect(theme.colors(for: .text).foreground == .indexed(5))
        #expect(theme.colors(for: .dim) == Theme.builtIn.colors(for: .dim))
        #expect(theme.colors(for: .border) == Theme.builtIn.colors(for: .border))
    }

    @Test("themes/default.theme is the built-in default")
    func defaultFileMatchesBuiltIn() throws {
        let loaded = try ThemeCatalog(directories: [Self.repositoryThemes]).load("default")
        #expect(loaded.path == Self.repositoryThemes + "/default.theme")
        #expect(loaded.warnings.isEmpty)
        for role in StyleRole.allCases {
            #expect(loaded.theme.colors(for: role) == Theme.builtIn.colors(for: role), "\(role.rawValue) differs")
        }
    }

    @Test("the shipped themes are there and load without a warning")
    func shipped() throws {
        let catalog = ThemeCatalog(directories: [Self.repositoryThemes])
        #expect(Set(["default", "light", "high-contrast", "monochrome"]).isSubset(of: Set(catalog.available())))
        #expect(catalog.available().first == "default")
        for name in catalog.available() {
            let loaded = try catalog.load(name)
            #expect(loaded.warnings.isEmpty, "\(name): \(loaded.warnings)")
        }
        let monochrome = try catalog.load("monochrome").theme
        #expect(StyleRole.allCases.allSatisfy { monochrome.colors(for: $0) == RoleColors(.terminalDefault, .terminalDefault) })
    }

    @Test("the first directory with the theme wins; unknown names list what there is")
    func searchOrder() throws {
        let first = TemporaryDirectory("themes-first"), second = TemporaryDirectory("themes-second")
        try "text.fg = 1\n".write(toFile: first.file("mine.theme"), atomically: true, encoding: .utf8)
        try "text.fg = 2\n".write(toFile: second.file("mine.theme"), atomically: true, encoding: .utf8)
        try "text.fg = 3\n".write(toFile: second.file("other.theme"), atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(directories: [first.path, second.path])
        #expect(try catalog.load("mine").theme.colors(for: .text).foreground == .indexed(1))
        #expect(try catalog.load("other").theme.colors(for: .text).foreground == .indexed(3))
        #expect(catalog.available() == ["default", "mine", "other"])
        #expect(try catalog.load("default").theme == .builtIn)
        let error = #expect(throws: ThemeError.self) { try catalog.load("nope") }
        #expect(error?.description.contains("available: default, mine, other") == true)
        #expect(throws: ThemeError.self) { try catalog.load("../etc/passwd") }
    }

    @Test("the search path: --theme-dir, XDG config, the install prefix, the source tree")
    func searchPath() {
        let catalog = ThemeCatalog(themeDirectory: "/opt/mine", environment: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/home/u"],
                                   executablePath: "/usr/local/bin/freightliner")
        #expect(catalog.directories == ["/opt/mine", "/cfg/freightliner/themes", "/usr/local/share/freightliner/themes",
                                        Self.repositoryThemes])
        let withoutXDG = ThemeCatalog(themeDirectory: nil, environment: ["HOME": "/home/u"], executablePath: nil)
        #expect(withoutXDG.directories == ["/home/u/.config/freightliner/themes", Self.repositoryThemes])
    }
}

@Suite("TUI colour tiers", .budget(minutes: 1))
struct ColorTierTests {
    @Test("the tier comes from terminfo's colour count, NO_COLOR and has_colors")
    func detection() {
        #expect(ColorTier.detect(colors: 1 << 24, hasColors: true, noColor: false) == .direct)
        #expect(ColorTier.detect(colors: 256, hasColors: true, noColor: false) == .indexed256)
        #expect(ColorTier.detect(colors: 88, hasColors: true, noColor: false) == .ansi16)
        #expect(ColorTier.detect(colors: 16, hasColors: true, noColor: false) == .ansi16)
        #expect(ColorTier.detect(colors: 8, hasColors: true, noColor: false) == .ansi8)
        #expect(ColorTier.detect(colors: 256, hasColors: true, noColor: true) == .monochrome)
        #expect(ColorTier.detect(colors: 0, hasColors: false, noColor: false) == .monochrome)
        #expect(ColorTier.noColorRequested(["NO_COLOR": "1"]))
        #expect(!ColorTier.noColorRequested(["NO_COLOR": ""]))
        #expect(!ColorTier.noColorRequested([:]))
    }

    @Test("truecolour maps to the 256 cube and grey ramp, never to the terminal-defined 0-15")
    func to256() {
        #expect(ColorTier.indexed256.number(for: .rgb(255, 0, 0)) == 196)
        #expect(ColorTier.indexed256.number(for: .rgb(0, 95, 135)) == 24)
        #expect(ColorTier.indexed256.number(for: .rgb(128, 128, 128)) == 244)
        #expect(ColorTier.indexed256.number(for: .rgb(0, 0, 0)) == 16)
        #expect(ColorTier.indexed256.number(for: .indexed(42)) == 42)
        #expect(ColorTier.indexed256.number(for: .terminalDefault) == -1)
    }

    @Test("256-colour and truecolour map to the nearest of 16 or 8")
    func to16and8() {
        #expect(ColorTier.ansi16.number(for: .indexed(196)) == 9)
        #expect(ColorTier.ansi8.number(for: .indexed(196)) == 1)
        #expect(ColorTier.ansi16.number(for: .indexed(12)) == 12)
        #expect(ColorTier.ansi8.number(for: .indexed(12)) == 4)
        #expect(ColorTier.ansi8.number(for: .rgb(240, 240, 240)) == 7)
        #expect(ColorTier.ansi8.number(for: .indexed(232)) == 0)
        #expect(ColorTier.ansi16.number(for: .rgb(0, 200, 0)) == 2)
    }

    @Test("direct colour passes RGB through; monochrome has no colours")
    func directAndMono() {
        #expect(ColorTier.direct.number(for: .rgb(0x12, 0x34, 0x56)) == 0x123456)
        #expect(ColorTier.direct.number(for: .indexed(3)) == 3)
        #expect(ColorTier.direct.number(for: .indexed(196)) == 0xFF0000)
        #expect(ColorTier.direct.number(for: .rgb(0, 0, 1)) == 8)
        #expect(ColorTier.monochrome.number(for: .indexed(1)) == nil)
    }

    @Test("every role is visible without colour")
    func monochromeAttributes() {
        for role: StyleRole in [.header, .selected, .notice, .failed, .title, .key] {
            #expect(!role.monochromeAttributes.isEmpty, "\(role.rawValue) would vanish without colour")
        }
    }
}
