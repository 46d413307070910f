import Foundation
import Testing
@testable import FreightTUI
import FreightTestSupport

@Suite("TUI golden frames", .budget(minutes: 1))
struct GoldenFrameTests {
    static let sizes = [(80, 24), (120, 40)]

    @Test("a run in progress", arguments: sizes)
    func midRun(width: Int, height: Int) throws {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        try GoldenFrame.check(DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode), "mid-run-\(width)x\(height)")
    }

    @Test("a run in progress in ASCII", arguments: sizes)
    func midRunASCII(width: Int, height: Int) throws {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        try GoldenFrame.check(DashboardRenderer.render(state, width: width, height: height, glyphs: .ascii), "mid-run-ascii-\(width)x\(height)")
    }

    @Test("the tags pane focused on a failed tag", arguments: sizes)
    func failedTagFocused(width: Int, height: Int) throws {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.view.selectedRepository = "team/api"
        _ = state.handle(.enter)
        try GoldenFrame.check(DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode), "failed-tag-\(width)x\(height)")
    }

    @Test("the final state of a finished run", arguments: sizes)
    func finished(width: Int, height: Int) throws {
        let state = SampleRun.state(SampleRun.finishedRun, now: 90)
        try GoldenFrame.check(DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode), "finished-\(width)x\(height)")
    }

    @Test("the help overlay", arguments: sizes)
    func help(width: Int, height: Int) throws {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        _ = state.handle(.character("?"))
        try GoldenFrame.check(DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode), "help-\(width)x\(height)")
    }

    @Test("saved runs in `freightliner dashboard`", arguments: sizes)
    func savedRuns(width: Int, height: Int) throws {
        var state = DashboardState(mode: .browse, now: SampleRun.start)
        state.savedRunsDirectory = "/state/freightliner/runs"
        state.canResume = true
        state.updateSavedRuns(SampleRun.savedRuns)
        try GoldenFrame.check(DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode), "saved-runs-\(width)x\(height)")
    }

    @Test("a terminal too small")
    func tooSmall() throws {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        try GoldenFrame.check(DashboardRenderer.render(state, width: 50, height: 12, glyphs: .unicode), "too-small-50x12")
    }
}
