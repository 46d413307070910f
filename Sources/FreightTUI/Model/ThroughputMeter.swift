import Foundation

/// The run's pace from samples of its running totals (bytes sent, tags finished): the rate of
/// the last few seconds, the last minute for the header's sparkline, and the windowed rates the
/// ETA is estimated from.
public struct ThroughputMeter: Sendable, Equatable {
    struct Sample: Sendable, Equatable {
        var at: Date
        var bytes: Int64
        var tags: Int
    }

    /// How far back the rate looks: long enough to smooth blob-sized bursts, short enough to
    /// show a stall within seconds.
    public var window: TimeInterval = 5
    /// How far back the ETA's rates look: long enough that one big blob or a burst of skipped
    /// tags does not swing it, short enough to follow a link that changed.
    public static let estimateWindow: TimeInterval = 30
    /// What the sparkline shows.
    public static let history: TimeInterval = 60
    /// Samples closer together than this replace the last one (frames come many times a second).
    static let spacing: TimeInterval = 0.25
    private(set) var samples: [Sample] = []

    public init() {}

    public mutating func sample(_ bytes: Int64, tags: Int = 0, at date: Date) {
        let sample = Sample(at: date, bytes: bytes, tags: tags)
        if samples.count >= 2, let last = samples.last, date.timeIntervalSince(samples[samples.count - 2].at) < Self.spacing,
           last.at <= date {
            samples[samples.count - 1] = sample
        } else {
            samples.append(sample)
        }
        let horizon = max(window, Self.history, Self.estimateWindow)
        let drop = samples.prefix { date.timeIntervalSince($0.at) > horizon }.count
        if drop > 0, samples.count - drop >= 2 { samples.removeFirst(drop) }
    }

    /// Bytes per second over `window`; nil until two samples at least half a second apart exist.
    public var bytesPerSecond: Double? {
        rates(over: window).flatMap { $0.span >= 0.5 ? $0.bytes : nil }
    }

    /// Bytes and tags per second since the last sample at least `seconds` old (the first sample
    /// while the run is younger than that).
    public func rates(over seconds: TimeInterval) -> (bytes: Double, tags: Double, span: TimeInterval)? {
        guard let last = samples.last, var first = samples.first else { return nil }
        for sample in samples where last.at.timeIntervalSince(sample.at) >= seconds { first = sample }
        let span = last.at.timeIntervalSince(first.at)
        guard span > 0 else { return nil }
        return (max(0, Double(last.bytes - first.bytes) / span), max(0, Double(last.tags - first.tags) / span), span)
    }

    /// Bytes per second in each of `buckets` equal slices of the last minute, oldest first (0 for
    /// slices before the first sample).
    public func lastMinute(buckets: Int, now: Date) -> [Double] {
        guard buckets > 0 else { return [] }
        let width = Self.history / Double(buckets)
        // The byte count at any moment: the last sample at or before it.
        func bytes(at date: Date) -> Int64? { samples.last { $0.at <= date }?.bytes }
        return (0..<buckets).map { index in
            let start = now.addingTimeInterval(-Self.history + Double(index) * width)
            let end = start.addingTimeInterval(width)
            guard let atEnd = bytes(at: end) else { return 0 }
            return max(0, Double(atEnd - (bytes(at: start) ?? 0)) / width)
        }
    }
}
