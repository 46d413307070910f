import FreightCore

/// One part of a tree split across processes: `--shard I/N` (0-based), or the
/// `JOB_COMPLETION_INDEX` and `JOB_COMPLETIONS` a Kubernetes Indexed Job gives its pods.
public struct Shard: Sendable, Codable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// Shards of one migration: the most a split makes sense for (each is a process, a pod).
    public static let maximumCount = 10_000

    public init(index: Int, count: Int) throws {
        guard (1...Self.maximumCount).contains(count) else {
            throw ShardError("the shard count must be 1-\(Self.maximumCount), got \(count)")
        }
        guard (0..<count).contains(index) else {
            throw ShardError("the shard index must be 0-\(count - 1) for \(count) shards (0-based), got \(index)")
        }
        self.index = index
        self.count = count
    }

    /// `I/N`, as `--shard` takes it.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardError("\"\(text)\" is not INDEX/COUNT (e.g. 0/4: the first of four shards)")
        }
        try self.init(index: index, count: count)
    }

    /// The shard an Indexed Job's pod is: both variables set (Kubernetes sets the index; the
    /// manifest sets the count), else nil. One without the other is a mistake, said as such.
    public static func fromEnvironment(_ environment: [String: String]) throws -> Shard? {
        let index = environment["JOB_COMPLETION_INDEX"], count = environment["JOB_COMPLETIONS"]
        switch (index, count) {
        case (nil, nil):
            return nil
        case (let index?, nil):
            throw ShardError("JOB_COMPLETION_INDEX=\(index) is set but JOB_COMPLETIONS is not: set it to the Job's completions, "
                             + "or pass --shard I/N")
        case (nil, let count?):
            throw ShardError("JOB_COMPLETIONS=\(count) is set but JOB_COMPLETION_INDEX is not: pass --shard I/N")
        case (let index?, let count?):
            guard let i = Int(index), let n = Int(count) else {
                throw ShardError("JOB_COMPLETION_INDEX=\(index) and JOB_COMPLETIONS=\(count) must be whole numbers")
            }
            return try Shard(index: i, count: n)
        }
    }

    public var description: String { "\(index)/\(count)" }

    /// What a migration's run id gets for this shard: `-shard-I-of-N`.
    public var runIDSuffix: String { "-shard-\(index)-of-\(count)" }

    /// The run id of this shard of the migration `migration` (kept as it is when it already
    /// names this shard, so `resume --shard` takes either form).
    public func runID(of migration: String) -> String {
        migration.hasSuffix(runIDSuffix) ? migration : migration + runIDSuffix
    }

    /// The migration and shard a shard run's id names (`NAME-shard-I-of-N`), or nil.
    public static func parse(runID: String) -> (migration: String, shard: Shard)? {
        guard let range = runID.range(of: "-shard-", options: .backwards) else { return nil }
        let parts = runID[range.upperBound...].split(separator: "-")
        guard parts.count == 3, parts[1] == "of", let index = Int(parts[0]), let count = Int(parts[2]),
              let shard = try? Shard(index: index, count: count), runID.hasSuffix(shard.runIDSuffix) else { return nil }
        return (String(runID[..<range.lowerBound]), shard)
    }
}

/// Which repositories stay together on one shard (`--shard-by`): each on its own, or all
/// under the same first path components, so repositories that share base layers upload them
/// once.
public enum ShardGrouping: Sendable, Codable, Hashable, CustomStringConvertible {
    case repository
    case prefix(depth: Int)

    /// `repository`, `prefix` (the first path component) or `prefix:N`.
    public init(parsing text: String) throws {
        switch text {
        case "repository", "repo": self = .repository
        case "prefix": self = .prefix(depth: 1)
        default:
            guard text.hasPrefix("prefix:"), let depth = Int(text.dropFirst("prefix:".count)), depth >= 1 else {
                throw ShardError("\"\(text)\" is not repository, prefix or prefix:N (N path components, at least 1)")
            }
            self = .prefix(depth: depth)
        }
    }

    public var description: String {
        switch self {
        case .repository: return "repository"
        case .prefix(let depth): return depth == 1 ? "prefix" : "prefix:\(depth)"
        }
    }

    /// The key a repository path (relative to the source prefix) is placed by.
    public func key(of relativePath: String) -> String {
        switch self {
        case .repository: return relativePath
        case .prefix(let depth):
            return relativePath.split(separator: "/", omittingEmptySubsequences: false).prefix(depth).joined(separator: "/")
        }
    }
}

/// Splits repositories across shards by rendezvous (highest-random-weight) hashing: a key goes
/// to the shard whose hash with it is highest. Every process computes the same split from the
/// same keys, with no coordination; adding or removing a repository moves only that one (its
/// group), and changing the shard count moves only about 1/N of them. The split is balanced by
/// count in expectation; a run's plan does not know sizes (that would take every manifest),
/// so `plan --shards` shows the bytes each shard gets.
public struct Sharding: Sendable, Hashable {
    public let count: Int
    public let grouping: ShardGrouping

    public init(count: Int, grouping: ShardGrouping = .repository) {
        self.count = max(1, count)
        self.grouping = grouping
    }

    /// The shard (0-based) the repository at `relativePath` falls to.
    public func shard(of relativePath: String) -> Int {
        let key = Array(grouping.key(of: relativePath).utf8)
        var best = 0
        var bestScore: UInt64 = 0
        for shard in 0..<count {
            let score = Self.score(key, shard)
            if shard == 0 || score > bestScore {
                best = shard
                bestScore = score
            }
        }
        return best
    }

    /// The items of each shard, in their given order; their union is `items`, and no item is in two.
    public func split<Item>(_ items: [Item], path: (Item) -> String) -> [[Item]] {
        var parts = Array(repeating: [Item](), count: count)
        for item in items { parts[shard(of: path(item))].append(item) }
        return parts
    }

    /// A stable 64-bit hash of the key and shard: FNV-1a, then the splitmix64 finalizer so that
    /// nearby keys and shard numbers spread over the whole range. (Swift's `Hasher` is seeded
    /// per process, which is exactly what a split shared by processes cannot use.)
    static func score(_ key: [UInt8], _ shard: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for byte in key { mix(byte) }
        mix(0)
        var value = UInt64(shard)
        for _ in 0..<8 {
            mix(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }
}

/// A run that is one shard of a migration: which, of what, split how. Saved with the run so
/// `resume`, `status` and the dashboard know it.
public struct ShardRecord: Sendable, Codable, Equatable {
    /// The run id every shard shares (each shard's is this with `-shard-I-of-N`).
    public var migration: String
    public var index: Int
    public var count: Int
    /// `--shard-by`, as given.
    public var grouping: String

    public init(migration: String, shard: Shard, grouping: ShardGrouping) {
        self.migration = migration
        index = shard.index
        count = shard.count
        self.grouping = grouping.description
    }

    public var shard: Shard? { try? Shard(index: index, count: count) }
    public var sharding: Sharding { Sharding(count: count, grouping: (try? ShardGrouping(parsing: grouping)) ?? .repository) }
}

public struct ShardError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
