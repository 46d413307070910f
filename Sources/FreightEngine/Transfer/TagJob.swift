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

extension TagJob {
    private enum CodingKeys: String, CodingKey { case source, destination }

    /// A tag copied to the same name (nearly every one) is saved as that name alone; others as
    /// `{"source": …, "destination": …}`, which older checkpoints hold for all.
    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            self.init(source: name, destination: name)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(source: try container.decode(String.self, forKey: .source),
                  destination: try container.decodeIfPresent(String.self, forKey: .destination))
    }

    public func encode(to encoder: any Encoder) throws {
        if destination == source {
            var container = encoder.singleValueContainer()
            try container.encode(source)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(destination, forKey: .destination)
    }
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

    private enum CodingKeys: String, CodingKey {
        case bytes, blobsUploaded, blobsMounted, blobsSkipped, compressedLayers, keptLayers, originalBytes, compressedBytes
        case compressionSeconds, referrersCopied, referrersSkipped
    }

    /// Counts that are zero (most of them, for most tags) are left out; absent reads as zero.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bytes = try container.decodeIfPresent(Int64.self, forKey: .bytes) ?? 0
        blobsUploaded = try container.decodeIfPresent(Int.self, forKey: .blobsUploaded) ?? 0
        blobsMounted = try container.decodeIfPresent(Int.self, forKey: .blobsMounted) ?? 0
        blobsSkipped = try container.decodeIfPresent(Int.self, forKey: .blobsSkipped) ?? 0
        compressedLayers = try container.decodeIfPresent(Int.self, forKey: .compressedLayers) ?? 0
        keptLayers = try container.decodeIfPresent(Int.self, forKey: .keptLayers) ?? 0
        originalBytes = try container.decodeIfPresent(Int64.self, forKey: .originalBytes) ?? 0
        compressedBytes = try container.decodeIfPresent(Int64.self, forKey: .compressedBytes) ?? 0
        compressionSeconds = try container.decodeIfPresent(Double.self, forKey: .compressionSeconds)
        referrersCopied = try container.decodeIfPresent(Int.self, forKey: .referrersCopied)
        referrersSkipped = try container.decodeIfPresent(Int.self, forKey: .referrersSkipped)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func count<Value: BinaryInteger & Encodable>(_ value: Value, _ key: CodingKeys) throws {
            if value != 0 { try container.encode(value, forKey: key) }
        }
        try count(bytes, .bytes)
        try count(blobsUploaded, .blobsUploaded)
        try count(blobsMounted, .blobsMounted)
        try count(blobsSkipped, .blobsSkipped)
        try count(compressedLayers, .compressedLayers)
        try count(keptLayers, .keptLayers)
        try count(originalBytes, .originalBytes)
        try count(compressedBytes, .compressedBytes)
        try container.encodeIfPresent(compressionSeconds, forKey: .compressionSeconds)
        try container.encodeIfPresent(referrersCopied, forKey: .referrersCopied)
        try container.encodeIfPresent(referrersSkipped, forKey: .referrersSkipped)
    }

    public mutating func add(_ other: TagStats) {
        bytes += other.bytes
        blobsUploaded += other.blobsUploaded
        blobsMounted += other.blobsMounted
        blobsSkipped += other.blobsSkipped
        compressedLayers += other.compressedLayers
        keptLayers += other.keptLayers
        originalBytes += other.originalBytes
        compressedBytes += other.compressedBytes
        // Absent means zero: a zero is not recorded, so a tag that did nothing has empty stats.
        if let seconds = other.compressionSeconds, seconds != 0 { compressionSeconds = (compressionSeconds ?? 0) + seconds }
        if let copied = other.referrersCopied, copied != 0 { referrersCopied = (referrersCopied ?? 0) + copied }
        if let skipped = other.referrersSkipped, skipped != 0 { referrersSkipped = (referrersSkipped ?? 0) + skipped }
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
