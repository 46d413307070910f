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
/// rename, fsync of the directory) and then empties the journal. Each may carry the run's
/// `RunHeader`, which is written beside them once they are durable, naming what it describes.
public final class CheckpointWriter: Sendable {
    private enum Operation: Sendable {
        case append([UInt8], RunHeader?, CheckedContinuation<Void, any Error>)
        case snapshot([UInt8], RunHeader, CheckedContinuation<Void, any Error>)
        case close(CheckedContinuation<Void, any Error>)
    }

    private final class Shared: Sendable {
        let queue = Locked<[Operation]>([])
        let wake = DispatchSemaphore(value: 0)
        /// Bytes handed to write(2) for this run's files, header included (the bench's and the
        /// tests' measure of write amplification).
        let written = Atomic<Int>(0)
    }

    public let store: CheckpointStore
    public let runID: String
    private let shared = Shared()
    private let lock: RunLock
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
            WriterThread(shared: shared, journal: journal, journalPath: journalPath, snapshotPath: snapshotPath,
                         headerPath: store.headerPath(runID)).run()
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

    /// Records a finished tag, or how the run ended; returns once it is on disk. `header`, if
    /// given, describes the run with this entry counted.
    func append(_ entry: CheckpointFile.JournalEntry, header: RunHeader? = nil) async throws {
        let line = try CheckpointFile.encodeJournal(entry)
        try await submit { .append(line, header, $0) }
    }

    /// Writes the whole run as the new checkpoint and empties the journal.
    public func snapshot(_ record: RunRecord) async throws {
        let bytes = try CheckpointFile.encode(record)
        let header = RunHeader(record)
        try await submit { .snapshot(bytes, header, $0) }
    }

    /// Bytes written for this run so far.
    public var bytesWritten: Int { shared.written.load(ordering: .relaxed) }

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
        let headerPath: String
        /// The journal's length after its last complete, synced batch. A failed write (a full
        /// disk) may leave part of a line behind; it is cut back to this, so later lines never
        /// follow a torn one and the journal always reads back as whole records.
        private var durableLength: off_t

        init(shared: Shared, journal: Int32, journalPath: String, snapshotPath: String, headerPath: String) {
            self.shared = shared
            self.journal = journal
            self.journalPath = journalPath
            self.snapshotPath = snapshotPath
            self.headerPath = headerPath
            durableLength = max(0, lseek(journal, 0, SEEK_END))
        }

        func run() {
            while true {
                shared.wake.wait()
                let operations = shared.queue.withLock { queue in defer { queue = [] }; return queue }
                var batch = Batch()
                for operation in operations {
                    switch operation {
                    case .append(let line, let header, let continuation):
                        batch.bytes += line
                        batch.waiting.append(continuation)
                        if let header { batch.header = header }
                    case .snapshot(let content, let header, let continuation):
                        flush(&batch)
                        continuation.resume(with: Result { try writeSnapshot(content, header: header) })
                    case .close(let continuation):
                        flush(&batch)
                        Foundation.close(journal)
                        continuation.resume()
                        return
                    }
                }
                flush(&batch)
            }
        }

        /// Journal records queued together, and the newest header among them.
        private struct Batch {
            var bytes: [UInt8] = []
            var waiting: [CheckedContinuation<Void, any Error>] = []
            var header: RunHeader?
        }

        /// One write and one fdatasync for every record in the batch.
        private func flush(_ batch: inout Batch) {
            guard !batch.waiting.isEmpty else { return }
            let bytes = batch.bytes
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
            shared.written.add(bytes.count, ordering: .relaxed)
            if case .success = result, let header = batch.header { writeHeader(header) }
            for continuation in batch.waiting { continuation.resume(with: result) }
            batch = Batch()
        }

        private func writeSnapshot(_ content: [UInt8], header: RunHeader) throws {
            shared.written.add(content.count, ordering: .relaxed)
            try DurableFile.replace(snapshotPath, with: content)
            // The snapshot now holds everything the journal said; replaying it again would be
            // harmless (records carry whole tag states), but it would grow forever.
            guard ftruncate(journal, 0) == 0, fdatasync(journal) == 0 else { throw DurableFile.failure(journalPath, "cannot be emptied") }
            durableLength = 0
            writeHeader(header)
        }

        /// Writes `header` as describing the snapshot on disk and the journal as synced. Not
        /// synced itself: after a crash a missing, old or torn header only means the run is read
        /// whole. A header that cannot be written is removed, for the same reason.
        private func writeHeader(_ header: RunHeader) {
            var header = header
            guard let checkpoint = FileIdentity(path: snapshotPath) else { return }
            header.checkpoint = checkpoint
            header.journalBytes = Int(durableLength)
            do {
                let bytes = try CheckpointFile.encode(header, magic: RunHeader.magic)
                shared.written.add(bytes.count, ordering: .relaxed)
                try DurableFile.replace(headerPath, with: bytes, sync: false)
            } catch {
                unlink(headerPath)
            }
        }

    }
}
