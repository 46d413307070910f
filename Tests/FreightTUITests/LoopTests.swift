import Foundation
import FreightCore
import FreightEngine
import FreightTestSupport
import Testing
@testable import FreightTUI

/// Records what the dashboard asked of the run: the steering side of the boundary, in memory.
final class RecordingSteering: RunSteering {
    let calls = Locked<[String]>([])
    func pause() { calls.withLock { $0.append("pause") } }
    func proceed() { calls.withLock { $0.append("proceed") } }
    func stop(reason: String) { calls.withLock { $0.append("stop") } }
    func abandon() { calls.withLock { $0.append("abandon") } }
}

/// A clock that moves only when told, shared between the test and the loop's thread.
final class TestClock: Sendable {
    private let now = Locked(SampleRun.start)
    func read() -> Date { now.withLock { $0 = $0.addingTimeInterval(0.001); return $0 } }
}

@Suite("TUI loop", .budget(minutes: 6))
struct LoopTests {
    /// A deadline for waits only a failing test reaches. In the full suite a wait of milliseconds
    /// took 55 s (measured on main, 2 cores): the loop's event pump needs a pool thread, and
    /// other suites' processes hold them. Below the suite's time limit, so a wait that fails says
    /// what it waited for.
    static let patience: Double = 300

    static func liveRun(_ events: [ReplicationEvent], steering: RecordingSteering) -> LiveRun {
        let (stream, continuation) = AsyncStream.makeStream(of: ReplicationEvent.self)
        for event in events { continuation.yield(event) }
        continuation.finish()
        return LiveRun(events: stream, steering: steering, finished: { .interrupted })
    }

    static func run(_ loop: DashboardLoop, on screen: TextScreen, clock: TestClock = TestClock()) async {
        let owner = OwnerThread(name: "test-dashboard")
        await owner.run { loop.run(on: screen, clock: clock.read) }
        owner.stop()
    }

    /// The loop on its own thread while the test presses keys; `stop()` waits for it to end.
    /// Without a clock it runs on real time.
    struct Running {
        let owner: OwnerThread
        let done: Task<Void, Never>

        init(_ loop: DashboardLoop, on screen: TextScreen, clock: TestClock? = TestClock()) {
            let owner = OwnerThread(name: "test-dashboard")
            self.owner = owner
            done = Task {
                await owner.run {
                    if let clock { loop.run(on: screen, clock: clock.read) } else { loop.run(on: screen) }
                }
            }
        }

        func stop() async {
            await done.value
            owner.stop()
        }
    }

    @Test("q stops a running run through its steering, and the loop ends when the run has")
    func quit() async throws {
        let steering = RecordingSteering()
        let (events, run) = AsyncStream.makeStream(of: ReplicationEvent.self)
        for event in SampleRun.midRun.map(\.1) { run.yield(event) }
        let live = LiveRun(events: events, steering: steering, finished: { .interrupted })
        let screen = TextScreen(width: 80, height: 24)
        let loop = DashboardLoop(state: DashboardState(now: SampleRun.start), inbox: Inbox(), catalog: ThemeCatalog(directories: []),
                                 live: live, browser: nil, log: nil)
        let running = Running(loop, on: screen)
        try await suspendUntil(timeout: Self.patience, "the run to be running") { loop.snapshot.run.phase == .running }
        screen.feed([.character("q")])
        try await suspendUntil(timeout: Self.patience, "q to reach the steering") { steering.calls.value == ["stop"] }
        #expect(!loop.snapshot.view.wantsExit, "the loop waits for the stopping run to end")
        run.yield(.stopping(reason: "quit"))
        run.yield(.runFinished(RunSummary(runID: SampleRun.runID, status: .interrupted)))
        run.finish()
        await running.stop()
        #expect(steering.calls.value == ["stop"])
        #expect(loop.state.run.summary?.status == .interrupted)
        #expect(screen.frames.last?.text.contains("INTERRUPTED") == true)
    }

    @Test("p pauses a running run through its steering")
    func pauseRunning() async throws {
        let steering = RecordingSteering()
        let live = Self.liveRun(SampleRun.midRun.map(\.1), steering: steering)
        let screen = TextScreen(width: 120, height: 40)
        let loop = DashboardLoop(state: DashboardState(now: SampleRun.start), inbox: Inbox(), catalog: ThemeCatalog(directories: []),
                                 live: live, browser: nil, log: nil)
        let running = Running(loop, on: screen)
        try await suspendUntil(timeout: Self.patience, "the run to be running") { loop.snapshot.run.phase == .running }
        screen.feed([.character("p")])
        try await suspendUntil(timeout: Self.patience, "p to reach the steering") { steering.calls.value == ["pause"] }
        screen.feed([.character("q")])
        await running.stop()
        #expect(steering.calls.value == ["pause"], "q once the run's events have ended leaves, stopping nothing")
    }

    @Test("p on a finished run steers nothing and says so; the final state stays until q")
    func pauseAndStay() async throws {
        let steering = RecordingSteering()
        let live = Self.liveRun(SampleRun.finishedRun.map(\.1), steering: steering)
        let screen = TextScreen(width: 120, height: 40)
        let loop = DashboardLoop(state: DashboardState(now: SampleRun.start), inbox: Inbox(), catalog: ThemeCatalog(directories: []),
                                 live: live, browser: nil, log: nil)
        let running = Running(loop, on: screen)
        // Every event applied and the stream ended: from here only a key can end the loop.
        try await suspendUntil(timeout: Self.patience, "the run to finish and its events to end") {
            let run = loop.snapshot.run
            return run.isFinished && run.streamEnded
        }
        #expect(!loop.snapshot.view.wantsExit, "the dashboard left a finished run without q")
        screen.feed([.character("p")])
        try await suspendUntil(timeout: Self.patience, "p's answer") { loop.snapshot.view.notice != nil || !steering.calls.value.isEmpty }
        #expect(loop.snapshot.view.notice == "the run has finished")
        #expect(!loop.snapshot.view.wantsExit)
        screen.feed([.character("q")])
        await running.stop()
        #expect(steering.calls.value.isEmpty, "p on a finished run does nothing")
        #expect(loop.state.run.summary?.status == .failed)
        #expect(screen.frames.last?.text.contains("FAILED") == true)
    }

