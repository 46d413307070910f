/// How layers are (re)compressed on the way to the destination.
public struct CompressionSettings: Sendable, Codable, Equatable {
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        case none, gzip
    }

    public var algorithm: Algorithm
    /// zlib level, 1 (fastest) to 9 (smallest).
    public var level: Int
    /// Layers smaller than this stay as they are.
    public var minimumSize: Int64
    /// Layers larger than this stay as they are (nil: no limit).
    public var maximumSize: Int64?
    /// A result must be at least this many percent smaller, or the original is kept.
    public var minimumSavingsPercent: Double

    public init(algorithm: Algorithm, level: Int = 6, minimumSize: Int64 = 1024, maximumSize: Int64? = nil,
                minimumSavingsPercent: Double = 5) {
        self.algorithm = algorithm
        self.level = level
        self.minimumSize = minimumSize
        self.maximumSize = maximumSize
        self.minimumSavingsPercent = minimumSavingsPercent
    }

    public static let none = CompressionSettings(algorithm: .none)

    public var isEnabled: Bool { algorithm != .none }
}
