import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// The checkpoint directory fills up or cannot be written: the run stops scheduling new work
    /// and exits with a clear error instead of going on without a checkpoint, and what is on disk
    /// always reads back whole.
    @Suite("disk trouble", .budget(minutes: 6))
    struct DiskTroubleTests {
        @Test("the checkpoint disk fills up mid-run: no new work, exit 2 naming the file, nothing torn on disk, resumable once freed",
              .enabled(if: Tmpfs.isAvailable, "needs root to mount a small tmpfs"))
        func diskFillsUp() throws {
            let setup = try SyncCommandTests.Setup(blobDelayMilliseconds: 40)
            let disk = try Tmpfs(size: "1m")
            let runs = disk.file("runs")
            let output = setup.state.file("run.out")
            let process = try CLI.start(["sync", setup.proxy.host, "\(setup.destination.host)/mirror", "--ui", "json", "--jobs", "1",
                                         "--run-id", "full-disk", "--checkpoint-dir", runs], output: output)
            try waitUntil("three finished tags") { contents(of: output).components(separatedBy: "\"tag_finished\"").count > 3 }
            try disk.fill()
            process.waitUntilExit()
            let text = contents(of: output)
            #expect(process.terminationStatus == 2, "\(text)")
            #expect(text.contains("the checkpoint could not be written, so the run stopped"), "\(text)")
            #expect(text.contains("No space left on device"), "\(text)")
            #expect(text.contains("\(runs)/full-disk"), "the message names the checkpoint: \(text)")
            let summary = try #require(CLI.summary(text))
            #expect(summary.string("status") == "interrupted")
            #expect(summary.string("checkpoint_error")?.contains("No space left on device") == true)

            // Nothing was started once the run knew it could not record it.
            let lines = CLI.jsonLines(text)
            let stop = try #require(lines.firstIndex { $0.string("event") == "stopping" }, "a stopping event: \(text)")
            let startedAfter = lines[stop...].filter { $0.string("event") == "tag_started" }
            #expect(startedAfter.isEmpty, "tags started after the stop: \(startedAfter)")
            let announced = lines.filter { $0.string("event") == "tag_finished" }.count
            #expect(announced < SyncCorpus.tagCount)

            // On disk: no temp file, and the journal holds whole lines only (a write that ran out
            // of room half way was cut back).
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(runs)/full-disk")
            #expect(!files.contains { $0.hasSuffix(".tmp") }, "\(files)")
            let journal = try Data(contentsOf: URL(fileURLWithPath: "\(runs)/full-disk/journal"))
            #expect(journal.isEmpty || journal.last == 0x0A, "the journal ends in a torn line: \(journal.count) bytes")

            try disk.drain()
            let show = try CLI.run(["checkpoints", "show", "full-disk", "--checkpoint-dir", runs])
            #expect(show.status == 0, "\(show.output)")
            let resumed = try CLI.run(["resume", "full-disk", "--ui", "json", "--checkpoint-dir", runs])
            #expect(resumed.status == 0, "\(resumed.output)")
            let planned = try #require(CLI.jsonLines(resumed.stdout).first { $0.string("event") == "planned" })
            let done = (planned["repositories"] as? [[String: Any]] ?? []).reduce(0) { $0 + (($1["done"] as? Int) ?? 0) }
            #expect(done >= announced, "every tag announced as finished was on disk")
            let final = try #require(CLI.summary(resumed.stdout))
            #expect(final.string("status") == "completed")
            for reference in SyncCorpus.references {
                #expect(try setup.mirrored(reference) == (try setup.digest(reference)), "\(reference)")
            }
            Figures.record("disk.full.tags_announced_before_full", announced)
            Figures.record("disk.full.tags_done_on_resume", done)
        }

        @Test("a read-only checkpoint directory: the run does not start, and says which directory",
              .enabled(if: Tmpfs.isAvailable, "needs root to mount a read-only tmpfs"))
        func readOnlyDirectory() throws {
            let setup = try SyncCommandTests.Setup()
            let disk = try Tmpfs(size: "64k", readOnly: true)
            let result = try CLI.run(["sync", setup.proxy.host, "\(setup.destination.host)/mirror", "--ui", "json",
                                      "--run-id", "ro", "--checkpoint-dir", disk.file("runs")])
            #expect(result.status == 2, "\(result.output)")
            let text = result.stderr.lowercased()
            #expect(result.stderr.contains(disk.file("runs")) && (text.contains("read only") || text.contains("read-only file system")),
                    "\(result.stderr)")
            try expectUntouched(setup)
        }

        @Test("a checkpoint directory below a regular file: the run does not start, and says which directory")
        func notADirectory() throws {
            let setup = try SyncCommandTests.Setup()
            let blocker = setup.state.file("blocker")
            try Data("not a directory".utf8).write(to: URL(fileURLWithPath: blocker))
            let result = try CLI.run(["sync", setup.proxy.host, "\(setup.destination.host)/mirror", "--ui", "json",
                                      "--run-id", "blocked", "--checkpoint-dir", "\(blocker)/runs"])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains("\(blocker)/runs"), "\(result.stderr)")
            try expectUntouched(setup)
        }

        /// Nothing was copied: a run without a checkpoint never starts.
        private func expectUntouched(_ setup: SyncCommandTests.Setup) throws {
            let catalog = try Shell.check(["curl", "-s", "http://\(setup.destination.host)/v2/_catalog"]).stdout
            #expect(catalog.contains(#""repositories":[]"#), "\(catalog)")
        }
    }
}
