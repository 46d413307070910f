import Foundation
import Testing

extension Trait where Self == TimeLimitTrait {
    /// A time limit of `minutes` in `make test` that grows with the work `make soak` and
    /// `make fuzz` ask of a suite, for suites whose running time scales with those variables:
    ///
    /// - `FREIGHTLINER_PROPERTY_COUNT` (`make fuzz`) multiplies it by the count over
    ///   `PropertyRuns.defaultCount`, rounded up: 50000 inputs give 25 × `minutes`.
    /// - `FREIGHTLINER_SOAK_SECONDS` (`make soak`) adds the soak's duration, rounded up to whole
    ///   minutes: the kill soak repeats rounds until then and finishes the round in progress.
    ///
    /// `FREIGHTLINER_FAULT_SEED` changes which faults are injected, not how many (`make soak` runs
    /// one process per seed), so it grows nothing. Elsewhere use a plain `.timeLimit(.minutes(N))`.
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
    public static func minutes(_ minutes: Int, environment: [String: String]) -> Int {
        let count = environment["FREIGHTLINER_PROPERTY_COUNT"].flatMap(Int.init).map { max(1, $0) } ?? PropertyRuns.defaultCount
        // Capped so a mistyped count cannot overflow; a thousand times the default is days.
        let factor = min(1000, (count - 1) / PropertyRuns.defaultCount + 1)
        let soakSeconds = environment["FREIGHTLINER_SOAK_SECONDS"].flatMap(Double.init).map { $0.isFinite ? max(0, $0) : 0 } ?? 0
        return minutes * factor + Int((min(soakSeconds, 7 * 86400) / 60).rounded(.up))
    }
}
