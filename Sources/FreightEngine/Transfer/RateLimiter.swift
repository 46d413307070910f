/// A token bucket shared by every transfer of a run (`--limit-rate`): blob bytes are taken from
/// it as they stream, so all uploads together stay at the rate, whatever their number. A burst
/// of a quarter second's worth (at least 64 KiB) smooths chunk sizes without exceeding the rate
/// over any longer stretch.
public actor RateLimiter {
    public nonisolated let bytesPerSecond: Double
    private let burst: Double
    private var available: Double
    private var refilled: ContinuousClock.Instant

    public init(bytesPerSecond: Int64) {
        precondition(bytesPerSecond > 0)
        self.bytesPerSecond = Double(bytesPerSecond)
        burst = max(Double(bytesPerSecond) / 4, 64 * 1024)
        available = burst
        refilled = .now
    }

    /// Waits until `count` bytes may go. Callers that come while others wait queue behind them:
    /// each takes its bytes now (the bucket may go into debt) and sleeps until the debt is paid.
    public func take(_ count: Int) async throws {
        let now = ContinuousClock.now
        let elapsed = now - refilled
        refilled = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        available = min(burst, available + seconds * bytesPerSecond)
        available -= Double(count)
        if available < 0 { try await Task.sleep(for: .seconds(-available / bytesPerSecond)) }
    }
}
