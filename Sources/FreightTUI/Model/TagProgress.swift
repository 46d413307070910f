import FreightEngine

/// One tag of a repository as the dashboard shows it.
public struct TagProgress: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case queued
        case copying
        case copied(bytes: Int64)
        /// Copied without uploading anything: every blob was mounted from another repository.
        case mounted
        /// The destination already had this exact manifest.
        case skipped
        case failed(reason: String)

        var isFinished: Bool {
            switch self {
            case .queued, .copying: return false
            default: return true
            }
        }

        var isDone: Bool {
            switch self {
            case .copied, .mounted, .skipped: return true
            default: return false
            }
        }
    }

    public let name: String
    public var status: Status = .queued
    public var bytesDone: Int64 = 0
    public var bytesTotal: Int64 = 0
    /// Of it, what was uploaded (compressed bytes for a recompressed layer; nothing for blobs
    /// found present or mounted).
    public var bytesSent: Int64 = 0
    /// Set when the tag finished in this session.
    public var stats: TagStats?
    /// Finished in an earlier session of this run.
    public var earlier = false

    public init(name: String) { self.name = name }

    /// Copying first, then failures, then what waits, then what is done.
    var sortRank: Int {
        switch status {
        case .copying: return 0
        case .failed: return 1
        case .queued: return 2
        case .copied, .mounted, .skipped: return 3
        }
    }

    var fraction: Double {
        switch status {
        case .copying: return bytesTotal > 0 ? Double(bytesDone) / Double(bytesTotal) : 0
        case .queued: return 0
        default: return 1
        }
    }

    static func status(for outcome: TagOutcome, stats: TagStats?) -> Status {
        switch outcome {
        case .copied(let bytes, _):
            if let stats, stats.blobsUploaded == 0, stats.blobsMounted > 0 { return .mounted }
            return .copied(bytes: bytes)
        case .skipped: return .skipped
        case .failed(let reason): return .failed(reason: reason)
        }
    }
}
