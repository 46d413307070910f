import Foundation
import FreightCore
import FreightEngine
import FreightTestSupport
import Testing

/// `freightliner sync`, `resume` and `checkpoints` against real registries, verified by skopeo.
@Suite("sync and resume", .budget(minutes: 8))
struct SyncCommandTests {
    /// Two registries (the source's catalog paginates by 2) and the corpus behind a proxy that
    /// paginates tags/list by 10 and can slow blob reads.
    struct Setup {
        let source: TestRegistry
        let destination: TestRegistry
        let proxy: RegistryProxy
        let corpus: SyncCorpus
        let state = TemporaryDirectory("state")

        init(blobDelayMilliseconds: Int = 0, layerSize: Int = 64 * 1024) throws {
            source = try TestRegistry.start(.init(catalogPageSize: 2))
            destination = try TestRegistry.start()
            corpus = try SyncCorpus(pushTo: source, layerSize: layerSize)
            proxy = try RegistryProxy(upstream: source, tagsPageSize: 10, blobDelayMilliseconds: blobDelayMilliseconds)
        }

        var checkpoints: [String] { ["--checkpoint-dir", state.file("runs")] }

        func sync(_ extra: [String] = [], prefix: String = "mirror") throws -> Shell.Result {
            try CLI.run(["sync", proxy.host, "\(destination.host)/\(prefix)", "--ui", "json"] + checkpoints + extra)
        }

        /// A sync (one job, through the slow proxy) sent `signal` once a tag has finished; returns
        /// after it exited, with the file holding its output.
        func syncStopped(runID: String, by signal: Int32) throws -> (process: Process, output: String) {
            let output = state.file("\(runID).out")
            let process = try CLI.start(["sync", proxy.host, "\(destination.host)/mirror", "--ui", "json", "--jobs", "1",
                                         "--run-id", runID] + checkpoints, output: output)
            try waitUntil("a finished tag") { contents(of: output).contains("\"tag_finished\"") }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return (process, output)
        }

        func digest(_ reference: String) throws -> Digest { try Skopeo.digest("\(source.host)/\(reference)") }
        func mirrored(_ reference: String, prefix: String = "mirror") throws -> Digest {
            try Skopeo.digest("\(destination.host)/\(prefix)/\(reference)")
        }
    }

    @Test("a full sync preserves every digest; a second one skips everything and moves 0 bytes")
    func fullSyncThenNoop() throws {
        let setup = try Setup()
        let first = try setup.sync(["--run-id", "full"])
        #expect(first.status == 0, "\(first.output)")
        let summary = try #require(CLI.summary(first.stdout))
        #expect(summary.string("status") == "completed")
        #expect(summary.int("tags", "total") == SyncCorpus.tagCount)
        #expect(summary.int("tags", "copied") == SyncCorpus.tagCount)
        #expect(summary.int("repositories", "completed") == SyncCorpus.layout.count)
        #expect((summary.int("blobs", "mounted") ?? 0) > 0, "the shared base layer is mounted, not uploaded again")
        for reference in SyncCorpus.references {
            #expect(try setup.mirrored(reference) == (try setup.digest(reference)), "\(reference)")
        }
        for reference in ["base/os:1.1", "team/deep/nested/app:list", "team/web:2.0"] {
            let verify = TemporaryDirectory()
            try Skopeo.verifyByCopy("\(setup.destination.host)/mirror/\(reference)", into: verify.file("l"))
        }

        let again = try setup.sync()
        #expect(again.status == 0, "\(again.output)")
        let noop = try #require(CLI.summary(again.stdout))
        #expect(noop.int("tags", "skipped") == SyncCorpus.tagCount)
        #expect(noop.int("bytes_transferred") == 0)
        #expect(noop.int("session", "bytes_transferred") == 0)
        let requests = noop["requests"] as? [String: Int] ?? [:]
        #expect(requests["PUT"] == nil && requests["POST"] == nil && requests["PATCH"] == nil, "a no-op writes nothing: \(requests)")
    }

