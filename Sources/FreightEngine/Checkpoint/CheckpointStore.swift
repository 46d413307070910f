import Foundation
import FreightCore

/// The directory of saved runs: one folder per run (mode 0700) holding `checkpoint` (the last
/// snapshot), `journal` (tags finished since) and `lock` while a process works on it.
public struct CheckpointStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `$XDG_STATE_HOME/freightliner/runs`, else `~/.local/state/freightliner/runs`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return "\(state)/freightliner/runs" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.local/state/freightliner/runs"
    }

    /// Run ids name directories: letters, digits, `.`, `_`, `-`, not starting with `.`.
    public static func validate(runID: String) throws {
        let allowed = runID.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !runID.isEmpty, runID.utf8.count <= 64, allowed, !runID.hasPrefix(".") else {
            throw CheckpointError(path: runID, reason: "is not a valid run id (1-64 of A-Z a-z 0-9 . _ -, not starting with '.')")
        }
    }

    /// A new id: UTC time plus randomness, so ids sort by age.
    public static func newRunID(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(formatter.string(from: date))-\(String(repeating: "0", count: 8 - random.count))\(random)"
    }

    public func runDirectory(_ runID: String) -> String { "\(directory)/\(runID)" }
    /// Whether the run saved its first checkpoint (a run killed before that has only a directory).
    public func hasCheckpoint(_ runID: String) -> Bool { FileManager.default.fileExists(atPath: snapshotPath(runID)) }
    func snapshotPath(_ runID: String) -> String { "\(runDirectory(runID))/checkpoint" }
    func journalPath(_ runID: String) -> String { "\(runDirectory(runID))/journal" }
    func headerPath(_ runID: String) -> String { "\(runDirectory(runID))/header" }

    /// Loads a run: its snapshot with the journal replayed onto it.
    public func load(_ runID: String) throws -> RunRecord {
        try Self.validate(runID: runID)
        let path = snapshotPath(runID)
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: runDirectory(runID)) {
                let reason = FileManager.default.fileExists(atPath: path)
                    ? "is unreadable"
                    : "is missing: the run stopped before its first checkpoint; start it again with the same `freightliner sync … --run-id \(runID)`"
                throw CheckpointError(path: path, reason: reason)
            }
            throw CheckpointError(path: runDirectory(runID), reason: "does not exist: no saved run \"\(runID)\" in \(directory)")
        }
        var record = try CheckpointFile.decode(Array(data), path: path)
        guard record.runID == runID else {
            throw CheckpointError(path: path, reason: "belongs to run \"\(record.runID)\", not \"\(runID)\"")
        }
        // The journal is empty after every snapshot, and FileManager.contents(atPath:) leaks a
        // 4 KiB buffer on each read of an empty file (FoundationEssentials, Swift 6.3.1): a
        // dashboard listing runs over and over would grow without bound. Empty means no records.
        let journalSize = (try? FileManager.default.attributesOfItem(atPath: journalPath(runID))[.size] as? Int) ?? 0
        if journalSize > 0, let journal = FileManager.default.contents(atPath: journalPath(runID)) {
            try CheckpointFile.replay(CheckpointFile.decodeJournal(Array(journal), path: journalPath(runID)),
                                      onto: &record, path: journalPath(runID))
        }
        return record
    }

    /// A saved run as listed: its header, and the whole run on request.
    public struct Listing: Sendable {
        public let runID: String
        /// What listings show; nil when the run cannot be read (`problem` says why).
        public let header: RunHeader?
        /// Why the run could not be read, if it could not.
        public let problem: String?
        private let store: CheckpointStore?
        private let loaded: RunRecord?

        /// The whole run: read now, unless listing it had to read it already. Nil if it cannot be
        /// read (a run can be damaged, or removed, after it was listed).
        public var record: RunRecord? { loaded ?? (try? store?.load(runID)) }

        fileprivate init(runID: String, header: RunHeader?, problem: String?, store: CheckpointStore?, loaded: RunRecord?) {
            self.runID = runID
            self.header = header
            self.problem = problem
            self.store = store
            self.loaded = loaded
        }

        /// A run already read.
        public init(record: RunRecord) {
            self.init(runID: record.runID, header: RunHeader(record), problem: nil, store: nil, loaded: record)
        }

        /// A run that cannot be read, and why.
        public init(runID: String, problem: String) {
            self.init(runID: runID, header: nil, problem: problem, store: nil, loaded: nil)
        }
    }

    /// Every saved run, newest first; damaged ones are listed with their problem. A run is read
    /// through its header when the header describes the files on disk (see `RunHeader`), else whole.
    /// `including`: only the run ids it accepts are read (the others are not even opened).
    public func list(including: (String) -> Bool = { _ in true }) -> [Listing] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { (try? Self.validate(runID: $0)) != nil && including($0) }.map { name in
            if let header = currentHeader(name) {
                return Listing(runID: name, header: header, problem: nil, store: self, loaded: nil)
            }
            do {
                let record = try load(name)
                return Listing(runID: name, header: RunHeader(record), problem: nil, store: self, loaded: record)
            } catch {
                return Listing(runID: name, header: nil, problem: "\(error)", store: self, loaded: nil)
            }
        }.sorted { ($0.header?.updatedAt ?? .distantPast, $0.runID) > ($1.header?.updatedAt ?? .distantPast, $1.runID) }
    }

    /// The run's header, if it describes the snapshot on disk and the journal (all of it, or,
    /// for a run marked running, a prefix of it).
    func currentHeader(_ runID: String) -> RunHeader? {
        guard let data = FileManager.default.contents(atPath: headerPath(runID)),
              let header = try? CheckpointFile.decode(Array(data), as: RunHeader.self, magic: RunHeader.magic, path: headerPath(runID)),
              header.runID == runID else { return nil }
        var journal = stat()
        guard FileIdentity(path: snapshotPath(runID)) == header.checkpoint else { return nil }
        let journalBytes = stat(journalPath(runID), &journal) == 0 ? Int(journal.st_size) : 0
        guard journalBytes == header.journalBytes || (header.state == .running && journalBytes > header.journalBytes) else { return nil }
        return header
    }

    /// The most recently updated run that still has work to do. A damaged run might be the
    /// newest (its date cannot be read), so while there is one this refuses to guess, naming it.
    public func newestResumable() throws -> RunRecord? {
        let runs = list()
        if let damaged = runs.first(where: { $0.problem != nil }), let problem = damaged.problem {
            throw CheckpointError(path: runDirectory(damaged.runID), reason: """
                holds a run that cannot be read (\(problem)) and may be the newest: name the run to \
                resume (`freightliner resume RUN_ID`), or remove it (`freightliner checkpoints rm \(damaged.runID)`)
                """)
        }
        guard let newest = runs.first(where: { $0.header?.hasWorkLeft == true }) else { return nil }
        return try load(newest.runID)
    }

    public func remove(_ runID: String) throws {
        try Self.validate(runID: runID)
        let path = runDirectory(runID)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(path: path, reason: "does not exist: no saved run \"\(runID)\"")
        }
        let lock = try RunLock(directory: path)
        defer { lock.release() }
        try FileManager.default.removeItem(atPath: path)
    }
}

/// An exclusive lock on a run directory, so two processes never write one run (or on any file
/// that must have one owner, such as `serve`'s per job file). The kernel drops it with the process.
public final class RunLock: Sendable {
    private let descriptor: Int32

    convenience init(directory: String) throws {
        try self.init(path: "\(directory)/lock", owner: directory, inUse: "is in use by another freightliner process")
    }

    /// Takes the lock at `path`, or fails with a `CheckpointError` at `owner` saying `inUse`.
    public init(path: String, owner: String, inUse: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CheckpointError(path: path, reason: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CheckpointError(path: owner, reason: inUse)
        }
    }

    public func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
