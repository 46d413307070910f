import FreightRegistry

/// The byte budget shared by every transfer of a run (`--limit-rate`): blob bytes are taken from
/// it as they stream, so all uploads together stay at the rate, whatever their number. A burst
/// of a quarter second's worth (at least 64 KiB) smooths chunk sizes without exceeding the rate
/// over any longer stretch.
public struct RateLimiter: Sendable {
    private let bucket: TokenBucket

    public init(bytesPerSecond: Int64) {
        bucket = TokenBucket(ratePerSecond: Double(bytesPerSecond), burst: max(Double(bytesPerSecond) / 4, 64 * 1024))
    }

    /// Waits until `count` bytes may go.
    public func take(_ count: Int) async throws { try await bucket.take(Double(count)) }
}
