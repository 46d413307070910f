import Foundation
import FreightCore
import FreightEngine
import Testing
@testable import FreightTUI
import FreightTestSupport

@Suite("TUI reducer", .budget(minutes: 1))
struct ReducerTests {
    @Test("the plan lists every repository and tag; tags done earlier count as done")
    func plan() {
        var state = DashboardState(now: SampleRun.start)
        state.apply(.runStarted(SampleRun.info), at: SampleRun.at(0))
        state.apply(.planned([
            PlannedRepository(name: "a", tags: ["1", "2"], alreadyDone: ["1": .copied(bytes: 100, digest: SampleRun.digest("1"))]),
            PlannedRepository(name: "b", tags: ["x"], alreadyDone: ["x": .skipped(digest: SampleRun.digest("x"))]),
        ]), at: SampleRun.at(1))
        #expect(state.run.tagsTotal == 3)
        #expect(state.run.tagsDone == 2)
        let a = state.run.repository(named: "a")!
        #expect(a.tag(named: "1")?.earlier == true)
        #expect(a.tag(named: "2")?.status == .queued)
        #expect(a.bytes == 100)
        #expect(state.run.repository(named: "b")?.status == .completed)
        #expect(state.run.repositoriesDone == 1)
    }

    @Test("a tag goes queued, copying with bytes, copied; counts follow")
    func tagLifecycle() {
        var state = SampleRun.state([(0, .runStarted(SampleRun.info)), (0, .planned(SampleRun.repositories))])
        state.apply(.tagStarted(repository: "team/web", tag: "1.0"), at: SampleRun.at(1))
        #expect(state.run.repository(named: "team/web")?.copying == 1)
        #expect(state.run.repository(named: "team/web")?.status == .running)
        state.apply(.tagProgress(repository: "team/web", tag: "1.0", bytesDone: 400, bytesTotal: 1000, bytesSent: 400), at: SampleRun.at(2))
        let copying = state.run.repository(named: "team/web")!.tag(named: "1.0")!
        #expect(copying.status == .copying)
        #expect(copying.bytesDone == 400)
        #expect(copying.fraction == 0.4)
        #expect(state.run.transferredBytes == 400)
        state.apply(.tagProgress(repository: "team/web", tag: "1.0", bytesDone: 1000, bytesTotal: 1000, bytesSent: 1000), at: SampleRun.at(3))
        state.apply(.tagFinished(repository: "team/web", tag: "1.0", outcome: .copied(bytes: 1000, digest: SampleRun.digest("m")),
                                 stats: SampleRun.stats(bytes: 1000, uploaded: 2)), at: SampleRun.at(3))
        let web = state.run.repository(named: "team/web")!
        #expect(web.copying == 0)
        #expect(web.copied == 1)
        #expect(web.tag(named: "1.0")?.status == .copied(bytes: 1000))
        #expect(web.bytes == 1000)
        #expect(state.run.sessionTagsFinished == 1)
    }

    @Test("mounted and present blobs count as progress but not as bytes sent")
    func mountedBytesAreNotSent() {
        var state = SampleRun.state([(0, .runStarted(SampleRun.info)), (0, .planned(SampleRun.repositories))])
        state.apply(.tagStarted(repository: "team/api", tag: "2.0.0"), at: SampleRun.at(1))
        state.apply(.blobFinished(repository: "team/api", digest: SampleRun.digest("b"), size: 5000, transfer: .mounted), at: SampleRun.at(1))
        state.apply(.tagProgress(repository: "team/api", tag: "2.0.0", bytesDone: 5000, bytesTotal: 5000, bytesSent: 0), at: SampleRun.at(1))
        #expect(state.run.transferredBytes == 0, "in flight: progress, nothing sent")
        state.apply(.tagFinished(repository: "team/api", tag: "2.0.0", outcome: .copied(bytes: 0, digest: SampleRun.digest("m")),
                                 stats: SampleRun.stats(bytes: 0, uploaded: 0, mounted: 1)), at: SampleRun.at(2))
        #expect(state.run.transferredBytes == 0)
        #expect(state.run.blobsMounted == 1)
        #expect(state.run.repository(named: "team/api")?.bytes == 0)
        #expect(state.run.repository(named: "team/api")?.tag(named: "2.0.0")?.status == .mounted)
    }

    @Test("a failed tag keeps its reason and is logged as an error")
    func failedTag() {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        let tag = state.run.repository(named: "team/api")!.tag(named: "2.1.0")!
        #expect(tag.status == .failed(reason: "manifest unknown: 2.1.0 was not found at the source (404 MANIFEST_UNKNOWN)"))
        #expect(state.run.tagsFailed == 1)
        #expect(state.log.entries.contains { $0.level == .error && $0.text.hasPrefix("team/api:2.1.0 failed: manifest unknown") })
    }

