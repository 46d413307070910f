import FreightCore
import FreightRegistry

/// A tree's plan split into shards, with what each costs: for `freightliner plan --shards`.
public struct ShardPlan: Sendable {
    public struct Repository: Sendable {
        /// Relative to the source prefix.
        public var name: String
        public var tags: Int
        /// The distinct blobs (configs and layers, every platform) of its tags, bytes.
        public var bytes: Int64
    }

    public struct Part: Sendable {
        public var shard: Shard
        public var repositories: [Repository]
        public var tags: Int { repositories.reduce(0) { $0 + $1.tags } }
        /// What the shard uploads at most: its distinct blobs (a blob shared by two of its
        /// repositories is mounted, not uploaded again).
        public var bytes: Int64
    }

    public var parts: [Part]
    /// What one unsharded run uploads at most: the tree's distinct blobs.
    public var treeBytes: Int64
    /// Tags whose manifests could not be read (gone since the listing), left out of the sizes.
    public var unreadable: [String]
    /// Whether sizes were read at all.
    public var sized: Bool

    /// Bytes the split costs over one run: blobs shared by shards are uploaded by each.
    public var sharedBytes: Int64 { parts.reduce(0) { $0 + $1.bytes } - treeBytes }

    /// Splits `repositories` (as planned, paths relative to the source prefix) and, with
    /// `sizes`, reads every tag's manifests (`lanes` at a time) to size each part.
    public static func make(repositories: [(name: String, repository: any ImageRepository, tags: [String])], sharding: Sharding,
                            sizes: Bool, lanes: Int = 16) async throws -> ShardPlan {
        var footprints: [[[Digest: Int64]]] = repositories.map { Array(repeating: [:], count: $0.tags.count) }
        var unreadable: [String] = []
        if sizes {
            let lane = AsyncSemaphore(permits: max(1, lanes))
            let results = try await withThrowingTaskGroup(of: (Int, Int, [Digest: Int64]?).self) { group in
                for (index, entry) in repositories.enumerated() {
                    for (tagIndex, tag) in entry.tags.enumerated() {
                        group.addTask {
                            try await lane.withPermit {
                                do {
                                    return (index, tagIndex, try await footprint(of: tag, in: entry.repository))
                                } catch let error as RegistryError where error.isNotFound {
                                    return (index, tagIndex, nil)
                                }
                            }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (index, tagIndex, blobs) in results {
                if let blobs {
                    footprints[index][tagIndex] = blobs
                } else {
                    unreadable.append("\(repositories[index].name):\(repositories[index].tags[tagIndex])")
                }
            }
        }
        func distinct(_ sets: [[Digest: Int64]]) -> Int64 {
            var all: [Digest: Int64] = [:]
            for set in sets { all.merge(set) { first, _ in first } }
            return all.values.reduce(0, +)
        }
        let split = sharding.split(Array(repositories.indices)) { repositories[$0].name }
        let parts = split.enumerated().map { shard, members in
            Part(shard: try! Shard(index: shard, count: sharding.count),
                 repositories: members.map { Repository(name: repositories[$0].name, tags: repositories[$0].tags.count,
                                                        bytes: distinct(footprints[$0])) },
                 bytes: distinct(members.flatMap { footprints[$0] }))
        }
        return ShardPlan(parts: parts, treeBytes: distinct(footprints.flatMap { $0 }), unreadable: unreadable.sorted(), sized: sizes)
    }

    /// The blobs a tag's image holds: its config and layers, and for an index those of every
    /// platform's manifest.
    static func footprint(of reference: String, in repository: any ImageRepository) async throws -> [Digest: Int64] {
        var blobs: [Digest: Int64] = [:]
        var pending = [reference], seen = Set<String>()
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            switch try await repository.manifest(next).content {
            case .image(let image):
                blobs[image.config.digest] = image.config.size
                for layer in image.layers { blobs[layer.digest] = layer.size }
            case .index(let index):
                pending += index.manifests.map(\.digest.description)
            }
        }
        return blobs
    }
}
