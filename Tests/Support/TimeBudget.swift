import Foundation
import Testing

extension Trait where Self == TimeLimitTrait {
    /// The time limit of every suite: `minutes` of its own work, plus what `make soak` and
    /// `make fuzz` add to it, plus the wait for a thread (`TimeBudget.queueMinutes`).
    ///
    /// A test's clock starts when Swift Testing starts it, not when a thread runs it: with the
    /// whole suite in parallel on two cores, CLI tests that block their thread on a process
    /// (the binary, skopeo, a registry) kept a millisecond parsing test from running for over a
    /// minute, so a limit of its own work alone fails tests that never hung.
    ///
    /// - `FREIGHTLINER_PROPERTY_COUNT` (`make fuzz`) multiplies `minutes` by the count over
    ///   `PropertyRuns.defaultCount`, rounded up: 50000 inputs give 25 × `minutes`.
    /// - `FREIGHTLINER_SOAK_SECONDS` (`make soak`) adds the soak's duration, rounded up to whole
    ///   minutes: the kill soak repeats rounds until then and finishes the round in progress.
    ///
    /// `FREIGHTLINER_FAULT_SEED` changes which faults are injected, not how many (`make soak` runs
    /// one process per seed), so it grows nothing.
    ///
    /// ```swift
    /// @Suite("path globs (properties)", .budget(minutes: 5))
    /// ```
    public static func budget(minutes: Int) -> Self {
        .timeLimit(.minutes(TimeBudget.minutes(minutes, environment: ProcessInfo.processInfo.environment)))
    }
}

/// The arithmetic of `.budget(minutes:)`, apart from the process environment.
public enum TimeBudget {
    /// How long a test may wait for a thread: about the whole suite under ThreadSanitizer on two
    /// cores (15 minutes), with room to spare. A hang still fails its test well inside CI's 90.
    public static let queueMinutes = 20

    public static func minutes(_ minutes: Int, environment: [String: String]) -> Int {
        queueMinutes + work(minutes, environment: environment)
    }

    /// The suite's own work, as `make test`, `make soak` and `make fuzz` ask for it.
    public static func work(_ minutes: Int, environment: [String: String]) -> Int {
        let count = environment["FREIGHTLINER_PROPERTY_COUNT"].flatMap(Int.init).map { max(1, $0) } ?? PropertyRuns.defaultCount
        // Capped so a mistyped count cannot overflow; a thousand times the default is days.
        let factor = min(1000, (count - 1) / PropertyRuns.defaultCount + 1)
        let soakSeconds = environment["FREIGHTLINER_SOAK_SECONDS"].flatMap(Double.init).map { $0.isFinite ? max(0, $0) : 0 } ?? 0
        return minutes * factor + Int((min(soakSeconds, 7 * 86400) / 60).rounded(.up))
    }
}
