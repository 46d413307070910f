/// The compression stage failed.
public struct CompressionError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "compression: \(reason)" }
}
