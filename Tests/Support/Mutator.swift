import Foundation

/// Mutations of well-formed inputs, for property tests of the parsers that read what registries,
/// users and files hand us: flipped and random bytes, tokens that mean something to the format
/// spliced in, pieces cut out or repeated, truncation. Valid inputs mutated a little reach far
/// deeper into a parser than random bytes do, as fuzzers' dictionaries and seed corpora do.
public struct Mutator: Sendable {
    /// Tokens of the format being mutated (`"@"`, `"sha256:"`, `"\"schemaVersion\":"` …).
    public let dictionary: [[UInt8]]

    public init(dictionary: [String]) {
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    /// One to four mutations of `seed`.
    public func mutate(_ seed: [UInt8], using random: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            mutateOnce(&bytes, using: &random)
        }
        return bytes
    }

    /// `mutate`, read back as UTF-8 (invalid sequences become U+FFFD).
    public func mutate(_ seed: String, using random: inout some RandomNumberGenerator) -> String {
        String(decoding: mutate(Array(seed.utf8), using: &random), as: UTF8.self)
    }

    private func mutateOnce(_ bytes: inout [UInt8], using random: inout some RandomNumberGenerator) {
        func position(inclusive: Bool = false) -> Int {
            let upper = bytes.count + (inclusive ? 1 : 0)
            return upper == 0 ? 0 : Int.random(in: 0..<upper, using: &random)
        }
        switch Int.random(in: 0..<8, using: &random) {
        case 0 where !bytes.isEmpty:
            bytes[position()] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1 where !bytes.isEmpty:
            bytes[position()] = UInt8.random(in: 0...255, using: &random)
        case 2, 3:
            guard let token = dictionary.randomElement(using: &random) else { return }
            bytes.insert(contentsOf: token, at: position(inclusive: true))
        case 4 where !bytes.isEmpty:
            let start = position()
            let end = min(bytes.count, start + Int.random(in: 1...16, using: &random))
            bytes.removeSubrange(start..<end)
        case 5 where !bytes.isEmpty:
            let start = position()
            let end = min(bytes.count, start + Int.random(in: 1...32, using: &random))
            bytes.insert(contentsOf: bytes[start..<end], at: position(inclusive: true))
        case 6:
            bytes = Array(bytes.prefix(position(inclusive: true)))
        default:
            bytes.insert(UInt8.random(in: 0...255, using: &random), at: position(inclusive: true))
        }
    }
}

/// How many inputs each property test tries, and how many it tried in all.
///
/// `FREIGHTLINER_PROPERTY_COUNT` sets the inputs per property (default 2000, fitting `make test`);
/// `make fuzz` raises it. Each test reports its executions as a `figure: properties.NAME N` line.
public enum PropertyRuns {
    /// The inputs per property in `make test`, which the property suites' time limits are sized for.
    public static let defaultCount = 2000

    public static var count: Int {
        ProcessInfo.processInfo.environment["FREIGHTLINER_PROPERTY_COUNT"].flatMap(Int.init).map { max(1, $0) } ?? defaultCount
    }

    /// Counts executions of one property, to be reported once it is done.
    public final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        public init() {}

        public func tick() {
            lock.lock()
            value += 1
            lock.unlock()
        }

        public var executions: Int {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
    }

    public static func report(_ name: String, _ counter: Counter) {
        Figures.record("properties.\(name)", counter.executions)
    }
}
