import Foundation
import FreightCore

/// The on-disk format of a run's checkpoint: a header line that names the format, its version,
/// the SHA-256 and length of the payload, then the payload (a `RunRecord` as JSON).
///
///     freightliner-checkpoint 1 sha256:<hex> <length>
///     {"runID": …}
///
/// Anything else — another format, a newer version, a short or altered payload — is refused with
/// a message naming the file; a damaged checkpoint is never half-trusted.
public enum CheckpointFile {
    public static let magic = "freightliner-checkpoint"
    /// 2: journal lines may record how a session ended, and tag statistics leave out zeros.
    /// Version 1 files are read as before.
    public static let version = 2

    public static func encode(_ record: RunRecord) throws -> [UInt8] {
        try encode(record, magic: magic)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> RunRecord {
        try decode(bytes, as: RunRecord.self, magic: magic, path: path)
    }

    /// Any value in the same checksummed envelope, under another `magic` (the replica records).
    static func encode<Value: Encodable>(_ value: Value, magic: String) throws -> [UInt8] {
        let payload = try encoder.encode(value)
        let digest = Digest.sha256(of: payload)
        return Array("\(magic) \(version) \(digest) \(payload.count)\n".utf8) + Array(payload)
    }

    static func decode<Value: Decodable>(_ bytes: [UInt8], as type: Value.Type, magic: String, path: String) throws -> Value {
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            throw CheckpointError(path: path, reason: bytes.isEmpty ? "is empty" : "has no header line (truncated or not a checkpoint)")
        }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 4, header[0] == magic else {
            throw CheckpointError(path: path, reason: magic == Self.magic ? "is not a freightliner checkpoint" : "is not a \(magic) file")
        }
        // Versions start at 1: a 0 (or anything not a positive number) is damage, not an old format.
        guard let version = Int(header[1]), version >= 1 else { throw CheckpointError(path: path, reason: "has a malformed header") }
        guard version <= Self.version else {
            throw CheckpointError(path: path, reason: "was written by a newer freightliner (format \(version), this one reads \(Self.version))")
        }
        guard let digest = try? Digest(parsing: String(header[2])), let length = Int(header[3]) else {
            throw CheckpointError(path: path, reason: "has a malformed header")
        }
        let payload = bytes[(newline + 1)...]
        guard payload.count == length else {
            throw CheckpointError(path: path, reason: "is damaged: \(payload.count) of \(length) payload bytes present (truncated?)")
        }
        guard Digest.sha256(of: payload) == digest else {
            throw CheckpointError(path: path, reason: "is damaged: its checksum does not match its content")
        }
        do {
            return try decoder.decode(Value.self, from: Data(payload))
        } catch {
            throw CheckpointError(path: path, reason: "passes its checksum but cannot be read: \(error)")
        }
    }

    // MARK: Journal lines: "<sha256 hex> <json>\n", one per finished tag, and one when a session ends.

    /// A finished tag (`repository`, `tag`, `record`), or how a session ended (`ended`).
    struct JournalEntry: Codable, Equatable {
        var repository: Int?
        var tag: Int?
        var record: TagRecord?
        var ended: Ending?

        init(repository: Int, tag: Int, record: TagRecord) {
            self.repository = repository
            self.tag = tag
            self.record = record
        }

        init(ended: Ending) { self.ended = ended }
    }

    /// The run's state when a session ended: what `RunLedger.end` would otherwise snapshot.
    struct Ending: Codable, Equatable {
        var state: RunRecord.State
        var updatedAt: Date
        var previousDuration: Double
    }

    /// `record` with `entries` replayed onto it; `path` names the journal in errors.
    static func replay(_ entries: [JournalEntry], onto record: inout RunRecord, path: String) throws {
        for entry in entries {
            if let ended = entry.ended {
                record.state = ended.state
                record.updatedAt = ended.updatedAt
                record.previousDuration = ended.previousDuration
                continue
            }
            guard let repository = entry.repository, let tag = entry.tag, let tagRecord = entry.record,
                  record.repositories.indices.contains(repository),
                  record.repositories[repository].tags.indices.contains(tag) else {
                throw CheckpointError(path: path, reason: "names a tag the checkpoint does not have")
            }
            record.repositories[repository].tags[tag] = tagRecord
        }
    }

    static func encodeJournal(_ entry: JournalEntry) throws -> [UInt8] {
        let json = try encoder.encode(entry)
        return Array("\(Digest.sha256(of: json).hex) ".utf8) + Array(json) + [0x0A]
    }

    /// Reads journal lines; a torn last line (a crash mid-append) is ignored, damage anywhere
    /// else is refused.
    static func decodeJournal(_ bytes: [UInt8], path: String) throws -> [JournalEntry] {
        var entries: [JournalEntry] = []
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            guard let end = bytes[start...].firstIndex(of: 0x0A) else { break }  // torn tail
            let line = bytes[start..<end]
            start = end + 1
            guard line.count > 65, line[line.startIndex + 64] == 0x20 else {
                throw CheckpointError(path: path, reason: "is damaged at line \(lineNumber)")
            }
            let hex = String(decoding: line.prefix(64), as: UTF8.self)
            let json = line.dropFirst(65)
            guard Digest.sha256(of: json).hex == hex,
                  let entry = try? decoder.decode(JournalEntry.self, from: Data(json)) else {
                throw CheckpointError(path: path, reason: "is damaged at line \(lineNumber): its checksum does not match")
            }
            entries.append(entry)
        }
        return entries
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// A checkpoint that cannot be used; names the file.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "checkpoint \(path) \(reason)" }
}
