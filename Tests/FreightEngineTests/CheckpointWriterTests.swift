import Foundation
import FreightCore
@testable import FreightEngine
import FreightTestSupport
import Testing

/// The checkpoint writer on a disk that runs out of room: what it leaves always reads back
/// whole, as the last state that was durable.
@Suite("checkpoint writer on a full disk", .enabled(if: Tmpfs.isAvailable, "needs root to mount a small tmpfs"), .budget(minutes: 6))
struct CheckpointWriterTests {
    static func record(_ runID: String, tags: Int) throws -> RunRecord {
        let settings = RunSettings(source: try RegistryPrefix(parsing: "src.example:5000/team"),
                                   destination: try RegistryPrefix(parsing: "dst.example:5000/mirror"), jobs: 1)
        let jobs = (0..<tags).map { TagRecord(job: TagJob(source: "v\($0)", destination: "v\($0)")) }
        return RunRecord(runID: runID, createdAt: Date(), source: "src.example:5000/team", destination: "dst.example:5000/mirror",
                         settings: settings, repositories: [RepositoryRecord(source: "team/app", destination: "mirror/app", tags: jobs)])
    }

    static func copied(_ tag: Int) -> TagRecord {
        var record = TagRecord(job: TagJob(source: "v\(tag)", destination: "v\(tag)"))
        record.state = .copied
        record.digest = Digest.sha256(of: Array("manifest \(tag)".utf8))
        record.stats.bytes = Int64(tag) * 1000
        record.stats.blobsUploaded = 2
        return record
    }

    @Test("a journal line that runs out of room half way is cut back, and later lines read back whole")
    func tornAppendIsCutBack() async throws {
        let disk = try Tmpfs(size: "256k")
        let store = CheckpointStore(directory: disk.file("runs"))
        let writer = try CheckpointWriter(store: store, runID: "torn")
        try await writer.snapshot(try Self.record("torn", tags: 400))
        // One line first, so the journal has a page with room left when the disk fills: the
        // line that crosses into the next page is written in part before the disk says no.
        try await writer.append(.init(repository: 0, tag: 0, record: Self.copied(0)))
        try disk.fill()
        var appended = 1
        var failure: (any Error)?
        while appended < 400 {
            do {
                try await writer.append(.init(repository: 0, tag: appended, record: Self.copied(appended)))
                appended += 1
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure, "the disk never filled")
        #expect("\(error)".contains("No space left on device") && "\(error)".contains("journal"), "\(error)")
        let journalPath = "\(store.runDirectory("torn"))/journal"
        let journal = try Data(contentsOf: URL(fileURLWithPath: journalPath))
        #expect(journal.last == 0x0A, "the journal ends in a torn line (\(journal.count) bytes)")
        #expect(journal.filter { $0 == 0x0A }.count == appended)

        // A snapshot that cannot be written leaves the previous one and no temp file.
        var changed = try Self.record("torn", tags: 400)
        changed.source = "changed"
        await #expect(throws: CheckpointError.self) { try await writer.snapshot(changed) }
        #expect(!FileManager.default.fileExists(atPath: "\(store.runDirectory("torn"))/checkpoint.tmp"))

        try disk.drain()
        try await writer.append(.init(repository: 0, tag: appended + 1, record: Self.copied(appended + 1)))
        await writer.close()
        let loaded = try store.load("torn")
        #expect(loaded.source == "src.example:5000/team", "the old snapshot stands")
        let states = loaded.repositories[0].tags.map(\.state)
        #expect(states[0..<appended].allSatisfy { $0 == .copied })
        #expect(states[appended] == .pending, "the line that did not fit is not half-trusted")
        #expect(states[appended + 1] == .copied, "a line written after the disk had room again reads back")
        Figures.record("disk.journal_lines_before_full", appended)
    }
}
