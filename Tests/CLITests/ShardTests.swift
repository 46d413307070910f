import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// A tree split across processes as a Kubernetes Indexed Job splits it: N processes with
    /// `JOB_COMPLETION_INDEX` and `JOB_COMPLETIONS`, one checkpoint directory, real registries;
    /// a shard killed and started again with the same index, as the Job controller would.
    @Suite("shards", .budget(minutes: 5))
    struct ShardTests {
        /// `plan --shards N --json`: each shard's repositories, by name.
        static func plan(_ source: String, shards: Int, _ extra: [String] = []) throws -> (parts: [[String]], object: [String: Any]) {
            let result = try CLI.run(["plan", source, "--shards", "\(shards)", "--json"] + extra)
            #expect(result.status == 0, "\(result.output)")
            let object = try #require(CLI.jsonLines(result.stdout).first, "\(result.output)")
            let parts = try #require(object["shards"] as? [[String: Any]]).map { part in
                (part["repositories"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            }
            return (parts, object)
        }

        /// The distinct blobs of every tag of the corpus, read with skopeo (not with freightliner).
        static func distinctBlobs(_ registry: TestRegistry, repositories: [String]) throws -> [String: Int64] {
            var blobs: [String: Int64] = [:]
            for repository in repositories {
                for tag in SyncCorpus.layout[repository] ?? [] {
                    var pending = ["\(repository):\(tag)"]
                    while let reference = pending.popLast() {
                        let raw = try Skopeo.rawManifest(registry.reference(reference))
                        let object = try #require(try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any])
                        if let children = object["manifests"] as? [[String: Any]] {
                            pending += children.compactMap { $0["digest"] as? String }.map { "\(repository)@\($0)" }
                            continue
                        }
                        for descriptor in [object["config"] as? [String: Any]].compactMap({ $0 }) + (object["layers"] as? [[String: Any]] ?? []) {
                            blobs[descriptor["digest"] as! String] = (descriptor["size"] as? NSNumber)?.int64Value
                        }
                    }
                }
            }
            return blobs
        }

        @Test("plan --shards: the union is the tree, no repository twice, sizes as skopeo reads them; one added repository moves nothing else")
        func planSplitsTheTree() throws {
            let source = try TestRegistry.start()
            _ = try SyncCorpus(pushTo: source)
            let (parts, object) = try Self.plan(source.host, shards: 3)
            let all = parts.flatMap { $0 }
            #expect(all.sorted() == SyncCorpus.layout.keys.sorted())
            #expect(Set(all).count == all.count, "no repository in two shards: \(parts)")

            let shards = try #require(object["shards"] as? [[String: Any]])
            for shard in shards {
                for row in shard["repositories"] as? [[String: Any]] ?? [] {
                    let name = row["name"] as? String ?? ""
                    #expect(row["tags"] as? Int == SyncCorpus.layout[name]?.count, "\(row)")
                    let bytes = try Self.distinctBlobs(source, repositories: [name]).values.reduce(0, +)
                    #expect((row["bytes"] as? NSNumber)?.int64Value == bytes, "\(name): \(row)")
                }
                let members = (shard["repositories"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect((shard["bytes"] as? NSNumber)?.int64Value == (try Self.distinctBlobs(source, repositories: members).values.reduce(0, +)))
            }
            let total = try #require(object["total"] as? [String: Any])
            let tree = try Self.distinctBlobs(source, repositories: Array(SyncCorpus.layout.keys)).values.reduce(0, +)
            #expect(total.int("tags") == SyncCorpus.tagCount)
            #expect((total["bytes"] as? NSNumber)?.int64Value == tree)
            let across = shards.reduce(Int64(0)) { $0 + (($1["bytes"] as? NSNumber)?.int64Value ?? 0) }
            #expect((total["shared_bytes"] as? NSNumber)?.int64Value == across - tree)

            // A repository comes: it alone is new, every other stays on its shard.
            let images = try StandardImages()
            try Fixtures.push(layout: images.layout, tag: "oci-single", to: source.reference("added/new:1"))
            let (grown, _) = try Self.plan(source.host, shards: 3)
            for (index, part) in grown.enumerated() {
                #expect(part.filter { $0 != "added/new" } == parts[index], "shard \(index) kept its repositories")
            }
            #expect(grown.flatMap { $0 }.contains("added/new"))

            // Grouped by their first component, team/* stay together.
            let (grouped, _) = try Self.plan(source.host, shards: 3, ["--shard-by", "prefix", "--no-sizes"])
            #expect(grouped.filter { $0.contains("team/web") || $0.contains("team/api") || $0.contains("team/deep/nested/app") }.count == 1)

            let plain = try CLI.run(["plan", source.host, "--shards", "2"])
            #expect(plain.status == 0 && plain.stdout.contains("shard 0/2 (shard-0-of-2)") && plain.stdout.contains("uploaded across shards"),
                    "\(plain.output)")
        }

        @Test("three shards by index on one checkpoint directory, one killed and started again: the destination as one sync makes it")
        func indexedShards() throws {
            let upstream = try TestRegistry.start()
            let destination = try TestRegistry.start()
            _ = try SyncCorpus(pushTo: upstream, layerSize: 16 * 1024)
            // Blob reads held, so the kill lands with tags finished and tags to go.
            let source = try RegistryProxy(upstream: upstream, blobDelayMilliseconds: 150)
            let directory = TemporaryDirectory("shards")
            let state = directory.file("runs")
            let (parts, _) = try Self.plan(upstream.host, shards: 3, ["--no-sizes"])
            let tagsOf = parts.map { $0.reduce(0) { $0 + (SyncCorpus.layout[$1]?.count ?? 0) } }
            let victim = tagsOf.indices.max { tagsOf[$0] < tagsOf[$1] }!

            func start(_ index: Int, _ name: String) throws -> Process {
                try CLI.start(["sync", source.host, "\(destination.host)/mirror", "--run-id", "mig", "--checkpoint-dir", state,
                               "--ui", "json", "--jobs", "1"],
                              environment: ["JOB_COMPLETION_INDEX": "\(index)", "JOB_COMPLETIONS": "3"], output: directory.file(name))
            }
            func finished(_ name: String) -> [[String: Any]] {
                CLI.jsonLines(contents(of: directory.file(name))).filter { $0["event"] as? String == "tag_finished" }
            }
            var processes = try (0..<3).map { try start($0, "shard-\($0).json") }
            defer { processes.forEach(CLI.reap) }
            try waitUntil(timeout: 60, "shard \(victim) finished two tags") { finished("shard-\(victim).json").count >= 2 }

            kill(processes[victim].processIdentifier, SIGKILL)
            processes[victim].waitUntilExit()

            // Another process sees every shard before the migration ends, reading checkpoints only.
            let watching = try CLI.run(["status", state, "--ui", "json"])
            let live = try #require(CLI.jsonLines(watching.stdout).first, "\(watching.output)")
            #expect(live["migration"] as? String == "mig")
            #expect((live["shards"] as? [[String: Any]])?.count == 3, "\(live)")
            #expect(watching.status == 3, "not finished yet: \(watching.output)")

            // An operator on the bastion host watches every shard in one dashboard: running, as
            // the killed shard has tags to go.
            let home = TemporaryDirectory("watch-home")
            let watch = try TmuxSession(width: 120, height: 40, command: [Paths.binary, "dashboard", "mig", "--checkpoint-dir", state],
                                        environment: DashboardTests.environment(home))
            let shown = parts.indices.filter { !parts[$0].isEmpty }.map { "[\($0)/3]" }
            try watch.waitForScreen("every shard's repositories") { screen in shown.allSatisfy(screen.contains) && screen.contains("RUNNING") }
            let before = finished("shard-\(victim).json").count
            #expect(before < tagsOf[victim], "killed before its end")
            #expect(contents(of: directory.file("shard-\(victim).json")).contains("JOB_COMPLETION_INDEX=\(victim), JOB_COMPLETIONS=3"),
                    "the first line says where the shard came from")

            // The Job controller starts the index again with the same command.
            processes[victim] = try start(victim, "again.json")
            for process in processes { #expect(try CLI.waitForExit(process, timeout: 120) == 0) }
            let again = contents(of: directory.file("again.json"))
            #expect(again.contains("continuing it from its checkpoint"), "\(again)")
            let resumed = try #require(CLI.summary(again), "\(again)")
            #expect((resumed.int("session", "tags_copied") ?? 99) <= tagsOf[victim] - before, "finished tags are not redone: \(resumed)")

            // No repository was written by two shards, and together they wrote the tree.
            var owner: [String: Int] = [:]
            for (index, name) in [(0, "shard-0.json"), (1, "shard-1.json"), (2, "shard-2.json"), (victim, "again.json")] {
                for event in finished(name) {
                    let repository = event["repository"] as? String ?? ""
                    #expect(owner[repository, default: index] == index, "\(repository) copied by shards \(owner[repository]!) and \(index)")
                    owner[repository] = index
                }
            }
            #expect(Set(owner.keys) == Set(SyncCorpus.layout.keys), "\(owner)")
            for reference in SyncCorpus.references {
                #expect(try Skopeo.digest(destination.reference("mirror/\(reference)")) == (try Skopeo.digest(upstream.reference(reference))),
                        "\(reference)")
            }

            let final = try watch.waitForScreen("the migration complete", timeout: 30) { $0.contains("COMPLETED") }
            #expect(final.contains("\(SyncCorpus.tagCount)/\(SyncCorpus.tagCount)"), "every shard's tags add up:\n\(final)")
            try watch.send("j")
            try watch.send("r")
            try watch.waitForScreen("how to restart the selected shard") { $0.contains("is the Job's index") }
            try watch.send("q")
            #expect(try watch.waitForExit() == 0)

            let status = try CLI.run(["status", state, "--migration", "mig", "--ui", "json"])
            #expect(status.status == 0, "\(status.output)")
            let combined = try #require(CLI.jsonLines(status.stdout).first)
            #expect(combined.string("status") == "completed")
            // A tag whose manifest the killed shard pushed before its journal entry is found
            // current on the restart: skipped, not copied again (two tags were in flight at most).
            let copied = combined.int("tags", "copied") ?? 0, skipped = combined.int("tags", "skipped") ?? 0
            #expect(combined.int("tags", "total") == SyncCorpus.tagCount && copied + skipped == SyncCorpus.tagCount && skipped <= 2,
                    "\(combined)")
            #expect(combined.int("tags", "failed") == 0)
            #expect(combined.int("repositories", "total") == SyncCorpus.layout.count)
            let plain = try CLI.run(["status", state])
            #expect(plain.stdout.contains("migration:   mig (3 shards)") && plain.stdout.contains("\(SyncCorpus.tagCount)/\(SyncCorpus.tagCount) tags"),
                    "\(plain.output)")
            let listed = try CLI.run(["checkpoints", "list", "--checkpoint-dir", state])
            #expect(listed.stdout.contains("mig (3 shards)"), "\(listed.output)")

            // A finished shard started again has nothing to do, and says so the way a run ends.
            let repeated = try CLI.run(["sync", source.host, "\(destination.host)/mirror", "--run-id", "mig", "--checkpoint-dir", state,
                                        "--ui", "json", "--shard", "0/3"])
            #expect(repeated.status == 0, "\(repeated.output)")
            #expect(CLI.summary(repeated.stdout)?.string("status") == "completed", "\(repeated.output)")
        }

        @Test("a job file's run split in two: each shard takes its part of every job, together all of them")
        func jobFileShards() throws {
            let source = try TestRegistry.start()
            let destination = try TestRegistry.start()
            _ = try SyncCorpus(pushTo: source)
            let directory = TemporaryDirectory("job-shards")
            let file = try JobFileTests.write("""
                version: 1
                jobs:
                  - { name: team, source: "\(source.host)/team", destination: "\(destination.host)/t" }
                  - { name: tools, source: "\(source.host)/tools", destination: "\(destination.host)/x" }
                """, in: directory)
            let state = directory.file("runs")
            var copied = 0
            for index in 0..<2 {
                let result = try CLI.run(["run", file, "--shard", "\(index)/2", "--run-id", "jobs", "--ui", "json", "--checkpoint-dir", state])
                #expect(result.status == 0, "\(result.output)")
                #expect(result.stderr.contains("shard \(index)/2 of migration jobs: run jobs-shard-\(index)-of-2"), "\(result.stderr)")
                #expect(result.stderr.contains("shard \(index)/2 takes "), "what the shard took: \(result.stderr)")
                copied += CLI.summary(result.stdout)?.int("tags", "copied") ?? 0
            }
            let team = SyncCorpus.layout.filter { $0.key.hasPrefix("team/") }, tools = SyncCorpus.layout.filter { $0.key.hasPrefix("tools/") }
            #expect(copied == (team.values.map(\.count) + tools.values.map(\.count)).reduce(0, +))
            for (repository, tags) in team {
                for tag in tags {
                    let target = "t/" + repository.dropFirst("team/".count) + ":\(tag)"
                    #expect(try Skopeo.digest(destination.reference(target)) == (try Skopeo.digest(source.reference("\(repository):\(tag)"))))
                }
            }
            let status = try CLI.run(["status", state, "--ui", "json"])
            #expect(status.status == 0 && CLI.jsonLines(status.stdout).first?.string("status") == "completed", "\(status.output)")
        }

        @Test("bad shards are refused before any request, naming the value", arguments: [
            (["sync", "127.0.0.1:1", "127.0.0.1:2/m", "--shard", "3/3", "--run-id", "m"], [:], "--shard 3/3"),
            (["sync", "127.0.0.1:1", "127.0.0.1:2/m", "--shard", "0/2"], [:], "needs --run-id"),
            (["sync", "127.0.0.1:1", "127.0.0.1:2/m", "--run-id", "m"], ["JOB_COMPLETION_INDEX": "1"], "JOB_COMPLETIONS is not"),
            (["sync", "127.0.0.1:1", "127.0.0.1:2/m", "--shard-by", "team"], [:], "--shard-by team"),
            (["resume", "--shard", "1/2"], [:], "needs RUN_ID"),
            (["plan", "127.0.0.1:1", "--shards", "0"], [:], "--shards 0"),
        ] as [([String], [String: String], String)])
        func badInput(arguments: [String], environment: [String: String], expected: String) throws {
            let result = try CLI.run(arguments, environment: environment)
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains(expected), "\(result.output)")
        }
    }
}
