import FreightCore

/// One image to copy: a tag (or digest) at the source and the tag it gets at the destination.
public struct TagJob: Sendable, Hashable, Codable {
    /// A tag or `sha256:…` digest in the source repository.
    public let source: String
    /// The destination tag; nil stores the image by digest only.
    public let destination: String?

    public init(source: String, destination: String?) {
        self.source = source
        self.destination = destination
    }

    /// How the tag is shown: the destination tag, or the source reference.
    public var label: String { destination ?? source }
}

/// What copying one tag did, cumulative over every attempt at it.
public struct TagStats: Sendable, Equatable, Codable {
    public var bytes: Int64 = 0
    public var blobsUploaded = 0
    public var blobsMounted = 0
    public var blobsSkipped = 0
    public var compressedLayers = 0
    public var keptLayers = 0
    public var originalBytes: Int64 = 0
    public var compressedBytes: Int64 = 0
    /// Seconds spent compressing the layers counted above (absent in older checkpoints).
    public var compressionSeconds: Double?
    /// Referrers (signatures, SBOMs, attestations) carried along, and found already there
    /// (absent in older checkpoints).
    public var referrersCopied: Int?
    public var referrersSkipped: Int?

    public init() {}

    public mutating func add(_ other: TagStats) {
        bytes += other.bytes
        blobsUploaded += other.blobsUploaded
        blobsMounted += other.blobsMounted
        blobsSkipped += other.blobsSkipped
        compressedLayers += other.compressedLayers
        keptLayers += other.keptLayers
        originalBytes += other.originalBytes
        compressedBytes += other.compressedBytes
        if let seconds = other.compressionSeconds { compressionSeconds = (compressionSeconds ?? 0) + seconds }
        if let copied = other.referrersCopied { referrersCopied = (referrersCopied ?? 0) + copied }
        if let skipped = other.referrersSkipped { referrersSkipped = (referrersSkipped ?? 0) + skipped }
    }

    mutating func count(_ kind: BlobTransferKind, size: Int64) {
        switch kind {
        case .uploaded:
            blobsUploaded += 1
            bytes += size
        case .mounted: blobsMounted += 1
        case .skipped: blobsSkipped += 1
        }
    }
}
