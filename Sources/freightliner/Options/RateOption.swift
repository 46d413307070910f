import ArgumentParser

/// `--limit-rate`, shared by `copy`, `sync` and `resume` (a resume keeps the run's unless given).
struct RateOption: ParsableArguments {
    @Option(name: .customLong("limit-rate"),
            help: ArgumentHelp("Blob bytes per second for the whole run, all transfers together (K, M, G suffixes), so a "
                               + "copy does not fill a shared link.", valueName: "BYTES"))
    var limitRate: String?

    func validate() throws {
        do { _ = try bytesPerSecond } catch { throw fail(error) }
    }

    var bytesPerSecond: Int64? {
        get throws {
            guard let limitRate else { return nil }
            let text = limitRate.hasSuffix("/s") ? String(limitRate.dropLast(2)) : limitRate
            let value = try parseBytes(text, option: "--limit-rate")
            guard value >= 1024 else { throw ValidationError("--limit-rate must be at least 1K (bytes per second), got \"\(limitRate)\"") }
            return value
        }
    }
}
