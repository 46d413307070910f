import Foundation

/// Files that must survive a crash whole or not at all: written to a temporary file, synced,
/// renamed over the old one, and the directory synced, so after a crash either the old content
/// or the new one is there, never a mix.
enum DurableFile {
    /// Replaces `path` with `content` (mode 0600). `sync: false` keeps the atomic rename but
    /// skips both syncs: for files that may be lost, never torn (derived data).
    static func replace(_ path: String, with content: [UInt8], sync: Bool = true) throws {
        let temporary = "\(path).tmp"
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw failure(temporary, "cannot be created") }
        do {
            try writeAll(file, content, path: temporary)
            guard !sync || fsync(file) == 0 else { throw failure(temporary, "cannot be synced") }
            close(file)
        } catch {
            close(file)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure(path, "cannot be replaced")
            unlink(temporary)
            throw error
        }
        guard sync else { return }
        // The rename is durable only once the directory is: until then a crash may bring the
        // old file back.
        let directory = (path as NSString).deletingLastPathComponent
        let directoryFile = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFile >= 0 else { throw failure(directory, "cannot be opened to sync it") }
        // EINVAL: a filesystem that cannot sync directories, where there is nothing more to do.
        let syncError = fsync(directoryFile) == 0 || errno == EINVAL ? nil : failure(directory, "cannot be synced")
        close(directoryFile)
        if let syncError { throw syncError }
    }

    static func writeAll(_ file: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(file, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { throw failure(path, "cannot be written") }
                offset += written
            }
        }
    }

    static func failure(_ path: String, _ what: String) -> CheckpointError {
        CheckpointError(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}