    @Test("--keep-runs N keeps the newest N finished runs of this source and destination; checkpoints prune removes finished runs, never one with work left")
    func retention() throws {
        let setup = try Setup()
        let stopped = try setup.syncStopped(runID: "unfinished", by: SIGINT)
        #expect(stopped.process.terminationStatus == 3, "\(contents(of: stopped.output))")
        for runID in ["first", "second", "third"] {
            let run = try setup.sync(["--run-id", runID, "--keep-runs", "2"])
            #expect(run.status == 0, "\(run.output)")
        }
        let other = try setup.sync(["--run-id", "elsewhere"], prefix: "other")
        #expect(other.status == 0, "\(other.output)")
        func saved() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: setup.state.file("runs")).filter { !$0.hasPrefix(".") })
        }
        let afterSyncs = try saved()
        #expect(afterSyncs == ["unfinished", "second", "third", "elsewhere"], "another destination's runs and one with work left stay: \(afterSyncs)")

        let refused = try CLI.run(["checkpoints", "prune", "--older-than", "soon"] + setup.checkpoints)
        #expect(refused.status == 2 && refused.stderr.contains("--older-than soon"), "\(refused.output)")
        let neither = try CLI.run(["checkpoints", "prune"] + setup.checkpoints)
        #expect(neither.status == 2 && neither.stderr.contains("--keep"), "\(neither.output)")

        let dry = try CLI.run(["checkpoints", "prune", "--keep", "1", "--dry-run"] + setup.checkpoints)
        #expect(dry.status == 0 && dry.stdout == "would remove run third\nwould remove run second\n", "\(dry.output)")
        #expect(try saved().count == 4)
        let kept = try CLI.run(["checkpoints", "prune", "--older-than", "1d"] + setup.checkpoints)
        #expect(kept.status == 0 && kept.stdout.isEmpty, "every run is newer than a day: \(kept.output)")
        let pruned = try CLI.run(["checkpoints", "prune", "--keep", "0"] + setup.checkpoints)
        #expect(pruned.status == 0, "\(pruned.output)")
        #expect(try saved() == ["unfinished"])
        let resumed = try CLI.run(["resume", "unfinished", "--ui", "json"] + setup.checkpoints)
        #expect(resumed.status == 0, "\(resumed.output)")
    }

    @Test("planning shows as it goes: planning events before run_started, the last one whole, and its time counted in the run's")
    func planningEvents() throws {
        let setup = try Setup()
        // Every request across a slow link: planning (catalog pages, tag list pages) takes seconds.
        let slow = try RegistryProxy(upstream: setup.source, tagsPageSize: 10, requestDelayMilliseconds: 150)
        let result = try CLI.run(["sync", slow.host, "\(setup.destination.host)/mirror", "--ui", "json", "--dry-run"] + setup.checkpoints)
        #expect(result.status == 0, "\(result.output)")
        let lines = CLI.jsonLines(result.stdout)
        let started = try #require(lines.firstIndex { $0.string("event") == "run_started" }, "\(result.stdout)")
        let planning = lines.enumerated().filter { $0.element.string("event") == "planning" }
        #expect(!planning.isEmpty && planning.allSatisfy { $0.offset < started }, "planning events come before the run starts")
        let last = try #require(planning.last?.element)
        #expect(last["done"] as? Bool == true)
        #expect(last.int("repositories") == SyncCorpus.layout.count && last.int("tag_lists_read") == SyncCorpus.layout.count, "\(last)")
        #expect(last.int("tags") == SyncCorpus.tagCount, "\(last)")
        let counts = planning.map { $0.element.int("tag_lists_read") ?? -1 }
        #expect(counts == counts.sorted(), "tag lists read only grow: \(counts)")
        let planningSeconds = try #require(last["seconds"] as? Double)
        #expect(planningSeconds > 0.15, "the catalog alone is a round trip: \(planningSeconds)")
        let summary = try #require(CLI.summary(result.stdout))
        let duration = try #require(summary["duration_seconds"] as? Double)
        #expect(duration >= planningSeconds, "planning counts in the run's duration: \(duration) < \(planningSeconds)")

        // Plain output says how planning went.
        let plain = try CLI.run(["sync", slow.host, "\(setup.destination.host)/mirror", "--ui", "plain", "--dry-run"] + setup.checkpoints)
        #expect(plain.stdout.contains("planned in "), "\(plain.stdout)")
        #expect(plain.stdout.contains("\(SyncCorpus.tagCount) tags"), "\(plain.stdout)")
    }

    @Test("--dry-run reports what would move and writes nothing anywhere")
    func dryRun() throws {
        let setup = try Setup()
        let result = try setup.sync(["--dry-run", "--ui", "plain"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("would copy team/web:2.0"), "\(result.stdout)")
        #expect(result.stdout.contains("dry run:"))
        let catalog = try Shell.check(["curl", "-s", "http://\(setup.destination.host)/v2/_catalog"]).stdout
        #expect(catalog.contains(#""repositories":[]"#), "\(catalog)")
        #expect(!FileManager.default.fileExists(atPath: setup.state.file("runs")), "a dry run saves no checkpoint")
    }

    @Test("include/exclude globs, anchored tag regexes and --latest")
    func filters() throws {
        let setup = try Setup()
        let result = try setup.sync(["--include", "team/**", "--include", "tools/*", "--exclude", "team/api",
                                     "--tags", "1\\..*|0\\.[0-9]+\\.0|list", "--latest", "3"])
        #expect(result.status == 0, "\(result.output)")
        let catalog = try Shell.check(["curl", "-s", "http://\(setup.destination.host)/v2/_catalog"]).stdout
        #expect(catalog.contains("mirror/team/web") && catalog.contains("mirror/tools/many"), "\(catalog)")
        #expect(!catalog.contains("team/api") && !catalog.contains("base/os") && !catalog.contains("zz/last"), "\(catalog)")
        #expect(Set(try Skopeo.tags("\(setup.destination.host)/mirror/team/web")) == ["1.0", "1.1"],
                "2.0 fails --tags; the regex is anchored so it does not match '1\\..*' partially")
        #expect(Set(try Skopeo.tags("\(setup.destination.host)/mirror/tools/many")) == ["0.22.0", "0.21.0", "0.20.0"])
        #expect(!catalog.contains("nested/app"), "'list' is not a semantic version, so --latest leaves it out")

        let bad = try setup.sync(["--tags", "(unclosed"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("(unclosed"), "\(bad.stderr)")
        let badGlob = try setup.sync(["--include", "team/[x"])
        #expect(badGlob.status == 2)
        #expect(badGlob.stderr.contains("team/[x"), "\(badGlob.stderr)")
        let missing = try setup.sync(["--repo", "no/such/repo"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no/such/repo"), "\(missing.stderr)")
    }

    @Test("a source prefix keeps relative paths; --repo without the catalog; --exclude-tags; --force copies what is current")
    func prefixNamedRepositoriesAndForce() throws {
        let setup = try Setup()
        let destination = setup.destination.host
        func prefixed(_ extra: [String] = []) throws -> Shell.Result {
            try CLI.run(["sync", "\(setup.proxy.host)/team", "\(destination)/t", "--ui", "json", "--exclude-tags", "1\\.1|list"]
                        + setup.checkpoints + extra)
        }
        let first = try prefixed()
        #expect(first.status == 0, "\(first.output)")
        var catalog = try Shell.check(["curl", "-s", "http://\(destination)/v2/_catalog"]).stdout
        #expect(catalog.contains("\"t/web\"") && catalog.contains("\"t/api\""), "team/X lands at t/X: \(catalog)")
        #expect(!catalog.contains("t/team") && !catalog.contains("base/os"), "\(catalog)")
        #expect(!catalog.contains("nested"), "its only tag is excluded, so the repository is not created: \(catalog)")
        #expect(Set(try Skopeo.tags("\(destination)/t/web")) == ["1.0", "2.0"], "--exclude-tags is anchored: 1.1 only")
        #expect(try Skopeo.digest("\(destination)/t/web:2.0") == (try setup.digest("team/web:2.0")))

        let current = try #require(CLI.summary(try prefixed().stdout))
        #expect(current.int("tags", "skipped") == 3 && current.int("tags", "copied") == 0)
        let forced = try prefixed(["--force"])
        #expect(forced.status == 0, "\(forced.output)")
        let summary = try #require(CLI.summary(forced.stdout))
        #expect(summary.int("tags", "copied") == 3 && summary.int("tags", "skipped") == 0, "--force copies current tags again")
        #expect((summary.int("blobs", "skipped") ?? 0) > 0, "the blobs are there already: HEADs find them, nothing is uploaded")
        #expect(summary.int("blobs", "copied") == 0)

        // --repo names repositories for registries without a catalog: only those are synced.
        let named = try CLI.run(["sync", setup.proxy.host, "\(destination)/named", "--repo", "base/os", "--repo", "zz/last",
                                 "--ui", "json"] + setup.checkpoints)
        #expect(named.status == 0, "\(named.output)")
        catalog = try Shell.check(["curl", "-s", "http://\(destination)/v2/_catalog"]).stdout
        #expect(catalog.contains("named/base/os") && catalog.contains("named/zz/last"), "\(catalog)")
        #expect(!catalog.contains("named/team") && !catalog.contains("named/tools"), "\(catalog)")
        #expect(CLI.summary(named.stdout)?.int("tags", "copied") == 4)
    }

    /// Four repositories whose images share one big layer, copied at once: the layer is
    /// uploaded once and mounted into the others (never uploaded twice in parallel), however
    /// the tags race.
    @Test("a blob shared by repositories copied at the same time is uploaded once, then mounted")
    func inFlightDedup() throws {
        let source = try TestRegistry.start(), destination = try TestRegistry.start()
        let directory = TemporaryDirectory("shared")
        let builder = try LayoutBuilder(path: directory.file("l"), seed: 41)
        let shared = try builder.layer(.random(3 * 1024 * 1024))
        let names = ["a/one", "b/two", "c/three", "d/four"]
        for (index, name) in names.enumerated() {
            let own = try builder.layer(.text(1000 + index))
            try builder.tag(try builder.image(layers: [shared, own]), name.replacingOccurrences(of: "/", with: "-"))
            try Fixtures.push(layout: directory.file("l"), tag: name.replacingOccurrences(of: "/", with: "-"),
                              to: source.reference("\(name):v1"))
        }
        let state = TemporaryDirectory("state")
        let result = try CLI.run(["sync", source.host, "\(destination.host)/m", "--ui", "json", "--jobs", "8",
                                  "--checkpoint-dir", state.file("runs")])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(CLI.summary(result.stdout))
        // Per image: a config and an own layer (4 x 2 uploads), plus the shared layer once.
        #expect(summary.int("blobs", "copied") == 9, "\(summary)")
        #expect(summary.int("blobs", "mounted") == 3, "\(summary)")
        let uploads = CLI.jsonLines(result.stdout).filter {
            $0.string("event") == "blob_finished" && $0.string("digest") == shared.0.digest.description
        }
        #expect(uploads.filter { $0.string("transfer") == "uploaded" }.count == 1, "\(uploads)")
        for name in names {
            #expect(try Skopeo.digest("\(destination.host)/m/\(name):v1") == (try Skopeo.digest(source.reference("\(name):v1"))))
        }
    }

    /// With `--jobs 1` the one upload slot is held by a blob the source takes seconds to send;
    /// meanwhile other tags' HEADs, manifest reads and manifest puts still go through.
    @Test("HEADs and manifests are not queued behind a slow blob upload")
    func smallRequestsNotStarved() throws {
        let source = try TestRegistry.start(), destination = try TestRegistry.start()
        let directory = TemporaryDirectory("lanes")
        let builder = try LayoutBuilder(path: directory.file("l"), seed: 43)
        try builder.tag(try builder.image(layers: [try builder.layer(.random(256 * 1024))]), "big")
        try builder.tag(try builder.image(layers: [try builder.layer(.text(5000))]), "small")
        try Fixtures.push(layout: directory.file("l"), tag: "big", to: source.reference("a-big/app:v1"))
        try Fixtures.push(layout: directory.file("l"), tag: "small", to: source.reference("b-small/app:v1"), alsoTags: ["v2", "v3", "v4"])
        let state = TemporaryDirectory("state")
        // The small tags are at the destination already, but for v4: it needs a manifest put.
        let first = try CLI.run(["sync", source.host, "\(destination.host)/m", "--include", "b-small/**", "--exclude-tags", "v4",
                                 "--ui", "json", "--checkpoint-dir", state.file("runs")])
        #expect(first.status == 0, "\(first.output)")

        let proxy = try RegistryProxy(upstream: source, blobDelayMilliseconds: 3000)
        let result = try CLI.run(["sync", proxy.host, "\(destination.host)/m", "--jobs", "1", "--ui", "json",
                                  "--checkpoint-dir", state.file("runs")])
        #expect(result.status == 0, "\(result.output)")
        let finished = CLI.jsonLines(result.stdout).filter { $0.string("event") == "tag_finished" }
        #expect(finished.map { $0.string("repository") ?? "" } == ["b-small/app", "b-small/app", "b-small/app", "b-small/app", "a-big/app"],
                "the small repository's four tags finish while the big blob is held back: \(finished)")
        #expect(CLI.summary(result.stdout)?.int("tags", "skipped") == 3)
        #expect(try Skopeo.digest("\(destination.host)/m/b-small/app:v4") == (try Skopeo.digest(source.reference("b-small/app:v1"))))
    }

    /// What a SIGKILL after the last tag's journal record, before the final snapshot, leaves:
    /// every tag done, the run not marked completed. Resuming it finishes it without copying.
    @Test("a run with every tag done but not saved as completed: resume finishes it, moving nothing")
    func resumeOfAnUnfinishedButDoneRun() async throws {
        let setup = try Setup()
        let first = try setup.sync(["--run-id", "almost"])
        #expect(first.status == 0, "\(first.output)")
        let store = CheckpointStore(directory: setup.state.file("runs"))
        var record = try store.load("almost")
        record.state = .interrupted
        let writer = try CheckpointWriter(store: store, runID: "almost")
        try await writer.snapshot(record)
        await writer.close()

        let resumed = try CLI.run(["resume", "almost", "--ui", "json"] + setup.checkpoints)
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try #require(CLI.summary(resumed.stdout), "\(resumed.output)")
        #expect(summary.string("status") == "completed")
        #expect(summary.int("tags", "copied") == SyncCorpus.tagCount, "the run's totals, from its records")
        #expect(summary.int("session", "tags_copied") == 0 && summary.int("session", "bytes_transferred") == 0)
        let requests = summary["requests"] as? [String: Int] ?? [:]
        #expect(requests["PUT"] == nil && requests["POST"] == nil, "\(requests)")
        #expect(try store.load("almost").state == .completed)
        let again = try CLI.run(["resume", "almost", "--ui", "json"] + setup.checkpoints)
        #expect(again.status == 0 && again.stderr.contains("already complete"), "\(again.output)")
        let unchanged = try #require(CLI.summary(again.stdout), "a completed run still ends --ui json with its summary")
        #expect(unchanged.string("status") == "completed" && unchanged.int("tags", "copied") == SyncCorpus.tagCount)
        #expect(unchanged.int("session", "tags_copied") == 0)
    }

    @Test("SIGKILL mid-run, then resume: finishes, redoes nothing that was done, every digest right")
    func killThenResume() throws {
        let setup = try Setup(blobDelayMilliseconds: 40)
        let output = setup.state.file("first.out")
        let process = try CLI.start(["sync", setup.proxy.host, "\(setup.destination.host)/mirror", "--ui", "json", "--jobs", "1",
                                     "--run-id", "killed"] + setup.checkpoints, output: output)
        try waitUntil("five finished tags") { contents(of: output).components(separatedBy: "\"tag_finished\"").count > 5 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = contents(of: output)
        #expect(!before.contains("\"summary\""), "the run must still have been going when killed")
        let finishedBefore = CLI.jsonLines(before).filter { $0.string("event") == "tag_finished" }.count

        let listing = try CLI.run(["checkpoints", "list"] + setup.checkpoints)
        #expect(listing.stdout.contains("killed") && listing.stdout.contains("running"), "\(listing.output)")

        let resumed = try CLI.run(["resume", "--ui", "json"] + setup.checkpoints)
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try #require(CLI.summary(resumed.stdout))
        #expect(summary.string("run_id") == "killed")
        #expect(summary.string("status") == "completed")
        #expect((summary.int("tags", "copied") ?? 0) + (summary.int("tags", "skipped") ?? 0) == SyncCorpus.tagCount)
        let resumedTags = summary.int("session", "tags_copied") ?? 0
        #expect(resumedTags < SyncCorpus.tagCount)
        #expect(resumedTags <= SyncCorpus.tagCount - finishedBefore, "finished tags are never redone")
        let planned = try #require(CLI.jsonLines(resumed.stdout).first { $0.string("event") == "planned" })
        let done = (planned["repositories"] as? [[String: Any]] ?? []).reduce(0) { $0 + (($1["done"] as? Int) ?? 0) }
        #expect(done >= finishedBefore)
        for reference in SyncCorpus.references {
            #expect(try setup.mirrored(reference) == (try setup.digest(reference)), "\(reference)")
        }
    }

    @Test("SIGINT or SIGTERM stops scheduling, exits 3, and leaves a valid checkpoint (0600 in a 0700 directory)",
          arguments: [SIGINT, SIGTERM])
    func interrupt(signal: Int32) throws {
        let setup = try Setup(blobDelayMilliseconds: 40)
        let (process, output) = try setup.syncStopped(runID: "interrupted", by: signal)
        #expect(process.terminationStatus == 3, "\(contents(of: output))")
        let summary = try #require(CLI.summary(contents(of: output)))
        #expect(summary.string("status") == "interrupted")
        #expect((summary.int("tags", "copied") ?? 0) < SyncCorpus.tagCount)

        let show = try CLI.run(["checkpoints", "show", "interrupted"] + setup.checkpoints)
        #expect(show.status == 0, "\(show.output)")
        #expect(show.stdout.contains("state:       interrupted"), "\(show.stdout)")
        let runDirectory = setup.state.file("runs/interrupted")
        let directoryMode = try FileManager.default.attributesOfItem(atPath: runDirectory)[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: "\(runDirectory)/checkpoint")[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
        #expect(fileMode == 0o600)

        // No run id: the newest resumable run is this one.
        let resumed = try CLI.run(["resume", "--ui", "json"] + setup.checkpoints)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(CLI.summary(resumed.stdout)?.string("run_id") == "interrupted")
        for reference in ["team/web:2.0", "zz/last:victim"] {
            #expect(try setup.mirrored(reference) == (try setup.digest(reference)), "\(reference)")
        }
        let again = try CLI.run(["resume", "interrupted"] + setup.checkpoints)
        #expect(again.status == 0)
        #expect(again.stderr.contains("already complete"), "\(again.output)")
    }

    @Test("a truncated, a tampered and a foreign checkpoint are refused, naming the file")
    func damagedCheckpoints() throws {
        let setup = try Setup(blobDelayMilliseconds: 40)
        _ = try setup.syncStopped(runID: "victim", by: SIGINT)
        let path = setup.state.file("runs/victim/checkpoint")
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        try original.prefix(original.count - 40).write(to: URL(fileURLWithPath: path))
        let truncated = try CLI.run(["resume", "victim"] + setup.checkpoints)
        #expect(truncated.status == 2)
        #expect(truncated.stderr.contains(path) && truncated.stderr.contains("truncated"), "\(truncated.stderr)")

        var tampered = original
        let index = tampered.index(tampered.endIndex, offsetBy: -20)
        tampered[index] = tampered[index] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        try tampered.write(to: URL(fileURLWithPath: path))
        let altered = try CLI.run(["resume", "victim"] + setup.checkpoints)
        #expect(altered.status == 2)
        #expect(altered.stderr.contains(path) && altered.stderr.contains("checksum"), "\(altered.stderr)")

        try Data("{\"some\":\"other file\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        let foreign = try CLI.run(["resume", "victim"] + setup.checkpoints)
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("not a freightliner checkpoint"), "\(foreign.stderr)")

        let listing = try CLI.run(["checkpoints", "list"] + setup.checkpoints)
        #expect(listing.stdout.contains("damaged"), "\(listing.stdout)")

        // Without a run id, the damaged run might be the newest: resume names it instead of guessing.
        let newest = try CLI.run(["resume"] + setup.checkpoints)
        #expect(newest.status == 2)
        #expect(newest.stderr.contains(setup.state.file("runs/victim")) && newest.stderr.contains("checkpoints rm victim"),
                "\(newest.stderr)")

        let removed = try CLI.run(["checkpoints", "rm", "victim"] + setup.checkpoints)
        #expect(removed.status == 0, "\(removed.output)")
        #expect(!FileManager.default.fileExists(atPath: setup.state.file("runs/victim")))
        let nothing = try CLI.run(["resume"] + setup.checkpoints)
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("holds no run to resume"), "\(nothing.stderr)")
    }

    @Test("a source tag deleted mid-run is reported as failed; everything else completes (exit 1)")
    func deletedSourceTag() throws {
        let setup = try Setup(blobDelayMilliseconds: 40)
        let victim = try setup.digest("zz/last:victim")
        let output = setup.state.file("run.out")
        let process = try CLI.start(["sync", setup.proxy.host, "\(setup.destination.host)/mirror", "--ui", "json", "--jobs", "1"]
                                    + setup.checkpoints, output: output)
        try waitUntil("the plan") { contents(of: output).contains("\"planned\"") }
        let deleted = try Shell.check(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
                                       "http://\(setup.source.host)/v2/zz/last/manifests/\(victim)"]).stdout
        #expect(deleted == "202")
        process.waitUntilExit()
        let text = contents(of: output)
        #expect(process.terminationStatus == 1, "\(text)")
        let summary = try #require(CLI.summary(text))
        #expect(summary.int("tags", "failed") == 1)
        #expect(summary.int("tags", "copied") == SyncCorpus.tagCount - 1)
        let failures = summary["failures"] as? [[String: Any]] ?? []
        #expect(failures.first?.string("tag") == "victim")
        #expect(failures.first?.string("reason")?.contains("not found") == true, "\(failures)")
        let retries = CLI.jsonLines(text).filter { $0.string("event") == "retrying" }
        #expect(retries.isEmpty, "a 404 at the source is permanent: failed at once, never retried: \(retries)")
        #expect(try setup.mirrored("zz/last:keep") == (try setup.digest("zz/last:keep")))
    }
}
