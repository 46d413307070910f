import Foundation
import FreightEngine
import Testing
@testable import FreightTUI
import FreightTestSupport

@Suite("TUI keys and commands", .budget(minutes: 1))
struct InputTests {
    @Test("j and k move through the repositories as shown, Enter focuses the tags, Esc goes back")
    func navigation() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        #expect(state.currentRepository?.name == "team/web")
        _ = state.handle(.character("j"))
        #expect(state.currentRepository?.name == "infra/redis")
        _ = state.handle(.down)
        _ = state.handle(.character("k"))
        #expect(state.currentRepository?.name == "infra/redis")
        _ = state.handle(.end)
        #expect(state.currentRepository?.name == "tools/builder")
        _ = state.handle(.character("g"))
        #expect(state.currentRepository?.name == "team/web")
        _ = state.handle(.enter)
        #expect(state.view.focus == .tags)
        #expect(state.currentTag?.name == "1.0")
        _ = state.handle(.character("j"))
        #expect(state.currentTag?.name == "1.2")
        #expect(state.currentRepository?.name == "team/web")
        _ = state.handle(.escape)
        #expect(state.view.focus == .repositories)
    }

    @Test("q stops the run and asks to leave once it stopped; q again abandons transfers")
    func quitWhileRunning() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        let first = state.handle(.character("q"))
        #expect(first.count == 1)
        guard case .stop? = first.first else {
            Issue.record("q did not stop the run: \(first)")
            return
        }
        #expect(state.view.quitRequested)
        #expect(!state.view.wantsExit)
        #expect(state.handle(.character("q")) == [.abandon])
        state.apply(.runFinished(RunSummary(runID: SampleRun.runID, status: .interrupted)), at: SampleRun.at(44))
        #expect(state.view.wantsExit)
    }

    @Test("q after the run finished leaves at once")
    func quitWhenFinished() {
        var state = SampleRun.state(SampleRun.finishedRun, now: 90)
        #expect(state.handle(.character("q")).isEmpty)
        #expect(state.view.wantsExit)
    }

    @Test("p pauses and continues; r only resumes saved runs, and says p continues a paused one")
    func pause() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        #expect(state.handle(.character("p")) == [.pause])
        state.apply(.paused, at: SampleRun.at(43))
        #expect(state.handle(.character("p")) == [.proceed])
        #expect(state.handle(.character("r")).isEmpty)
        #expect(state.view.notice?.contains("p continues") == true)
    }

    @Test("r after a run ended with failures resumes it, when resuming is wired")
    func resumeFinished() {
        var state = SampleRun.state(SampleRun.finishedRun, now: 90)
        #expect(state.handle(.character("r")).isEmpty)
        #expect(state.view.notice == "resume it with `freightliner resume \(SampleRun.runID) --checkpoint-dir /state/freightliner/runs`")
        state.canResume = true
        #expect(state.handle(.character("r")) == [.resume(runID: SampleRun.runID)])

        var copy = SampleRun.state([(0, .runStarted(RunInfo(runID: "c", source: "a", destination: "b", startedAt: SampleRun.start,
                                                            resumed: false, dryRun: false, checkpointPath: nil))),
                                    (1, .runFinished(RunSummary(runID: "c", status: .failed)))])
        copy.canResume = true
        #expect(copy.handle(.character("r")).isEmpty)
        #expect(copy.view.notice == "this run saved no checkpoint to resume from")
    }

    @Test("/ filters repositories as you type; Backspace, Enter keeps, Esc clears")
    func filter() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        _ = state.handle(.character("/"))
        for character in "infra" { _ = state.handle(.character(character)) }
        #expect(state.visibleRepositories.map(\.name) == ["infra/redis", "infra/postgres-with-a-rather-long-repository-name"])
        #expect(state.handle(.character("q")).isEmpty, "q is text while filtering")
        _ = state.handle(.backspace)
        _ = state.handle(.enter)
        #expect(!state.view.editingFilter)
        #expect(state.view.filter == "infra")
        _ = state.handle(.character("j"))
        #expect(state.currentRepository?.name == "infra/postgres-with-a-rather-long-repository-name")
        _ = state.handle(.escape)
        #expect(state.view.filter.isEmpty)
        #expect(state.visibleRepositories.count == 6)
    }

    @Test("t cycles through the themes")
    func themes() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.view.themes = ["default", "light", "monochrome"]
        _ = state.handle(.character("t"))
        #expect(state.view.themeName == "light")
        _ = state.handle(.character("t"))
        _ = state.handle(.character("t"))
        #expect(state.view.themeName == "default")
    }

    @Test("with help open, only closing it does anything")
    func helpCapturesKeys() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        _ = state.handle(.character("?"))
        #expect(state.view.showHelp)
        #expect(state.handle(.character("p")).isEmpty)
        #expect(state.handle(.character("j")).isEmpty)
        #expect(state.currentRepository?.name == "team/web")
        _ = state.handle(.character("q"))
        #expect(!state.view.showHelp)
        #expect(!state.view.quitRequested)
    }

    @Test("a signal stops like q, a second abandons, after the end it leaves")
    func signals() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        #expect(state.interrupt(signal: "SIGINT") == [.stop(reason: "received SIGINT; again to abandon transfers in flight")])
        #expect(state.interrupt(signal: "SIGINT") == [.abandon])
        var finished = SampleRun.state(SampleRun.finishedRun, now: 90)
        #expect(finished.interrupt(signal: "SIGTERM").isEmpty)
        #expect(finished.view.wantsExit)
    }

    @Test("in the run list, r resumes a resumable run and explains the others")
    func browse() {
        var state = DashboardState(mode: .browse, now: SampleRun.start)
        state.updateSavedRuns(SampleRun.savedRuns)
        #expect(state.handle(.character("r")).isEmpty)
        #expect(state.view.notice?.contains("freightliner resume") == true)
        state.canResume = true
        #expect(state.handle(.character("r")) == [.resume(runID: "20250615-150640-0a1b2c3d")])
        _ = state.handle(.character("j"))
        #expect(state.handle(.character("r")).isEmpty)
        #expect(state.view.notice?.contains("nothing left to do") == true)
        _ = state.handle(.character("j"))
        #expect(state.handle(.character("r")).isEmpty)
        #expect(state.view.notice?.contains("cannot be read") == true)
        _ = state.handle(.character("q"))
        #expect(state.view.wantsExit)
    }

    @Test("a resume that starts shows the run from scratch; one that fails says why")
    func resumeOutcome() {
        var state = DashboardState(mode: .browse, now: SampleRun.start)
        state.updateSavedRuns(SampleRun.savedRuns)
        state.resumeFailed(runID: "x", message: "is in use by another freightliner process")
        #expect(state.mode == .browse)
        #expect(state.log.entries.last?.level == .error)
        state.resumeStarted(runID: SampleRun.runID)
        #expect(state.mode == .live)
        #expect(state.run.info == nil)
        state.apply(.runStarted(SampleRun.info), at: SampleRun.at(1))
        #expect(state.run.phase == .running)
    }
}
