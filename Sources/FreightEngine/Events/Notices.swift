import FreightCore

/// Remembers which one-time notices a run already gave, so a hint that every tag could trigger
/// is said once.
final class Notices: Sendable {
    private let given = Locked<Set<String>>([])

    /// True the first time `key` is asked for, false after.
    func first(_ key: String) -> Bool {
        given.withLock { $0.insert(key).inserted }
    }
}
