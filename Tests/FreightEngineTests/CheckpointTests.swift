import Foundation
@testable import FreightEngine
import FreightCore
import FreightTestSupport
import Testing

@Suite("Checkpoints", .budget(minutes: 8))
struct CheckpointTests {
    func record(tags: Int = 3, id: String = "run-1") -> RunRecord {
        let settings = RunSettings(source: RegistryPrefix(registry: "a:1", prefix: ""), destination: RegistryPrefix(registry: "b:2", prefix: "m"),
                                   jobs: 4)
        return RunRecord(runID: id, createdAt: Date(timeIntervalSince1970: 1_700_000_000), source: "a:1", destination: "b:2/m",
                         settings: settings,
                         repositories: [RepositoryRecord(source: "x", destination: "m/x",
                                                         tags: (0..<tags).map { TagRecord(job: TagJob(source: "t\($0)", destination: "t\($0)")) })])
    }

    @Test("encode/decode round trip; any truncation or single-byte change is refused")
    func integrity() throws {
        let original = record()
        let bytes = try CheckpointFile.encode(original)
        #expect(try CheckpointFile.decode(bytes, path: "p") == original)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 50)) {
            #expect(throws: CheckpointError.self) { try CheckpointFile.decode(Array(bytes.prefix(cut)), path: "p") }
        }
        for position in stride(from: 0, to: bytes.count, by: 7) {
            var altered = bytes
            altered[position] ^= 0x20
            if let decoded = try? CheckpointFile.decode(altered, path: "p") {
                // A change confined to the header's whitespace-insensitive parts may still parse; never a different run.
                #expect(decoded == original, "byte \(position)")
            }
        }
    }

    @Test("a newer format version is refused with the reason")
    func newerVersion() throws {
        var bytes = try CheckpointFile.encode(record())
        let header = Array("freightliner-checkpoint \(CheckpointFile.version) ".utf8)
        #expect(Array(bytes.prefix(header.count)) == header)
        bytes[header.count - 2] = UInt8(ascii: "9")
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(bytes, path: "the-file") }
        #expect(error?.description.contains("newer freightliner") == true)
        #expect(error?.description.contains("the-file") == true)
    }

    @Test("a version 1 checkpoint (every count written, tags as objects, no header) is read and listed")
    func versionOne() throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        let payload = #"{"createdAt":"2026-01-01T00:00:00Z","destination":"b:2/m","previousDuration":3.5,"repositories":[{"destination":"m/x","source":"x","tags":[{"digest":"sha256:\#(String(repeating: "a", count: 64))","job":{"destination":"t0","source":"t0"},"state":"copied","stats":{"blobsMounted":0,"blobsSkipped":1,"blobsUploaded":2,"bytes":99,"compressedBytes":0,"compressedLayers":0,"keptLayers":0,"originalBytes":0}},{"job":{"destination":"t1","source":"t1"},"state":"pending","stats":{"blobsMounted":0,"blobsSkipped":0,"blobsUploaded":0,"bytes":0,"compressedBytes":0,"compressedLayers":0,"keptLayers":0,"originalBytes":0}}]}],"runID":"v1","sessions":1,"source":"a:1","state":"interrupted","updatedAt":"2026-01-01T00:01:00Z"}"#
        try FileManager.default.createDirectory(atPath: store.runDirectory("v1"), withIntermediateDirectories: true)
        let bytes = Array("freightliner-checkpoint 1 \(Digest.sha256(of: Array(payload.utf8))) \(payload.utf8.count)\n".utf8) + Array(payload.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: store.snapshotPath("v1")))
        let record = try store.load("v1")
        #expect(record.repositories[0].tags[0].stats.bytes == 99 && record.repositories[0].tags[0].stats.blobsSkipped == 1)
        #expect(record.repositories[0].tags[1].job == TagJob(source: "t1", destination: "t1"))
        #expect(store.list().first?.header?.done == 1 && store.list().first?.header?.hasWorkLeft == true)
    }

    @Test("tags copied to their own name are saved as the name; zero counts are left out; both read back exactly")
    func compactTags() throws {
        var tag = TagRecord(job: TagJob(source: "1.0", destination: "1.0"))
        tag.stats.bytes = 5
        tag.stats.referrersCopied = 0
        let json = String(decoding: try CheckpointFile.encode(RunRecord(runID: "c", createdAt: Date(timeIntervalSince1970: 0), source: "s",
            destination: "d", settings: nil, repositories: [RepositoryRecord(source: "x", destination: "x", tags: [
                tag, TagRecord(job: TagJob(source: "sha256:" + String(repeating: "b", count: 64), destination: nil)),
                TagRecord(job: TagJob(source: "a", destination: "b"))])])), as: UTF8.self)
        #expect(json.contains(#""job":"1.0""#) && json.contains(#""stats":{"bytes":5,"referrersCopied":0}"#), "\(json)")
        #expect(json.contains(#""job":{"destination":"b","source":"a"}"#))
        let decoded = try CheckpointFile.decode(Array(json.utf8), path: "p")
        #expect(decoded.repositories[0].tags[0] == tag)
        #expect(decoded.repositories[0].tags[1].job.destination == nil)
    }

    @Test("the writer's journal is replayed on load; a torn last line is ignored, damage before it is refused")
    func journal() async throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        let writer = try CheckpointWriter(store: store, runID: "run-1")
        let ledger = RunLedger(record: record(), writer: writer)
        try await ledger.save()
        let digest = Digest.sha256(of: [1])
        try await ledger.finish(repository: 0, tag: 0, outcome: .copied(bytes: 10, digest: digest), stats: TagStats())
        try await ledger.finish(repository: 0, tag: 2, outcome: .failed(reason: "nope"), stats: TagStats())
        await writer.close()

        let loaded = try store.load("run-1")
        #expect(loaded.repositories[0].tags.map(\.state) == [.copied, .pending, .failed])
        #expect(loaded.repositories[0].tags[2].error == "nope")

        let journalPath = directory.file("runs/run-1/journal")
        let journal = try Data(contentsOf: URL(fileURLWithPath: journalPath))
        try (journal + Data("0123456789abcdef {\"trunc".utf8)).write(to: URL(fileURLWithPath: journalPath))
        #expect(try store.load("run-1").repositories[0].tags[0].state == .copied, "a torn tail is a crash mid-append")

        var damaged = journal
        damaged[10] ^= 0x01
        try damaged.write(to: URL(fileURLWithPath: journalPath))
        let error = #expect(throws: CheckpointError.self) { try store.load("run-1") }
        #expect(error?.description.contains(journalPath) == true)
    }

    @Test("two processes cannot write one run")
    func lock() async throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        let first = try CheckpointWriter(store: store, runID: "locked")
        let error = #expect(throws: CheckpointError.self) { try CheckpointWriter(store: store, runID: "locked") }
        #expect(error?.description.contains("in use") == true)
        await first.close()
        let second = try CheckpointWriter(store: store, runID: "locked")
        await second.close()
    }

    @Test("run ids are path-safe", arguments: ["../up", "a/b", ".hidden", "", String(repeating: "x", count: 65), "sp ace"])
    func runIDs(id: String) {
        #expect(throws: CheckpointError.self) { try CheckpointStore.validate(runID: id) }
    }

    /// Bytes in a run's directory.
    func onDisk(_ store: CheckpointStore, _ runID: String) throws -> Int {
        let directory = store.runDirectory(runID)
        return try FileManager.default.contentsOfDirectory(atPath: directory).reduce(0) { total, name in
            total + ((try FileManager.default.attributesOfItem(atPath: "\(directory)/\(name)")[.size] as? Int) ?? 0)
        }
    }

    @Test("a session writes its plan once, each tag once and its end once: within twice what it leaves on disk")
    func writesStayNearTheFinalSize() async throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        let writer = try CheckpointWriter(store: store, runID: "many")
        let ledger = RunLedger(record: record(tags: 2000, id: "many"), writer: writer)
        try await ledger.save()
        for tag in 0..<2000 {
            var stats = TagStats()
            stats.bytes = 1224
            stats.blobsUploaded = 2
            try await ledger.finish(repository: 0, tag: tag, outcome: .copied(bytes: 1224, digest: Digest.sha256(of: [UInt8(tag % 256)])),
                                    stats: stats, sourceDigest: Digest.sha256(of: [UInt8(tag % 256)]),
                                    blobs: [Digest.sha256(of: [1, UInt8(tag % 256)]), Digest.sha256(of: [2, UInt8(tag % 256)])])
        }
        try await ledger.end(.completed)
        await writer.close()
        let written = writer.bytesWritten, left = try onDisk(store, "many")
        #expect(written <= 2 * left, "wrote \(written) bytes for \(left) on disk")
        let loaded = try store.load("many")
        #expect(loaded.progress.done == 2000 && loaded.state == .completed)
        #expect(loaded.previousDuration > 0, "the end line carries the session's duration")
        let header = try #require(store.currentHeader("many"), "the header describes the files on disk")
        #expect(header.done == 2000 && header.state == .completed && !header.hasWorkLeft)
    }

    @Test("a re-sync that finds every tag current journals a short line per tag, within twice what it leaves, each durable")
    func plainSkipsAreShortLines() async throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        func skipAll(_ id: String, end: Bool) async throws -> CheckpointWriter {
            let writer = try CheckpointWriter(store: store, runID: id)
            let ledger = RunLedger(record: record(tags: 2000, id: id), writer: writer)
            try await ledger.save()
            for tag in 0..<2000 {
                let digest = Digest.sha256(of: [UInt8(tag % 256), UInt8(tag / 256)])
                try await ledger.finish(repository: 0, tag: tag, outcome: .skipped(digest: digest), stats: TagStats(), sourceDigest: digest)
            }
            if end { try await ledger.end(.completed) }
            await writer.close()
            return writer
        }
        let writer = try await skipAll("noop", end: true)
        let written = writer.bytesWritten, left = try onDisk(store, "noop")
        #expect(written <= 2 * left, "wrote \(written) bytes for \(left) on disk")
        #expect(left < 2000 * 250, "\(left) bytes for 2000 tags found current")
        let loaded = try store.load("noop")
        #expect(loaded.state == .completed && loaded.progress.done == 2000)
        #expect(loaded.repositories[0].tags[7].digest == Digest.sha256(of: [7, 0]) && loaded.repositories[0].tags[7].isPlainSkip)

        // A crash before the end (no end line): every skip announced was already on disk.
        _ = try await skipAll("crashed", end: false)
        #expect(try store.load("crashed").progress.done == 2000)
    }

    @Test("a plain skip is saved as NAME@DIGEST and read back exactly; a skip that carried referrers keeps every field")
    func plainSkipEncoding() throws {
        let digest = Digest.sha256(of: [9])
        var plain = TagRecord(job: TagJob(source: "1.0", destination: "1.0"))
        plain.state = .skipped
        plain.digest = digest
        plain.sourceDigest = digest
        var carried = plain
        carried.stats.referrersCopied = 2
        var run = record(tags: 0)
        run.repositories[0].tags = [plain, carried]
        let bytes = try CheckpointFile.encode(run)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""tags":["1.0@\#(digest)",{"#))
        #expect(try CheckpointFile.decode(bytes, path: "p") == run)
    }

    @Test("listing reads headers that describe the files on disk, and reads the run whole when one does not")
    func listingUsesHeaders() async throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        for id in ["old", "new"] {
            let writer = try CheckpointWriter(store: store, runID: id)
            let ledger = RunLedger(record: record(tags: 3, id: id), writer: writer)
            try await ledger.save()
            try await ledger.finish(repository: 0, tag: 0, outcome: .copied(bytes: 1, digest: Digest.sha256(of: [0])), stats: TagStats())
            try await ledger.end(.interrupted)
            await writer.close()
        }
        let listed = store.list()
        #expect(listed.map(\.runID) == ["new", "old"] || listed.map(\.runID) == ["old", "new"])
        #expect(listed.allSatisfy { $0.header?.done == 1 && $0.header?.total == 3 && $0.header?.state == .interrupted && $0.header?.hasWorkLeft == true })

        // Damage written inside the checkpoint, in place: its modification time says so, the run
        // is read whole, and the listing names the problem.
        let checkpoint = FileHandle(forUpdatingAtPath: store.snapshotPath("old"))!
        try checkpoint.seek(toOffset: 80)
        try checkpoint.write(contentsOf: Data("XXXX".utf8))
        try checkpoint.close()
        let old = try #require(store.list().first { $0.runID == "old" })
        #expect(old.header == nil && old.problem?.contains(store.snapshotPath("old")) == true, "\(old.problem ?? "")")

        // A journal grown past what the header counts (another writer, or a lost header write) on
        // a run that is not running: the header is not trusted, the run is read whole.
        let line = try CheckpointFile.encodeJournal(.init(repository: 0, tag: 1, record: {
            var tag = TagRecord(job: TagJob(source: "t1", destination: "t1"))
            tag.state = .skipped
            tag.digest = Digest.sha256(of: [1])
            return tag
        }()))
        let journal = FileHandle(forWritingAtPath: store.journalPath("new"))!
        try journal.seekToEnd()
        try journal.write(contentsOf: Data(line))
        try journal.close()
        #expect(store.list().first { $0.runID == "new" }?.header?.done == 2)

        // A replaced checkpoint (another inode) with a header left behind: read whole.
        try FileManager.default.removeItem(atPath: store.snapshotPath("old"))
        try Data(CheckpointFile.encode(record(tags: 5, id: "old"))).write(to: URL(fileURLWithPath: store.snapshotPath("old")))
        try Data().write(to: URL(fileURLWithPath: store.journalPath("old")))
        #expect(store.list().first { $0.runID == "old" }?.header?.total == 5)
    }

    @Test("the summary is derived from tag records: totals across sessions, session counts separately")
    func summary() async throws {
        var start = record(tags: 4)
        start.repositories[0].tags[0].state = .copied
        start.repositories[0].tags[0].digest = Digest.sha256(of: [0])
        start.repositories[0].tags[0].stats.bytes = 100
        start.repositories[0].tags[0].stats.blobsUploaded = 2
        let ledger = RunLedger(record: start, writer: nil)
        var stats = TagStats()
        stats.bytes = 50
        stats.blobsMounted = 1
        try await ledger.finish(repository: 0, tag: 1, outcome: .copied(bytes: 50, digest: Digest.sha256(of: [1])), stats: stats)
        try await ledger.finish(repository: 0, tag: 2, outcome: .failed(reason: "gone"), stats: TagStats())
        let summary = ledger.summary(status: .interrupted)
        #expect(summary.tags.total == 4 && summary.tags.copied == 2 && summary.tags.failed == 1)
        #expect(summary.bytesTransferred == 150)
        #expect(summary.session.bytesTransferred == 50 && summary.session.tagsCopied == 1)
        #expect(summary.blobs.copied == 2 && summary.blobs.mounted == 1)
        #expect(summary.failures.first?.reason == "gone")
        #expect(summary.repositories.completed == 0 && summary.repositories.failed == 1)
        #expect(summary.exitStatus == .interrupted)
    }
}
