import Foundation
import FreightCore
import FreightEngine
import Testing
@testable import FreightTUI
import FreightTestSupport

/// The numbers a frame shows add up, checked against the events they come from (not against
/// the golden frames, which were recorded from the same code).
@Suite("frame totals", .budget(minutes: 1))
struct FrameTotalsTests {
    /// Bytes each repository's tags uploaded, as the events' tag stats say.
    static func tagBytes(_ events: [(Double, ReplicationEvent)]) -> [String: Int64] {
        var bytes: [String: Int64] = [:]
        for (_, event) in events {
            if case .tagFinished(let repository, _, _, let stats) = event { bytes[repository, default: 0] += stats.bytes }
        }
        return bytes
    }

    @Test("finished: a repository's bytes are the sum of its tags', the header's the sum of the repositories'", arguments: [(80, 24), (120, 40)])
    func finished(width: Int, height: Int) throws {
        let events = SampleRun.finishedRun
        let state = SampleRun.state(events, now: 90)
        let expected = Self.tagBytes(events)
        for repository in state.run.repositories {
            #expect(repository.bytes == expected[repository.name, default: 0], "\(repository.name)")
        }
        let total = expected.values.reduce(0, +)
        #expect(state.run.repositories.reduce(0) { $0 + $1.bytes } == total)
        let summary = try #require(state.run.summary)
        #expect(summary.session.bytesTransferred == total)
        #expect(summary.tags.total == state.run.tagsTotal && summary.tags.copied + summary.tags.skipped == state.run.tagsDone)

        let lines = DashboardRenderer.render(state, width: width, height: height, glyphs: .unicode).lines
        #expect(lines[1].contains("sent \(ByteFormat.string(total))"), "\(lines[1])")
        for repository in state.run.repositories {
            let shown = String(repository.name.prefix(8))
            guard let row = lines.first(where: { $0.contains(shown) && $0.contains("%") }) else {
                Issue.record("no row for \(repository.name)")
                continue
            }
            #expect(row.contains(" \(ByteFormat.string(expected[repository.name, default: 0])) "), "\(repository.name): \(row)")
        }
    }

    @Test("resumed: the header's bytes are the rows' (earlier sessions included), with this session's share")
    func resumed() {
        let mib: Int64 = 1 << 20
        var state = DashboardState(mode: .live, now: SampleRun.at(0))
        let info = RunInfo(runID: SampleRun.runID, source: "a/team", destination: "b/team", startedAt: SampleRun.at(0), resumed: true,
                           dryRun: false, checkpointPath: "/state/runs/\(SampleRun.runID)")
        state.apply(.runStarted(info), at: SampleRun.at(0))
        state.apply(.planned([
            PlannedRepository(name: "team/web", tags: ["1.0", "1.1"], alreadyDone: ["1.0": .copied(bytes: 28 * mib, digest: SampleRun.digest("w"))]),
            PlannedRepository(name: "team/api", tags: ["2.0"], alreadyDone: ["2.0": .copied(bytes: 3 * mib, digest: SampleRun.digest("a"))]),
        ]), at: SampleRun.at(0))
        state.apply(.tagStarted(repository: "team/web", tag: "1.1"), at: SampleRun.at(1))
        state.apply(.tagFinished(repository: "team/web", tag: "1.1", outcome: .copied(bytes: 3 * mib, digest: SampleRun.digest("w1")),
                                 stats: SampleRun.stats(bytes: 3 * mib, uploaded: 1)), at: SampleRun.at(2))
        state.tick(at: SampleRun.at(2))
        #expect(state.run.runBytes == state.run.repositories.reduce(0) { $0 + $1.bytes })
        #expect(state.run.runBytes == 34 * mib)
        let lines = DashboardRenderer.render(state, width: 120, height: 40, glyphs: .unicode).lines
        #expect(lines[1].contains("sent 34 MiB (3.0 MiB now)"), "\(lines[1])")
        #expect(lines.contains { $0.contains("team/web") && $0.contains(" 31 MiB ") }, "\(lines.joined(separator: "\n"))")
    }

    @Test("mid-run: the header's bytes are the repositories' (finished tags exact, the rest in flight)")
    func midRun() {
        let events = SampleRun.midRun
        let state = SampleRun.state(events, now: 42)
        #expect(state.run.transferredBytes == state.run.repositories.reduce(0) { $0 + $1.sessionBytes })
        let web = state.run.repository(named: "team/web")!
        // 1.1 finished with 30 MiB; 1.0 is in flight at 36 MiB, of which 30 MiB blob is counted once.
        #expect(web.finishedBytes == 30 << 20)
        let api = state.run.repository(named: "team/api")!
        #expect(api.bytes == 0, "a mounted tag sends nothing: \(api.bytes)")
    }
}
