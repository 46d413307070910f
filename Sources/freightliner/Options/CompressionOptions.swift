import ArgumentParser
import FreightEngine

/// `--compress` and its thresholds, shared by `copy` and `sync` (a resumed run keeps its own).
struct CompressionOptions: ParsableArguments {
    @Option(name: .customLong("compress"), help: "Recompress uncompressed layers: none or gzip.")
    var algorithm: CompressionSettings.Algorithm = .none

    @Option(name: .customLong("compress-level"), help: "gzip level, 1 (fastest) to 9 (smallest).")
    var level: Int = 6

    @Option(name: .customLong("compress-min-size"), help: ArgumentHelp("Keep layers smaller than this as they are (bytes; K, M, G suffixes).", valueName: "BYTES"))
    var minimumSize: String = "1K"

    @Option(name: .customLong("compress-max-size"), help: ArgumentHelp("Keep layers larger than this as they are (default: no limit).", valueName: "BYTES"))
    var maximumSize: String?

    @Option(name: .customLong("compress-min-savings"), help: ArgumentHelp("Keep the original unless gzip saves at least this many percent.", valueName: "PERCENT"))
    var minimumSavings: Double = 5

    func validate() throws {
        guard (1...9).contains(level) else { throw ValidationError("--compress-level must be 1-9, got \(level)") }
        guard (0...100).contains(minimumSavings) else {
            throw ValidationError("--compress-min-savings must be 0-100, got \(minimumSavings)")
        }
        _ = try settings
    }

    var settings: CompressionSettings {
        get throws {
            let minimum = try parseBytes(minimumSize, option: "--compress-min-size")
            let maximum = try maximumSize.map { try parseBytes($0, option: "--compress-max-size") }
            if let maximum, maximum < minimum {
                throw ValidationError("--compress-max-size (\(maximum)) is below --compress-min-size (\(minimum))")
            }
            return CompressionSettings(algorithm: algorithm, level: level, minimumSize: minimum, maximumSize: maximum,
                                       minimumSavingsPercent: minimumSavings)
        }
    }
}

extension CompressionSettings.Algorithm: ExpressibleByArgument {}

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
