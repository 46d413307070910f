import FreightCore

/// Counters of what this session moved, updated from many tasks at once.
public final class RunCounters: Sendable {
    public struct Values: Sendable, Equatable, Codable {
        public var tagsCopied = 0
        public var tagsSkipped = 0
        public var tagsFailed = 0
        public var blobsCopied = 0
        public var blobsMounted = 0
        public var blobsSkipped = 0
        public var bytesTransferred: Int64 = 0
        public var compression = RunSummary.Compression()

        public init() {}

        /// Adds another session's counts (a resumed run's totals).
        public mutating func add(_ other: Values) {
            tagsCopied += other.tagsCopied
            tagsSkipped += other.tagsSkipped
            tagsFailed += other.tagsFailed
            blobsCopied += other.blobsCopied
            blobsMounted += other.blobsMounted
            blobsSkipped += other.blobsSkipped
            bytesTransferred += other.bytesTransferred
            compression.layers += other.compression.layers
            compression.originalBytes += other.compression.originalBytes
            compression.compressedBytes += other.compression.compressedBytes
            compression.keptLayers += other.compression.keptLayers
        }
    }

    private let values = Locked(Values())

    public init() {}

    public var snapshot: Values { values.withLock { $0 } }

    func update(_ change: (inout Values) -> Void) {
        values.withLock { change(&$0) }
    }

    func blob(_ kind: BlobTransferKind, bytes: Int64) {
        values.withLock {
            switch kind {
            case .uploaded:
                $0.blobsCopied += 1
                $0.bytesTransferred += bytes
            case .mounted: $0.blobsMounted += 1
            case .skipped: $0.blobsSkipped += 1
            }
        }
    }
}
