import Foundation

/// Bytes per second over the last few seconds, from samples of a running byte count.
public struct ThroughputMeter: Sendable, Equatable {
    struct Sample: Sendable, Equatable {
        var at: Date
        var bytes: Int64
    }

    /// How far back the rate looks: long enough to smooth blob-sized bursts, short enough to
    /// show a stall within seconds.
    public var window: TimeInterval = 5
    private(set) var samples: [Sample] = []

    public init() {}

    public mutating func sample(_ bytes: Int64, at date: Date) {
        samples.append(Sample(at: date, bytes: bytes))
        while let first = samples.first, samples.count > 2, date.timeIntervalSince(first.at) > window {
            samples.removeFirst()
        }
    }

    /// Nil until two samples at least half a second apart exist.
    public var bytesPerSecond: Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        let seconds = last.at.timeIntervalSince(first.at)
        guard seconds >= 0.5 else { return nil }
        return max(0, Double(last.bytes - first.bytes) / seconds)
    }
}
