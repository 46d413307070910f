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
        let header = Array("freightliner-checkpoint 1 ".utf8)
        #expect(Array(bytes.prefix(header.count)) == header)
        bytes[header.count - 2] = UInt8(ascii: "9")
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(bytes, path: "the-file") }
        #expect(error?.description.contains("newer freightliner") == true)
        #expect(error?.description.contains("the-file") == true)
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

    @Test("many finished tags cost a bounded number of snapshots (linear checkpointing)")
    func snapshotsAmortised() async throws {
        let directory = TemporaryDirectory()
        let store = CheckpointStore(directory: directory.file("runs"))
        let writer = try CheckpointWriter(store: store, runID: "many")
        let ledger = RunLedger(record: record(tags: 2000, id: "many"), writer: writer)
        try await ledger.save()
        for tag in 0..<2000 {
            try await ledger.finish(repository: 0, tag: tag, outcome: .skipped(digest: Digest.sha256(of: [UInt8(tag % 256)])),
                                    stats: TagStats())
        }
        let pending = writer.pendingJournalRecords
        await writer.close()
        #expect(pending < RunLedger.snapshotThreshold(totalTags: 2000), "the journal was compacted by snapshots")
        #expect(try store.load("many").progress.done == 2000)
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
