import ArgumentParser
import FreightEngine

/// `--compress` and its thresholds, shared by `copy` and `sync` (a resumed run keeps its own).
struct CompressionOptions: ParsableArguments {
    @Option(name: .customLong("compress"), help: "Recompress uncompressed layers: none or gzip.")
    var algorithm: CompressionSettings.Algorithm = .none

    @Option(name: .customLong("compress-level"), parsing: .unconditional, help: "gzip level, 1 (fastest) to 9 (smallest); default 6.")
    var level: Int?

    @Option(name: .customLong("compress-min-size"),
            help: ArgumentHelp("Keep layers smaller than this as they are (bytes; K, M, G suffixes); default 1K.", valueName: "BYTES"))
    var minimumSize: String?

    @Option(name: .customLong("compress-max-size"), help: ArgumentHelp("Keep layers larger than this as they are (default: no limit).", valueName: "BYTES"))
    var maximumSize: String?

    @Option(name: .customLong("compress-min-savings"), parsing: .unconditional,
            help: ArgumentHelp("Keep the original unless gzip saves at least this many percent; default 5.", valueName: "PERCENT"))
    var minimumSavings: Double?

    @Option(name: .customLong("compress-threads"), parsing: .unconditional,
            help: ArgumentHelp("Cores gzip uses for one layer (default: all); the bytes are the same whatever the number.",
                               valueName: "N"))
    var threads: Int?

    func validate() throws {
        if let threads { try validateCompressThreads(threads) }
        if let level, !(1...9).contains(level) { throw invalid("--compress-level must be 1-9, got \(level)") }
        if let minimumSavings, !(0...100).contains(minimumSavings) {
            throw invalid("--compress-min-savings must be 0-100, got \(minimumSavings)")
        }
        do { _ = try settings } catch { throw fail(error) }
    }

    var settings: CompressionSettings {
        get throws {
            let minimum = try parseBytes(minimumSize ?? "1K", option: "--compress-min-size")
            let maximum = try maximumSize.map { try parseBytes($0, option: "--compress-max-size") }
            if let maximum, maximum < minimum {
                throw ValidationError("--compress-max-size (\(maximum)) is below --compress-min-size (\(minimum))")
            }
            return CompressionSettings(algorithm: algorithm, level: level ?? 6, minimumSize: minimum, maximumSize: maximum,
                                       minimumSavingsPercent: minimumSavings ?? 5)
        }
    }

    /// A warning when thresholds were given without `--compress`, where they do nothing.
    var ignoredWarning: String? {
        guard algorithm == .none else { return nil }
        let given = [("--compress-level", level != nil), ("--compress-min-size", minimumSize != nil),
                     ("--compress-max-size", maximumSize != nil), ("--compress-min-savings", minimumSavings != nil),
                     ("--compress-threads", threads != nil)]
            .filter(\.1).map(\.0)
        guard !given.isEmpty else { return nil }
        return "\(given.joined(separator: ", ")) \(given.count == 1 ? "has" : "have") no effect without --compress gzip"
    }
}

extension CompressionSettings.Algorithm: ExpressibleByArgument {}

func validateCompressThreads(_ threads: Int) throws {
    guard (1...256).contains(threads) else { throw invalid("--compress-threads must be 1-256, got \(threads)") }
}

/// `1024`, `64K`, `10M`, `2G` (binary units).
func parseBytes(_ text: String, option: String) throws -> Int64 {
    let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var number = Substring(text.uppercased())
    if number.hasSuffix("IB") { number = number.dropLast(2) } else if number.hasSuffix("B") { number = number.dropLast() }
    var multiplier: Int64 = 1
    if let last = number.last, let unit = units[last] {
        multiplier = unit
        number = number.dropLast()
    }
    guard let value = Int64(number), value >= 0, value <= Int64.max / multiplier else {
        throw ValidationError("\(option) expects a size in bytes such as 1024, 64K or 10M, got \"\(text)\"")
    }
    return value * multiplier
}
