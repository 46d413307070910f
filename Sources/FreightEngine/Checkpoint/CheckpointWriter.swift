import Dispatch
import Foundation
import FreightCore
import Synchronization

/// Persists one run while it goes, on a thread of its own (fsync must not block the few
/// threads of Swift's cooperative pool).
///
/// Finished tags are appended to the journal with group commit: every record queued while the
/// previous `fdatasync` ran is written and synced together, and each caller resumes only once
/// its record is durable. A snapshot replaces the checkpoint atomically (temp file, fsync,
/// rename, fsync of the directory) and then empties the journal.
public final class CheckpointWriter: Sendable {
    private enum Operation: Sendable {
        case append([UInt8], CheckedContinuation<Void, any Error>)
        case snapshot([UInt8], CheckedContinuation<Void, any Error>)
        case close(CheckedContinuation<Void, any Error>)
    }

    private final class Shared: Sendable {
        let queue = Locked<[Operation]>([])
        let wake = DispatchSemaphore(value: 0)
    }

    public let store: CheckpointStore
    public let runID: String
    private let shared = Shared()
    private let lock: RunLock
    /// Records appended since the last snapshot; a snapshot is due when it grows large.
    private let journalLength = Atomic<Int>(0)
    /// Set by the first `close`; a later one returns at once (a run closes its writer when it
    /// ends, and whoever made the writer may close it too).
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) the run's directory, mode 0700, and locks it.
    public init(store: CheckpointStore, runID: String) throws {
        try CheckpointStore.validate(runID: runID)
        self.store = store
        self.runID = runID
        let directory = store.runDirectory(runID)
        if let blocker = FileSystemProblem.directoryBlocker(directory) {
            throw CheckpointError(path: directory, reason: "cannot be created: \(blocker) (see --checkpoint-dir)")
        }
        do {
            try Self.makeDirectory(store.directory)
            try Self.makeDirectory(directory)
        } catch {
            throw CheckpointError(path: directory, reason: "cannot be created: \(FileSystemProblem.describe(error))")
        }
        lock = try RunLock(directory: directory)
        let journalPath = store.journalPath(runID)
        let snapshotPath = store.snapshotPath(runID)
        let journal = open(journalPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard journal >= 0 else {
            lock.release()
            throw CheckpointError(path: journalPath, reason: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        let shared = self.shared
        let thread = Thread {
            WriterThread(shared: shared, journal: journal, journalPath: journalPath, snapshotPath: snapshotPath).run()
        }
        thread.name = "freightliner-checkpoint"
        thread.start()
    }

    private static func makeDirectory(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }

    /// Records a finished tag; returns once it is on disk.
    func append(repository: Int, tag: Int, record: TagRecord) async throws {
        let line = try CheckpointFile.encodeJournal(.init(repository: repository, tag: tag, record: record))
        journalLength.add(1, ordering: .relaxed)
        try await submit { .append(line, $0) }
    }

    /// Journal records since the last snapshot.
    var pendingJournalRecords: Int { journalLength.load(ordering: .relaxed) }

    /// Writes the whole run as the new checkpoint and empties the journal.
    public func snapshot(_ record: RunRecord) async throws {
        let bytes = try CheckpointFile.encode(record)
        journalLength.store(0, ordering: .relaxed)
        try await submit { .snapshot(bytes, $0) }
    }

    /// Stops the writer thread and releases the run's lock; again, does nothing.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await submit { .close($0) }
        lock.release()
    }

    private func submit(_ make: (CheckedContinuation<Void, any Error>) -> Operation) async throws {
        try await withCheckedThrowingContinuation { continuation in
            shared.queue.withLock { $0.append(make(continuation)) }
            shared.wake.signal()
        }
    }

    private final class WriterThread {
        let shared: Shared
        let journal: Int32
        let journalPath: String
        let snapshotPath: String
        /// The journal's length after its last complete, synced batch. A failed write (a full
        /// disk) may leave part of a line behind; it is cut back to this, so later lines never
        /// follow a torn one and the journal always reads back as whole records.
        private var durableLength: off_t

        init(shared: Shared, journal: Int32, journalPath: String, snapshotPath: String) {
            self.shared = shared
            self.journal = journal
            self.journalPath = journalPath
            self.snapshotPath = snapshotPath
            durableLength = max(0, lseek(journal, 0, SEEK_END))
        }

        func run() {
            while true {
                shared.wake.wait()
                let operations = shared.queue.withLock { queue in defer { queue = [] }; return queue }
                var batch: [CheckedContinuation<Void, any Error>] = []
                var bytes: [UInt8] = []
                for operation in operations {
                    switch operation {
                    case .append(let line, let continuation):
                        bytes += line
                        batch.append(continuation)
                    case .snapshot(let content, let continuation):
                        flush(&bytes, &batch)
                        continuation.resume(with: Result { try writeSnapshot(content) })
                    case .close(let continuation):
                        flush(&bytes, &batch)
                        Foundation.close(journal)
                        continuation.resume()
                        return
                    }
                }
                flush(&bytes, &batch)
            }
        }

        /// One write and one fdatasync for every record in the batch.
        private func flush(_ bytes: inout [UInt8], _ batch: inout [CheckedContinuation<Void, any Error>]) {
            guard !batch.isEmpty else { return }
            let result = Result { () throws -> Void in
                do {
                    try DurableFile.writeAll(journal, bytes, path: journalPath)
                    guard fdatasync(journal) == 0 else { throw DurableFile.failure(journalPath, "cannot be synced") }
                    durableLength += off_t(bytes.count)
                } catch {
                    _ = ftruncate(journal, durableLength)
                    throw error
                }
            }
            for continuation in batch { continuation.resume(with: result) }
            bytes = []
            batch = []
        }

        private func writeSnapshot(_ content: [UInt8]) throws {
            try DurableFile.replace(snapshotPath, with: content)
            // The snapshot now holds everything the journal said; replaying it again would be
            // harmless (records carry whole tag states), but it would grow forever.
            guard ftruncate(journal, 0) == 0, fdatasync(journal) == 0 else { throw DurableFile.failure(journalPath, "cannot be emptied") }
            durableLength = 0
        }

    }
}
