import FreightCore

/// A fact learned by compressing a layer: gzip at `level` turns `original` into `compressed`.
/// Whether a run *uses* it depends on that run's thresholds; the fact itself never changes,
/// because the encoder is deterministic.
public struct LayerRewrite: Sendable, Codable, Equatable {
    public let original: Digest
    public let originalSize: Int64
    public let algorithm: CompressionSettings.Algorithm
    public let level: Int
    public let compressed: Descriptor

    public init(original: Digest, originalSize: Int64, algorithm: CompressionSettings.Algorithm, level: Int, compressed: Descriptor) {
        self.original = original
        self.originalSize = originalSize
        self.algorithm = algorithm
        self.level = level
        self.compressed = compressed
    }

    /// How much smaller the compressed layer is, in percent of the original.
    public var savingsPercent: Double {
        originalSize > 0 ? 100 * Double(originalSize - compressed.size) / Double(originalSize) : 0
    }
}
