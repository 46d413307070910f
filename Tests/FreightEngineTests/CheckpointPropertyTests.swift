import Foundation
import FreightCore
@testable import FreightEngine
import FreightTestSupport
import PropertyBased
import Testing

/// Properties of the checkpoint format: a snapshot reads back exactly what was written, and any
/// change to its bytes (truncation, one byte altered) is refused with an error naming the file,
/// never half-trusted. A journal read back is always a prefix of what was written: a torn tail
/// is dropped, damage anywhere else refused.
@Suite("checkpoint format (properties)", .budget(minutes: 5))
struct CheckpointPropertyTests {
    static func text(_ random: inout any SeededRandomNumberGenerator) -> String {
        let alphabet = Array("abcXYZ019 ./:-_\"\\é\n\u{1F600}")
        return String((0..<Int.random(in: 0...10, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func digest(_ random: inout any SeededRandomNumberGenerator) -> Digest {
        Digest.sha256(of: (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    static func tag(_ random: inout any SeededRandomNumberGenerator) -> TagRecord {
        var record = TagRecord(job: TagJob(source: text(&random), destination: Bool.random(using: &random) ? text(&random) : nil))
        record.state = [.pending, .copied, .skipped, .failed].randomElement(using: &random)!
        if record.state != .pending { record.digest = digest(&random) }
        if record.state == .failed { record.error = text(&random) }
        if Bool.random(using: &random) { record.sourceDigest = digest(&random) }
        record.stats.bytes = Int64.random(in: 0...Int64(1) << 50, using: &random)
        record.stats.blobsUploaded = Int.random(in: 0...100, using: &random)
        if Bool.random(using: &random) { record.blobs = (0..<Int.random(in: 0...3, using: &random)).map { _ in digest(&random) } }
        return record
    }

    static let records = Generator<RunRecord, Shrink.None<RunRecord>>(run: { random in
        let repositories = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            RepositoryRecord(source: text(&random), destination: text(&random),
                             tags: (0..<Int.random(in: 0...5, using: &random)).map { _ in tag(&random) })
        }
        // Whole seconds: the format stores ISO 8601 dates.
        let created = Date(timeIntervalSince1970: Double(Int.random(in: 0...4_000_000_000, using: &random)))
        var record = RunRecord(runID: "run-\(Int.random(in: 0...999, using: &random))", createdAt: created, source: text(&random),
                               destination: text(&random), settings: nil, repositories: repositories)
        record.state = [.running, .interrupted, .completed, .failed].randomElement(using: &random)!
        record.sessions = Int.random(in: 1...50, using: &random)
        record.previousDuration = Double(Int.random(in: 0...100_000, using: &random)) / 8
        return record
    })

    @Test("a snapshot reads back exactly; any truncation or altered byte is refused, naming the file")
    func snapshots() async throws {
        let counter = PropertyRuns.Counter()
        let cases = Generator<(RunRecord, Int, UInt8), Shrink.None<(RunRecord, Int, UInt8)>>(run: { random in
            (Self.records.run(using: &random), Int.random(in: 0...Int.max, using: &random), UInt8.random(in: 1...255, using: &random))
        })
        await propertyCheck(count: PropertyRuns.count, input: cases) { record, position, flip in
            counter.tick()
            let bytes = try CheckpointFile.encode(record)
            #expect(try CheckpointFile.decode(bytes, path: "/runs/x/checkpoint") == record)

            let cut = position % bytes.count
            let truncated = Array(bytes.prefix(cut))
            let refusedTruncation = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(truncated, path: "/runs/x/checkpoint") }
            #expect(refusedTruncation?.path == "/runs/x/checkpoint")

            var altered = bytes
            altered[position % bytes.count] ^= flip
            let refusedChange = #expect(throws: CheckpointError.self, "byte \(position % bytes.count) changed") {
                try CheckpointFile.decode(altered, path: "/runs/x/checkpoint")
            }
            #expect(refusedChange?.description.hasPrefix("checkpoint /runs/x/checkpoint ") == true)
        }
        PropertyRuns.report("checkpoint.snapshot", counter)
    }

    @Test("arbitrary and mutated bytes never crash the checkpoint reader and are refused with a CheckpointError")
    func mutatedSnapshots() async throws {
        let counter = PropertyRuns.Counter()
        let mutator = Mutator(dictionary: ["freightliner-checkpoint ", "1 ", "2 ", "0 ", "-1 ", "sha256:", "\n", " ", "{}", "null",
                                           "99999999999999999999 "])
        let inputs = Generator<[UInt8], Shrink.None<[UInt8]>>(run: { random in
            mutator.mutate(try! CheckpointFile.encode(Self.records.run(using: &random)), using: &random)
        })
        await propertyCheck(count: PropertyRuns.count, input: inputs) { bytes in
            counter.tick()
            do {
                let record = try CheckpointFile.decode(bytes, path: "p")
                // Only a change the checksum cannot see may pass: none that alters the record.
                #expect(try CheckpointFile.decode(try CheckpointFile.encode(record), path: "p") == record)
            } catch let error as CheckpointError {
                #expect(error.path == "p")
            }
        }
        PropertyRuns.report("checkpoint.mutated", counter)
    }

    @Test("a journal reads back whole; cut anywhere, it reads back as a prefix; damage is refused, never misread")
    func journals() async throws {
        let counter = PropertyRuns.Counter()
        let cases = Generator<([CheckpointFile.JournalEntry], Int, UInt8), Shrink.None<([CheckpointFile.JournalEntry], Int, UInt8)>>(run: { random in
            let entries = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                CheckpointFile.JournalEntry(repository: Int.random(in: 0...9, using: &random), tag: Int.random(in: 0...99, using: &random),
                                            record: Self.tag(&random))
            }
            return (entries, Int.random(in: 0...Int.max, using: &random), UInt8.random(in: 1...255, using: &random))
        })
        await propertyCheck(count: PropertyRuns.count, input: cases) { entries, position, flip in
            counter.tick()
            let bytes = try entries.flatMap { try CheckpointFile.encodeJournal($0) }
            #expect(try CheckpointFile.decodeJournal(bytes, path: "j") == entries)

            let cut = position % (bytes.count + 1)
            let prefix = try CheckpointFile.decodeJournal(Array(bytes.prefix(cut)), path: "j")
            #expect(entries.starts(with: prefix))
            let wholeLines = bytes.prefix(cut).filter { $0 == 0x0A }.count
            #expect(prefix.count == wholeLines, "a cut journal keeps every whole line")

            var altered = bytes
            altered[position % bytes.count] ^= flip
            do {
                let read = try CheckpointFile.decodeJournal(altered, path: "j")
                #expect(entries.starts(with: read) && read.count < entries.count, "an altered journal was misread")
            } catch let error as CheckpointError {
                #expect(error.path == "j")
            }
        }
        PropertyRuns.report("checkpoint.journal", counter)
    }
}

extension CheckpointPropertyTests {
    @Test("a header naming format version 0 is refused as damage")
    func versionZero() throws {
        let bytes = try CheckpointFile.encode(RunRecord(runID: "r", createdAt: Date(timeIntervalSince1970: 0), source: "s",
                                                        destination: "d", settings: nil, repositories: []))
        var altered = bytes
        let versionIndex = "\(CheckpointFile.magic) ".utf8.count
        #expect(altered[versionIndex] == Array("\(CheckpointFile.version)".utf8)[0])
        altered[versionIndex] = UInt8(ascii: "0")
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(altered, path: "p") }
        #expect(error?.reason == "has a malformed header")
    }
}
