import FreightCore

/// A fact learned by compressing a layer: gzip at `level` turns `original` into `compressed`.
/// Whether a run *uses* it depends on that run's thresholds; the fact itself never changes,
/// because the encoder is deterministic — but it holds only for the encoder that learned it.
public struct LayerRewrite: Sendable, Codable, Equatable {
    public let original: Digest
    public let originalSize: Int64
    public let algorithm: CompressionSettings.Algorithm
    public let level: Int
    public let compressed: Descriptor
    /// Which encoder wrote `compressed`; nil in records of releases before `currentEncoder`,
    /// whose one-stream gzip gives other bytes for the same layer and level.
    public let encoder: String?

    /// The encoder of this release: `ParallelGzipEncoder`'s 128 KiB blocks.
    public static let currentEncoder = "gzip-blocks-128k"

    public init(original: Digest, originalSize: Int64, algorithm: CompressionSettings.Algorithm, level: Int, compressed: Descriptor,
                encoder: String? = LayerRewrite.currentEncoder) {
        self.original = original
        self.originalSize = originalSize
        self.algorithm = algorithm
        self.level = level
        self.compressed = compressed
        self.encoder = encoder
    }

    /// How much smaller the compressed layer is, in percent of the original.
    public var savingsPercent: Double {
        originalSize > 0 ? 100 * Double(originalSize - compressed.size) / Double(originalSize) : 0
    }
}
