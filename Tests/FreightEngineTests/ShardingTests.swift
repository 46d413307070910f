import Foundation
@testable import FreightEngine
import FreightCore
import FreightTestSupport
import Testing

@Suite("sharding", .budget(minutes: 1))
struct ShardingTests {
    /// Repository paths of a plausible tree: teams, services, a few deep ones.
    static func paths(_ count: Int, seed: UInt64 = 7) -> [String] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let depth = Int(random.next() % 3) + 1
            return (0..<depth).map { level in "p\(level)-\(random.next() % 40)" }.joined(separator: "/") + "/repo\(index)"
        }
    }

    @Test("I/N parses; a bad one is refused naming the value and what is expected", arguments: [
        ("0/4", 0, 4), ("3/4", 3, 4), ("0/1", 0, 1),
    ])
    func parses(text: String, index: Int, count: Int) throws {
        let shard = try Shard(parsing: text)
        #expect(shard.index == index && shard.count == count)
        #expect(shard.description == text)
        #expect(shard.runID(of: "mirror") == "mirror-shard-\(index)-of-\(count)")
        #expect(shard.runID(of: shard.runID(of: "mirror")) == shard.runID(of: "mirror"), "a shard run's id is kept")
        let parsed = try #require(Shard.parse(runID: shard.runID(of: "team-mirror")))
        #expect(parsed.migration == "team-mirror" && parsed.shard == shard)
    }

    @Test("bad shards name what is wrong", arguments: [
        ("4/4", "0-3"), ("-1/4", "0-3"), ("1/0", "1-10000"), ("a/b", "\"a/b\""), ("1", "\"1\""), ("1/2/3", "\"1/2/3\""),
    ])
    func badShards(text: String, expected: String) {
        let error = #expect(throws: ShardError.self) { try Shard(parsing: text) }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test("an Indexed Job's variables: both or none; one alone is refused")
    func environment() throws {
        #expect(try Shard.fromEnvironment([:]) == nil)
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "5"]) == Shard(index: 2, count: 5))
        let alone = #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"]) }
        #expect(alone?.description.contains("JOB_COMPLETIONS is not") == true)
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETIONS": "5"]) }
        let out = #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "5", "JOB_COMPLETIONS": "5"]) }
        #expect(out?.description.contains("0-4") == true)
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "x", "JOB_COMPLETIONS": "5"]) }
        #expect(Shard.parse(runID: "mirror-shard-4-of-4") == nil, "index out of range")
        #expect(Shard.parse(runID: "mirror") == nil)
    }

    @Test("the shards' union is the whole tree and no repository is in two", arguments: [1, 2, 3, 4, 7, 16])
    func partition(count: Int) {
        let paths = Self.paths(1500)
        let parts = Sharding(count: count).split(paths) { $0 }
        #expect(parts.count == count)
        #expect(parts.flatMap { $0 }.sorted() == paths.sorted())
        #expect(Set(parts.flatMap { $0 }).count == paths.count)
        for (index, part) in parts.enumerated() {
            #expect(part.allSatisfy { Sharding(count: count).shard(of: $0) == index })
        }
    }

    @Test("balanced by count: every shard within 20 % of the mean (5 standard deviations at this size)", arguments: [2, 4, 8])
    func balanced(count: Int) {
        let paths = Self.paths(4000, seed: UInt64(count))
        let sizes = Sharding(count: count).split(paths) { $0 }.map(\.count)
        let mean = Double(paths.count) / Double(count)
        #expect(sizes.allSatisfy { abs(Double($0) - mean) <= 0.2 * mean }, "\(sizes)")
    }

    @Test("stable: a repository added or removed moves no other; one more shard only takes repositories from the others")
    func stable() {
        let paths = Self.paths(800)
        let sharding = Sharding(count: 5)
        let before = Dictionary(uniqueKeysWithValues: paths.map { ($0, sharding.shard(of: $0)) })
        for extra in ["new/one", "p0-1/added", "zzz"] {
            let after = (paths + [extra]).shuffled()
            for path in after where path != extra { #expect(sharding.shard(of: path) == before[path]) }
        }
        let grown = Sharding(count: 6)
        var moved = 0
        for path in paths where grown.shard(of: path) != before[path] {
            moved += 1
            #expect(grown.shard(of: path) == 5, "a repository that moves goes to the new shard")
        }
        #expect(moved > 800 / 12 && moved < 800 / 3, "about 1/6 move: \(moved)")
    }

    @Test("--shard-by prefix keeps a prefix's repositories on one shard")
    func grouping() throws {
        #expect(try ShardGrouping(parsing: "prefix") == .prefix(depth: 1))
        #expect(try ShardGrouping(parsing: "prefix:2") == .prefix(depth: 2))
        #expect(try ShardGrouping(parsing: "repository") == .repository)
        for bad in ["prefix:0", "prefix:x", "team", ""] {
            let error = #expect(throws: ShardError.self) { try ShardGrouping(parsing: bad) }
            #expect(error?.description.contains("\"\(bad)\"") == true)
        }
        #expect(ShardGrouping.prefix(depth: 2).key(of: "a/b/c/d") == "a/b")
        #expect(ShardGrouping.prefix(depth: 3).key(of: "a/b") == "a/b")
        let paths = Self.paths(600)
        let sharding = Sharding(count: 4, grouping: .prefix(depth: 1))
        let byPrefix = Dictionary(grouping: paths) { $0.split(separator: "/")[0] }
        for (_, members) in byPrefix {
            #expect(Set(members.map(sharding.shard(of:))).count == 1)
        }
    }

    static func record(_ runID: String, repositories: [String], prune: Bool = false) throws -> RunRecord {
        let settings = RunSettings(source: try RegistryPrefix(parsing: "src.example/team"),
                                   destination: try RegistryPrefix(parsing: "dst.example/mirror"), jobs: 4)
        var record = RunRecord(runID: runID, createdAt: Date(timeIntervalSince1970: 1_000), source: "src.example/team",
                               destination: "dst.example/mirror", settings: settings,
                               repositories: repositories.map { name in
                                   RepositoryRecord(source: "team/\(name)", destination: "mirror/\(name)",
                                                    tags: ["a", "b"].map { TagRecord(job: TagJob(source: $0, destination: $0)) })
                               })
        if prune {
            var pruning = PruneRecord(repositories: true, maximum: 10)
            pruning.unplanned = repositories.map { PruneRecord.Listed(name: "empty-\($0)", destination: "mirror/empty-\($0)", sourceTags: []) }
            record.prune = pruning
        }
        return record
    }

    @Test("a run narrowed to each shard in turn: together exactly the run, keyed by the path under the source prefix")
    func narrow() throws {
        let names = Self.paths(120)
        let whole = try Self.record("m", repositories: names, prune: true)
        var seen: [String] = [], unplanned: [String] = []
        for index in 0..<3 {
            var part = whole
            part.narrow(to: try Shard(index: index, count: 3), grouping: .repository, migration: "m")
            #expect(part.shard == ShardRecord(migration: "m", shard: try Shard(index: index, count: 3), grouping: .repository))
            #expect(part.repositories.allSatisfy { Sharding(count: 3).shard(of: String($0.source.dropFirst("team/".count))) == index })
            seen += part.repositories.map(\.destination)
            unplanned += part.prune?.unplanned.map(\.name) ?? []
        }
        #expect(seen.sorted() == whole.repositories.map(\.destination).sorted())
        #expect(unplanned.sorted() == (whole.prune?.unplanned.map(\.name) ?? []).sorted(), "each unplanned repository is one shard's to prune")
    }

    @Test("a migration's shards group into one, missing ones counted as not started, the summary the sum of theirs")
    func migration() throws {
        var shards: [RunRecord] = []
        for index in [0, 2] {
            var record = try Self.record("m-shard-\(index)-of-3", repositories: ["r\(index)a", "r\(index)b"])
            record.narrow(to: try Shard(index: index, count: 3), grouping: .repository, migration: "m")
            // narrow keeps what falls to the shard; these records stand for what did.
            record.repositories = try Self.record("x", repositories: ["r\(index)a", "r\(index)b"]).repositories
            record.repositories[0].tags[0].state = .copied
            record.repositories[0].tags[0].digest = Digest.sha256(of: Array("x".utf8))
            record.repositories[0].tags[0].stats.bytes = 1000
            record.updatedAt = Date(timeIntervalSince1970: 1_000 + Double(index) * 10)
            record.state = index == 0 ? .completed : .running
            shards.append(record)
        }
        let other = try Self.record("plain", repositories: ["solo"])
        let listings = (shards + [other]).map { CheckpointStore.Listing(record: $0) }
            + [CheckpointStore.Listing(runID: "m-shard-1-of-3", problem: "is damaged")]
        let groups = Migration.group(listings)
        let migration = try #require(groups.first { $0.name == "m" })
        #expect(groups.contains { $0.name == "plain" && !$0.isSharded })
        #expect(migration.shards.count == 3)
        #expect(migration.state(ofShard: 0) == .completed && migration.state(ofShard: 1) == .notStarted
                && migration.state(ofShard: 2) == .running)
        #expect(migration.problems == ["m-shard-1-of-3: is damaged"])
        let summary = migration.summary
        #expect(summary.runID == "m")
        #expect(summary.status == .interrupted, "a shard has not started")
        #expect(summary.tags.total == 8 && summary.tags.copied == 2)
        #expect(summary.bytesTransferred == 2000)
        #expect(summary.repositories.total == 4)
        #expect(summary.durationSeconds == 20, "first start to last save")
    }

    @Test("following shards: a tag saved since the last reading is a finished tag of its shard's repository; the end is the summary")
    func follower() throws {
        func shard(_ index: Int, _ names: [String]) throws -> RunRecord {
            var record = try Self.record("m-shard-\(index)-of-2", repositories: names)
            record.shard = ShardRecord(migration: "m", shard: try Shard(index: index, count: 2), grouping: .repository)
            return record
        }
        let group = { (records: [RunRecord]) in
            try #require(Migration.group(records.map { CheckpointStore.Listing(record: $0) }).first)
        }
        var first = try shard(0, ["web"])
        let start = try group([first])
        let (opening, over) = MigrationFollower.changes(from: nil, to: start, directory: "/runs")
        #expect(!over)
        #expect(opening.contains { if case .planned(let repositories) = $0 { return repositories.map(\.name) == ["[0/2] web"] }; return false })

        first.repositories[0].tags[0].state = .copied
        first.repositories[0].tags[0].digest = Digest.sha256(of: Array("a".utf8))
        first.repositories[0].tags[0].stats.bytes = 42
        first.updatedAt = first.updatedAt.addingTimeInterval(5)
        let second = try shard(1, ["api"])
        let (changes, _) = MigrationFollower.changes(from: start, to: try group([first, second]), directory: "/runs")
        #expect(changes.contains { if case .tagFinished("[0/2] web", "a", .copied(42, _), _) = $0 { return true }; return false }, "\(changes)")
        #expect(changes.contains { if case .planned(let repositories) = $0 { return repositories.map(\.name) == ["[1/2] api"] }; return false },
                "a shard that started since is planned as it appears")
        #expect(!changes.contains { if case .tagFinished(_, "b", _, _) = $0 { return true }; return false }, "an unchanged tag says nothing")

        var done = [first, second]
        for index in done.indices {
            done[index].state = .completed
            for repository in done[index].repositories.indices {
                for tag in done[index].repositories[repository].tags.indices {
                    done[index].repositories[repository].tags[tag].state = .skipped
                    done[index].repositories[repository].tags[tag].digest = Digest.sha256(of: Array("s".utf8))
                }
            }
        }
        let (ending, finished) = MigrationFollower.changes(from: try group([first, second]), to: try group(done), directory: "/runs")
        #expect(finished)
        guard case .runFinished(let summary) = ending.last else {
            Issue.record("the last event is the summary: \(ending)")
            return
        }
        #expect(summary.status == .completed && summary.tags.total == 4)
    }

    @Test("shards of one pair ending together each add their tags to the replica record; none writes over another's")
    func replicaRecordMerges() throws {
        let directory = TemporaryDirectory("replicas")
        let store = ReplicaStore(checkpointDirectory: directory.path)
        let started = ReplicaRecord(source: "src.example/team", destination: "dst.example/mirror")
        let names = Self.paths(40)
        let whole = try Self.record("m", repositories: names)
        for index in 0..<2 {
            var part = whole
            part.narrow(to: try Shard(index: index, count: 2), grouping: .repository, migration: "m")
            for repository in part.repositories.indices {
                for tag in part.repositories[repository].tags.indices {
                    part.repositories[repository].tags[tag].state = .copied
                    part.repositories[repository].tags[tag].sourceDigest = Digest.sha256(of: Array("\(repository)".utf8))
                    part.repositories[repository].tags[tag].digest = Digest.sha256(of: Array("\(repository)".utf8))
                }
            }
            // Each shard loaded the record when it started: empty, for both.
            try store.update(started) { $0.update(from: part) }
        }
        let saved = try store.load(source: started.source, destination: started.destination)
        #expect(saved.repositories.count == names.count, "every shard's repositories are recorded: \(saved.repositories.count) of \(names.count)")
    }
}
