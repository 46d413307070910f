import Foundation
import FreightTestSupport
import Testing
@testable import FreightTUI

@Suite("TUI key map", .budget(minutes: 1))
struct KeyMapTests {
    static let readme = Paths.root + "/README.md"
    static let begin = "<!-- keys: generated from KeyMap.bindings; FREIGHTLINER_RECORD_GOLDEN=1 swift test rewrites it -->\n"
    static let end = "<!-- /keys -->"

    @Test("the keys the contract names do what it says")
    func contract() {
        let expected: [Key: DashboardAction] = [
            .character("r"): .resume, .character("p"): .pause, .character("q"): .quit, .up: .up, .down: .down,
            .character("k"): .up, .character("j"): .down, .enter: .focus, .character("/"): .filter,
            .character("t"): .theme, .character("?"): .help,
        ]
        for (key, action) in expected { #expect(KeyMap.action(for: key) == action, "\(key)") }
    }

    @Test("no key is bound twice and every action has a key")
    func unique() {
        let keys = KeyMap.bindings.flatMap(\.keys)
        #expect(Set(keys).count == keys.count)
        #expect(Set(KeyMap.bindings.map(\.action)) == Set(DashboardAction.allCases))
    }

    @Test("the ? overlay lists every binding")
    func helpOverlay() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        _ = state.handle(.character("?"))
        for (width, height) in [(80, 24), (120, 40)] {
            let text = DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode).text
            for binding in KeyMap.bindings {
                #expect(text.contains("\(binding.label)  ") && text.contains(binding.help), "\(binding.label) missing at \(width)x\(height)")
            }
        }
    }

    @Test("the README's key table is the key map's")
    func readmeTable() throws {
        let readme = try String(contentsOfFile: Self.readme, encoding: .utf8)
        guard let start = readme.range(of: Self.begin), let stop = readme.range(of: Self.end, range: start.upperBound..<readme.endIndex) else {
            Issue.record("README.md has no key table between \(Self.begin) and \(Self.end)")
            return
        }
        let table = String(readme[start.upperBound..<stop.lowerBound])
        if GoldenFrame.recording, table != KeyMap.markdownTable {
            try readme.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: KeyMap.markdownTable)
                .write(toFile: Self.readme, atomically: true, encoding: .utf8)
            return
        }
        #expect(table == KeyMap.markdownTable, "README.md's key table is stale: FREIGHTLINER_RECORD_GOLDEN=1 swift test --filter KeyMapTests rewrites it")
    }
}