    @Test("frames are drawn at most ten a second of the loop's clock, whatever the event rate")
    func throttled() async {
        let events = (0..<2000).map { index in
            ReplicationEvent.tagProgress(repository: "team/web", tag: "1.0", bytesDone: Int64(index) * 1000, bytesTotal: 2_000_000,
                                         bytesSent: Int64(index) * 1000)
        }
        let steering = RecordingSteering()
        var state = DashboardState(now: SampleRun.start)
        state.view.exitOnComplete = true
        let live = Self.liveRun([.runStarted(SampleRun.info), .planned(SampleRun.repositories)] + events
                                + [.runFinished(RunSummary(runID: SampleRun.runID, status: .completed))], steering: steering)
        let screen = TextScreen(width: 80, height: 24)
        let loop = DashboardLoop(state: state, inbox: Inbox(), catalog: ThemeCatalog(directories: []), live: live, browser: nil, log: nil)
        let clock = TestClock()
        await Self.run(loop, on: screen, clock: clock)
        let elapsed = clock.read().timeIntervalSince(SampleRun.start)
        #expect(screen.frames.count <= Int(elapsed * 10) + 2, "\(screen.frames.count) frames in \(elapsed) s")
        #expect(screen.frames.last?.text.contains("COMPLETED") == true)
    }

    @Test("a resize redraws the whole screen at the new size")
    func resize() async {
        var state = DashboardState(now: SampleRun.start)
        state.view.exitOnComplete = true
        let screen = TextScreen(width: 80, height: 24)
        screen.resize(width: 100, height: 30)
        let live = Self.liveRun(SampleRun.finishedRun.map(\.1), steering: RecordingSteering())
        let loop = DashboardLoop(state: state, inbox: Inbox(), catalog: ThemeCatalog(directories: []), live: live, browser: nil, log: nil)
        await Self.run(loop, on: screen)
        #expect(screen.frames.last?.width == 100 && screen.frames.last?.height == 30)
        #expect(loop.state.view.pageSize == DashboardRenderer.pageSize(width: 100, height: 30))
    }

    @Test("r in the run list resumes through the browser and shows that run")
    func browseAndResume() async throws {
        let steering = RecordingSteering()
        let resumed = Locked<[String]>([])
        let browser = RunBrowser(directory: "/runs", list: { SampleRun.savedRuns }, resume: { id in
            resumed.withLock { $0.append(id) }
            return Self.liveRun(SampleRun.finishedRun.map(\.1), steering: steering)
        })
        var state = DashboardState(mode: .browse, now: SampleRun.start)
        state.canResume = true
        state.updateSavedRuns(browser.list())
        let screen = TextScreen(width: 120, height: 40, keys: [.character("r")])
        let loop = DashboardLoop(state: state, inbox: Inbox(), catalog: ThemeCatalog(directories: []), live: nil, browser: browser, log: nil)
        let running = Running(loop, on: screen, clock: nil)
        try await suspendUntil(timeout: Self.patience, "the resumed run to finish") {
            let state = loop.snapshot
            return state.mode == .live && state.run.isFinished && state.run.streamEnded
        }
        screen.feed([.character("q")])
        await running.stop()
        #expect(resumed.value == ["20250615-150640-0a1b2c3d"])
        #expect(loop.state.mode == .live)
        #expect(loop.live != nil)
        #expect(screen.frames.last?.text.contains("team/api") == true)
    }

    @Test("every event reaches the log writer, once")
    func logWriter() async {
        let lines = Locked<[String]>([])
        var state = DashboardState(now: SampleRun.start)
        state.view.exitOnComplete = true
        let live = Self.liveRun(SampleRun.finishedRun.map(\.1), steering: RecordingSteering())
        let loop = DashboardLoop(state: state, inbox: Inbox(), catalog: ThemeCatalog(directories: []), live: live, browser: nil,
                                 log: { line in lines.withLock { $0.append(line) } })
        await Self.run(loop, on: TextScreen(width: 80, height: 24))
        #expect(lines.value.count == loop.state.log.entries.count)
        #expect(lines.value.contains { $0.contains(" error team/api:2.1.0 failed: manifest unknown") })
    }

    @Test("t loads the next theme onto the screen; a broken theme is reported, not fatal")
    func themeSwitch() async throws {
        let directory = TemporaryDirectory("themes")
        try "text.fg = 1\nbogus.fg = 2\n".write(toFile: directory.file("odd.theme"), atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(directories: [directory.path])
        var state = DashboardState(now: SampleRun.start)
        state.view.themes = catalog.available()
        state.view.exitOnComplete = true
        let screen = TextScreen(width: 80, height: 24, keys: [.character("t")])
        let live = Self.liveRun(SampleRun.finishedRun.map(\.1), steering: RecordingSteering())
        let loop = DashboardLoop(state: state, inbox: Inbox(), catalog: catalog, live: live, browser: nil, log: nil)
        await Self.run(loop, on: screen)
        #expect(screen.theme?.name == "odd")
        #expect(screen.theme?.colors(for: .text).foreground == .indexed(1))
        #expect(loop.state.log.entries.contains { $0.text.contains("odd.theme:2: unknown key \"bogus.fg\"") })
    }
}
