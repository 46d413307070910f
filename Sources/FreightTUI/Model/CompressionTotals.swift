import FreightCore
import FreightEngine

/// What the compression stage did so far: layers recompressed and their sizes before and
/// after, and candidates kept as they were; each layer once, however many tags share it
/// (each tag that uses a layer reports it).
public struct CompressionTotals: Sendable, Equatable {
    public var layers = 0
    public var kept = 0
    public var originalBytes: Int64 = 0
    public var compressedBytes: Int64 = 0
    private var seen: Set<Digest> = []

    public init() {}

    /// A `layerCompressed` event; a layer counted already is not counted again.
    mutating func add(_ layer: LayerCompression) {
        guard seen.insert(layer.original.digest).inserted else { return }
        if layer.result == .compressed, let compressed = layer.compressed {
            layers += 1
            originalBytes += layer.original.size
            compressedBytes += compressed.size
        } else {
            kept += 1
        }
    }

    public var isEmpty: Bool { layers == 0 && kept == 0 }
    public var savedBytes: Int64 { originalBytes - compressedBytes }
    /// Compressed size over original size; nil before any layer was recompressed.
    public var ratio: Double? { originalBytes > 0 ? Double(compressedBytes) / Double(originalBytes) : nil }
}
