import Foundation

/// Where "now" comes from. Token caches and signers take one so that tests can move time
/// forward (a token reaching its expiry) without sleeping.
public struct WallClock: Sendable {
    public let now: @Sendable () -> Date

    public init(_ now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = WallClock { Date() }
}