    @Test("repositories sort active first, then failed, then pending, then done")
    func activeFirst() {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        let names = state.visibleRepositories.map(\.name)
        #expect(names == ["team/web", "infra/redis", "team/api", "team/worker",
                          "infra/postgres-with-a-rather-long-repository-name", "tools/builder"])
        let finished = SampleRun.state(SampleRun.finishedRun, now: 90)
        #expect(finished.visibleRepositories.first?.name == "team/api")
        #expect(finished.visibleRepositories.last?.name == "tools/builder")
    }

    @Test("pause, continue and stop move the phase; stopping wins over pause")
    func phases() {
        var state = SampleRun.state([(0, .runStarted(SampleRun.info))])
        #expect(state.run.phase == .running)
        state.apply(.paused, at: SampleRun.at(1))
        #expect(state.run.phase == .paused)
        state.apply(.continued, at: SampleRun.at(2))
        #expect(state.run.phase == .running)
        state.apply(.stopping(reason: "received SIGINT"), at: SampleRun.at(3))
        state.apply(.paused, at: SampleRun.at(4))
        #expect(state.run.phase == .stopping(reason: "received SIGINT"))
    }

    @Test("an interrupted run puts its copying tags back in the queue")
    func interrupted() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.apply(.runFinished(RunSummary(runID: SampleRun.runID, status: .interrupted)), at: SampleRun.at(43))
        let web = state.run.repository(named: "team/web")!
        #expect(web.copying == 0)
        #expect(web.tag(named: "1.0")?.status == .queued)
        #expect(state.run.isFinished)
        // The sample run's checkpoints are not in the default directory: the hint names theirs.
        #expect(state.log.entries.last?.text.contains("resume with `freightliner resume \(SampleRun.runID) --checkpoint-dir /state/freightliner/runs`") == true,
                "\(state.log.entries.last?.text ?? "")")
        #expect(!state.view.wantsExit)
    }

    @Test("the final state stays unless quitting was asked for or --exit-on-complete")
    func finishing() {
        let summary = RunSummary(runID: SampleRun.runID, status: .completed)
        var staying = SampleRun.state([(0, .runStarted(SampleRun.info))])
        staying.apply(.runFinished(summary), at: SampleRun.at(5))
        #expect(!staying.view.wantsExit)

        var leaving = SampleRun.state([(0, .runStarted(SampleRun.info))])
        leaving.view.exitOnComplete = true
        leaving.apply(.runFinished(summary), at: SampleRun.at(5))
        #expect(leaving.view.wantsExit)
    }

    @Test("compression adds up recompressed layers and kept candidates; the summary has the last word")
    func compression() {
        let state = SampleRun.state(SampleRun.midRun, now: 42)
        #expect(state.run.compression.layers == 1)
        #expect(state.run.compression.kept == 1)
        #expect(state.run.compression.originalBytes == 64 << 20)
        #expect(state.run.compression.savedBytes == 43 << 20)
        let finished = SampleRun.state(SampleRun.finishedRun, now: 90)
        #expect(finished.run.compression.layers == 1)
        #expect(finished.run.compression.kept == 1)
    }

    @Test("a credential's later status replaces its earlier one")
    func secrets() {
        var state = SampleRun.state(SampleRun.midRun, now: 42)
        state.apply(.secretStatus(SecretStatus(provider: "aws-sm", reference: "aws-sm://prod/registry#password", state: .failed,
                                               at: SampleRun.at(43), detail: "AccessDeniedException")), at: SampleRun.at(43))
        #expect(state.run.secrets.count == 2)
        #expect(state.run.secrets[0].state == .failed)
        #expect(state.log.entries.last?.level == .error)
    }

    @Test("throughput is over the last seconds")
    func rate() {
        var meter = ThroughputMeter()
        #expect(meter.bytesPerSecond == nil)
        meter.sample(0, at: SampleRun.at(0))
        meter.sample(1000, at: SampleRun.at(1))
        #expect(meter.bytesPerSecond == 1000)
        for second in 2...20 { meter.sample(Int64(1000 + (second - 1) * 100), at: SampleRun.at(Double(second))) }
        #expect(meter.bytesPerSecond == 100)
    }

    /// A run that starts with ten tags already at the destination (skipped in two seconds), then
    /// copies twenty 8 MiB tags at a steady 8 MiB/s, one finishing each second; `at` is the
    /// state after `seconds`, sampled each second as the dashboard's clock does.
    static func steadyRun(until seconds: Int) -> DashboardState {
        let mib: Int64 = 1 << 20
        let tags = (0..<30).map { "t\($0)" }
        var state = DashboardState(mode: .live, now: SampleRun.at(0))
        state.apply(.runStarted(SampleRun.info), at: SampleRun.at(0))
        state.apply(.planned([PlannedRepository(name: "team/web", tags: tags, alreadyDone: [:])]), at: SampleRun.at(0))
        for second in 1...max(1, seconds) {
            let now = SampleRun.at(Double(second))
            if second <= 2 {
                for tag in tags[(second - 1) * 5..<second * 5] {
                    state.apply(.tagFinished(repository: "team/web", tag: tag, outcome: .skipped(digest: SampleRun.digest(tag)),
                                             stats: TagStats()), at: now)
                }
            } else if second - 3 < 20 {
                let tag = tags[10 + second - 3]
                state.apply(.tagStarted(repository: "team/web", tag: tag), at: now)
                state.apply(.tagFinished(repository: "team/web", tag: tag, outcome: .copied(bytes: 8 * mib, digest: SampleRun.digest(tag)),
                                         stats: SampleRun.stats(bytes: 8 * mib, uploaded: 1)), at: now)
            }
            state.tick(at: now)
        }
        return state
    }

    @Test("the ETA follows the recent pace: it falls a second a second in a steady run, says ≈ until it settles")
    func estimate() throws {
        // Tags finished over all the time so far put the skipped start into the pace: at 6 s,
        // 14 tags in 6 s says 16 tags take 7 s; at 14 s, 22 in 14 s says 8 take 5 s; at 18 s
        // (4 left): 3 s. The old estimate was that; the recent pace says 16 s, 8 s and 4 s.
        let early = try #require(Self.steadyRun(until: 6).run.estimatedRemaining(at: SampleRun.at(6)))
        #expect(!early.settled, "six seconds in, the estimate rests on too little")
        var previous: TimeInterval?
        for second in 18...21 {
            let state = Self.steadyRun(until: second)
            let estimate = try #require(state.run.estimatedRemaining(at: state.now))
            let left = Double(22 - second)
            #expect(estimate.settled)
            #expect(abs(estimate.seconds - left) <= 1.5, "at \(second) s, \(left) tags of 1 s each are left: \(estimate.seconds)")
            if let previous { #expect(estimate.seconds < previous, "the estimate climbed: \(previous) -> \(estimate.seconds)") }
            previous = estimate.seconds
        }
    }

    @Test("the sparkline shows the last minute: flat while steady, blank where nothing moved")
    func sparkline() {
        let steady = Self.steadyRun(until: 22)
        let cells = steady.run.throughput.lastMinute(buckets: 20, now: steady.now)
        // 3 s per cell: the last 20 s carried 8 MiB/s, the minute before the run nothing.
        #expect(cells.suffix(6).allSatisfy { abs($0 - 8 * 1_048_576) < 1 }, "\(cells)")
        #expect(cells.prefix(12).allSatisfy { $0 == 0 }, "\(cells)")
        let line = HeaderPanel.sparkline(cells, glyphs: .unicode)
        #expect(line.unicodeScalars.count == 20)
        #expect(line.hasSuffix("██████"), "\(line)")
        #expect(line.hasPrefix(String(repeating: " ", count: 12)), "\(line)")
        #expect(HeaderPanel.sparkline([0, 1, 2, 4, 8], glyphs: .ascii) == " .-=#")
    }

    @Test("the resume command names the checkpoint directory unless it is the default, quoted for a shell")
    func resumeCommand() {
        func info(_ path: String?, dryRun: Bool = false) -> RunInfo {
            RunInfo(runID: "r1", source: "a", destination: "b", startedAt: SampleRun.at(0), resumed: false, dryRun: dryRun, checkpointPath: path)
        }
        #expect(info("\(CheckpointStore.defaultDirectory())/r1").resumeCommand == "freightliner resume r1")
        #expect(info("/srv/runs/r1").resumeCommand == "freightliner resume r1 --checkpoint-dir /srv/runs")
        #expect(info("/srv/my runs/it's/r1").resumeCommand == "freightliner resume r1 --checkpoint-dir '/srv/my runs/it'\\''s'")
        #expect(info(nil).resumeCommand == nil)
        #expect(info("/srv/runs/r1", dryRun: true).resumeCommand == nil)
    }

    @Test("a layer shared by several tags counts once in the compression totals")
    func sharedLayerCountsOnce() {
        var state = SampleRun.state([(0, .runStarted(SampleRun.info))])
        for second in 0..<3 {
            state.apply(.layerCompressed(repository: "team/web", SampleRun.layer(4 << 20, compressedTo: 1 << 20)), at: SampleRun.at(Double(second)))
            state.apply(.layerCompressed(repository: "team/web", SampleRun.layer(1 << 20, compressedTo: nil)), at: SampleRun.at(Double(second)))
        }
        #expect(state.run.compression.layers == 1)
        #expect(state.run.compression.kept == 1)
        #expect(state.run.compression.originalBytes == 4 << 20 && state.run.compression.compressedBytes == 1 << 20)
    }

    @Test("reduce leaves the state it was given alone")
    func reduceIsPure() {
        let before = SampleRun.state([(0, .runStarted(SampleRun.info))])
        let after = DashboardState.reduce(before, .planned(SampleRun.repositories), at: SampleRun.at(1))
        #expect(before.run.repositories.isEmpty)
        #expect(after.run.repositories.count == SampleRun.repositories.count)
    }

    @Test("events for repositories the plan did not name are still shown")
    func unplanned() {
        var state = SampleRun.state([(0, .runStarted(SampleRun.info))])
        state.apply(.tagStarted(repository: "surprise", tag: "1"), at: SampleRun.at(1))
        #expect(state.run.repository(named: "surprise")?.copying == 1)
    }
}
