/// What the compression stage did so far: layers recompressed and their sizes before and
/// after, and candidates kept as they were.
public struct CompressionTotals: Sendable, Equatable {
    public var layers = 0
    public var kept = 0
    public var originalBytes: Int64 = 0
    public var compressedBytes: Int64 = 0

    public init() {}

    public var isEmpty: Bool { layers == 0 && kept == 0 }
    public var savedBytes: Int64 { originalBytes - compressedBytes }
    /// Compressed size over original size; nil before any layer was recompressed.
    public var ratio: Double? { originalBytes > 0 ? Double(compressedBytes) / Double(originalBytes) : nil }
}
