import Foundation
import FreightEngine
import Testing
@testable import FreightTUI
import FreightTestSupport

@Suite("TUI layout and rendering", .budget(minutes: 1))
struct RenderTests {
    static let sizes: [(Int, Int)] = [(60, 18), (61, 19), (79, 23), (80, 24), (99, 30), (100, 30), (120, 40), (160, 50), (237, 70)]

    @Test("panels stay inside the screen and never overlap", arguments: sizes)
    func layout(width: Int, height: Int) {
        let live = LiveLayout(width: width, height: height)
        let browse = BrowseLayout(width: width, height: height)
        for rects in [[live.header, live.repositories, live.tags, live.compression, live.secrets, live.events, live.keyBar],
                      [browse.header, browse.runs, browse.detail, browse.events, browse.keyBar]] {
            var covered = Set<Int>()
            for rect in rects {
                #expect(rect.x >= 0 && rect.y >= 0 && rect.maxX <= width && rect.maxY <= height, "\(rect) outside \(width)x\(height)")
                #expect(rect.width > 0 && rect.height > 0, "\(rect) is empty at \(width)x\(height)")
                for y in rect.y..<rect.maxY {
                    for x in rect.x..<rect.maxX { #expect(covered.insert(y * width + x).inserted, "overlap at \(x),\(y)") }
                }
            }
            #expect(covered.count == width * height, "some of \(width)x\(height) is not covered")
        }
        #expect(live.compression.height >= 3 && live.secrets.height >= 3 && live.tags.height >= 4)
    }

    @Test("every size renders a frame of that size with the boxes closed", arguments: sizes)
    func boxesClosed(width: Int, height: Int) {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.apply(.warning(String(repeating: "a very long warning ", count: 20)), at: SampleRun.at(42))
        let frame = DashboardRenderer.render(state, width: width, height: height, glyphs: .ascii)
        #expect(frame.width == width && frame.height == height)
        let layout = LiveLayout(width: width, height: height)
        for rect in [layout.repositories, layout.tags, layout.compression, layout.secrets, layout.events] {
            for y in rect.y + 1..<rect.maxY - 1 {
                #expect(frame[rect.x, y].scalar == "|" && frame[rect.maxX - 1, y].scalar == "|", "box \(rect) broken at row \(y)")
            }
            #expect(frame[rect.x, rect.y].scalar == "+" && frame[rect.maxX - 1, rect.maxY - 1].scalar == "+")
        }
    }

    @Test("a source that rations pulls shows what is left in the header, marked once it runs low")
    func pullsLeft() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.apply(.pullAllowance(registry: "docker.io", remaining: 76, limit: 100), at: SampleRun.at(42))
        let frame = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .ascii)
        #expect(frame.text.split(separator: "\n")[1].contains("pulls left 76/100"), "\(frame.text.prefix(300))")
        state.apply(.pullAllowance(registry: "docker.io", remaining: 3, limit: 100), at: SampleRun.at(43))
        #expect(state.run.pullsLeft?.isLow == true)
        #expect(DashboardRenderer.render(state, width: 120, height: 40, glyphs: .ascii).text.contains("pulls left 3/100"))
    }

    @Test("referrers carried with a tag are counted on its row, copied or found current")
    func referrersPerTag() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        var signed = TagStats()
        signed.referrersCopied = 2
        signed.referrersSkipped = 1
        state.apply(.tagStarted(repository: "team/api", tag: "3.0.0"), at: SampleRun.at(42))
        state.apply(.tagFinished(repository: "team/api", tag: "3.0.0", outcome: .skipped(digest: SampleRun.digest("m9")), stats: signed),
                    at: SampleRun.at(42))
        state.view.selectedRepository = "team/api"
        let rows = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .ascii).text.split(separator: "\n")
        let row = rows.first { $0.contains("3.0.0") }
        #expect(row?.contains("up to date, 3 referrers") == true, "\(row ?? "no row")")
        #expect(rows.first { $0.contains("2.0.0") }?.contains("referrer") == false, "no count where none came along")
    }

    @Test("below the minimum, a too-small screen names both sizes")
    func tooSmall() {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        for (width, height) in [(59, 24), (80, 17), (20, 5)] {
            let text = DashboardRenderer.render(state, width: width, height: height, glyphs: .ascii).text
            #expect(text.contains("too small"))
            #expect(text.contains("need 60x18") || width < 12)
        }
        #expect(!DashboardRenderer.render(state, width: 60, height: 18, glyphs: .ascii).text.contains("too small"))
        let tiny = DashboardRenderer.render(state, width: 1, height: 1, glyphs: .unicode)
        #expect(tiny.width == 1)
    }

    @Test("ASCII frames hold only ASCII, whatever the names")
    func asciiOnly() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.apply(.tagStarted(repository: "équipe/café", tag: "版本"), at: SampleRun.at(42))
        state.view.selectedRepository = "équipe/café"
        let frame = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .ascii)
        #expect(frame.cells.allSatisfy { $0.scalar.isASCII })
        #expect(frame.text.contains("?quipe/caf?"))
        let unicode = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .unicode)
        #expect(unicode.text.contains("équipe/café"))
        #expect(unicode.text.contains("??"), "wide CJK characters become ? so columns stay aligned")
    }

    @Test("roles: failures in the failed role, the selected row highlighted")
    func roles() {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        let frame = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .unicode)
        let lines = frame.lines
        let failedRow = lines.firstIndex { $0.contains("team/api") && $0.contains("failed") }!
        let column = Array(lines[failedRow].unicodeScalars).firstIndex(of: "f")!
        #expect(frame[column, failedRow].role == .failed)
        let selectedRow = lines.firstIndex { $0.contains("▶ team/web") }!
        #expect(frame[5, selectedRow].role == .selected)
    }

    @Test("bars fill in eighths with Unicode and whole cells in ASCII")
    func bars() {
        var canvas = Canvas(width: 10, height: 2, glyphs: .unicode)
        canvas.bar(0.5625, x: 0, y: 0, width: 10)
        #expect(canvas.frame.lines[0] == "█████▋░░░░")
        var ascii = Canvas(width: 10, height: 1, glyphs: .ascii)
        ascii.bar(0.55, x: 0, y: 0, width: 10)
        #expect(ascii.frame.lines[0] == "#####.....")
        ascii.bar(2, x: 0, y: 0, width: 10)
        #expect(ascii.frame.lines[0] == "##########")
        ascii.bar(.nan, x: 0, y: 0, width: 10)
        #expect(ascii.frame.lines[0] == "..........")
    }

    @Test("long lists page so the selection stays on screen")
    func paging() {
        #expect(visibleWindow(count: 100, rows: 10, selected: 0) == 0..<10)
        #expect(visibleWindow(count: 100, rows: 10, selected: 15) == 10..<20)
        #expect(visibleWindow(count: 100, rows: 10, selected: 99) == 90..<100)
        #expect(visibleWindow(count: 95, rows: 10, selected: 94) == 85..<95)
        #expect(visibleWindow(count: 5, rows: 10, selected: 4) == 0..<5)

        var state = SampleRun.state([(0, .runStarted(SampleRun.info)),
                                     (0, .planned((0..<300).map { PlannedRepository(name: "repo-\($0)", tags: ["1"]) }))])
        _ = state.handle(.end)
        let text = DashboardRenderer.render(state, width: 80, height: 24, glyphs: .unicode).text
        #expect(text.contains("▶ repo-299"))
        #expect(text.contains("of 300"))
    }

    @Test("text is cut with an ellipsis, paths in the middle")
    func fitting() {
        #expect(TextFit.truncate("abcdef", 4, ellipsis: "…") == "abc…")
        #expect(TextFit.truncate("abc", 4, ellipsis: "…") == "abc")
        #expect(TextFit.truncateMiddle("registry.example.com/team", 11, ellipsis: "~") == "regis~/team")
        // Locations keep their port: the path's middle goes first, then the host name's.
        let long = TextFit.location("registry.example.com:5000/team/platform/web", 26, ellipsis: "~")
        #expect(long.contains(":5000/") && long.hasSuffix("web") && long.hasPrefix("regis") && TextFit.width(long) == 26, "\(long)")
        #expect(TextFit.truncateMiddle("registry.example.com:5000/team/platform/web", 26, ellipsis: "~").contains(":5000") == false,
                "cut in the middle as a whole, the port would go")
        let tight = TextFit.location("registry.very-long-internal-name.example.com:5000/team/app", 24, ellipsis: "~")
        #expect(tight.contains(":5000/") && TextFit.width(tight) <= 24 && tight.hasPrefix("regis"), "\(tight)")
        #expect(TextFit.location("127.0.0.1:5000/team", 30, ellipsis: "~") == "127.0.0.1:5000/team")
        #expect(TextFit.location("oci:/very/long/layout/directory/path", 12, ellipsis: "~").count == 12)
        #expect(TextFit.wrap("one two three four", 9) == ["one two", "three", "four"])
        #expect(TextFit.wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"])
    }

    @Test("only changed cells are written again")
    func diffing() {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        let first = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .unicode)
        #expect(first.changes(from: nil).count == 120 * 40)
        #expect(first.changes(from: first).isEmpty)
        var later = state
        later.tick(at: SampleRun.at(43))
        let second = DashboardRenderer.render(later, width: 120, height: 40, glyphs: .unicode)
        let changed = second.changes(from: first)
        #expect(!changed.isEmpty && changed.count < 60, "a clock tick rewrote \(changed.count) cells: \(Set(changed.map(\.y)).sorted().map { second.lines[$0] })")
        #expect(second.changes(from: Frame(width: 80, height: 24)).count == 120 * 40)
    }
}
