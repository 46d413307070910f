import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// `sync --prune` against real registries: exactly the vanished tags go; nothing goes when a
    /// listing was not whole or more than `--prune-max` would; a registry that refuses deletes
    /// is said once; a prune killed half way resumes without repeating a deletion.
    @Suite("prune", .budget(minutes: 5))
    struct PruneTests {
        struct Setup {
            let source = try! TestRegistry.start()
            let destination: TestRegistry
            let state = TemporaryDirectory("state")
            let directory = TemporaryDirectory("prune")
            let layout: String
            /// Tags of `team/app`, each its own manifest.
            static let tags = ["1", "2", "3", "4", "5"]

            init(destination options: TestRegistry.Options = .init()) throws {
                destination = try TestRegistry.start(options)
                layout = directory.file("l")
                let builder = try LayoutBuilder(path: layout, seed: 31)
                for tag in Self.tags + ["elsewhere"] {
                    try builder.tag(try builder.simpleImage(layerCount: 1, layerSize: 1024, label: tag), tag)
                }
                for tag in Self.tags { try Fixtures.push(layout: layout, tag: tag, to: source.reference("team/app:\(tag)")) }
                try Fixtures.push(layout: layout, tag: "1", to: source.reference("team/lib:1"))
            }

            func sync(_ extra: [String], to target: String? = nil, via host: String? = nil) throws -> Shell.Result {
                try CLI.run(["sync", host ?? source.host, target ?? "\(destination.host)/mirror", "--ui", "json",
                             "--checkpoint-dir", state.path] + extra)
            }

            /// Deletes a tag's manifest at the source (distribution deletes manifests, not tags).
            func vanish(_ tag: String, in repository: String = "team/app") throws {
                let digest = try Skopeo.digest(source.reference("\(repository):\(tag)"))
                try Shell.check(["curl", "-sf", "-X", "DELETE", "http://\(source.host)/v2/\(repository)/manifests/\(digest)"])
            }

            func destinationTags(_ repository: String) throws -> Set<String> {
                Set((try? Skopeo.tags(destination.reference(repository))) ?? [])
            }
        }

        @Test("exactly the tags the source no longer has go, and with --prune-repos the repositories it never had; --dry-run lists them")
        func prunesVanishedTags() throws {
            let setup = try Setup()
            #expect(try setup.sync([]).status == 0)
            try setup.vanish("2")
            try setup.vanish("4")
            // At the destination only: a tag the source never had, and a stray repository.
            try Fixtures.push(layout: setup.layout, tag: "elsewhere", to: setup.destination.reference("mirror/team/app:extra"))
            try Fixtures.push(layout: setup.layout, tag: "3", to: setup.destination.reference("mirror/stray/app:1"))

            let dry = try setup.sync(["--prune", "--prune-repos", "--dry-run"])
            #expect(dry.status == 0, "\(dry.output)")
            let listed = CLI.jsonLines(dry.stdout).filter { $0.string("event") == "tag_pruned" }
            #expect(Set(listed.map { "\($0.string("repository") ?? ""):\($0.string("tag") ?? "")" })
                    == ["team/app:2", "team/app:4", "team/app:extra", "stray/app:1"], "\(dry.stdout)")
            #expect(listed.allSatisfy { $0["dry_run"] as? Bool == true })
            #expect(try setup.destinationTags("mirror/team/app") == Set(Setup.tags + ["extra"]), "a dry run deletes nothing")

            let result = try setup.sync(["--prune", "--prune-repos"])
            #expect(result.status == 0, "\(result.output)")
            #expect(CLI.summary(result.stdout)?.int("pruned", "deleted") == 4, "\(result.stdout)")
            #expect(try setup.destinationTags("mirror/team/app") == ["1", "3", "5"])
            #expect(try setup.destinationTags("mirror/stray/app").isEmpty)
            #expect(try setup.destinationTags("mirror/team/lib") == ["1"], "a repository the source has is left alone")
        }

        @Test("nothing is pruned when the source listing was not whole, or more than --prune-max would go")
        func safeByConstruction() throws {
            let setup = try Setup()
            #expect(try setup.sync([]).status == 0)
            try setup.vanish("2")
            try setup.vanish("3")

            // team/lib vanishes while listed: its tag list answers 404 after the catalog named it.
            let proxy = try RegistryProxy(upstream: setup.source, answers: ["GET:^/v2/team/lib/tags/list$:404"])
            let partial = try setup.sync(["--prune"], via: proxy.host)
            #expect(partial.status == 1, "\(partial.output)")
            #expect(partial.stdout.contains("the source listing was not whole"), "\(partial.stdout)")
            #expect(try setup.destinationTags("mirror/team/app") == Set(Setup.tags))

            let capped = try setup.sync(["--prune", "--prune-max", "1"])
            #expect(capped.status == 1, "\(capped.output)")
            #expect(capped.stdout.contains("2 tags would be deleted, more than --prune-max 1") && capped.stdout.contains("--prune-max 2"),
                    "\(capped.stdout)")
            #expect(try setup.destinationTags("mirror/team/app") == Set(Setup.tags))

            let allowed = try setup.sync(["--prune", "--prune-max", "2"])
            #expect(allowed.status == 0, "\(allowed.output)")
            #expect(try setup.destinationTags("mirror/team/app") == ["1", "4", "5"])
        }

        @Test("a vanished tag that names the same manifest as a tag that stays is kept, with the reason (distribution deletes manifests)")
        func sharedManifest() throws {
            let setup = try Setup()
            #expect(try setup.sync([]).status == 0)
            try Fixtures.push(layout: setup.layout, tag: "1", to: setup.destination.reference("mirror/team/app:alias"))
            let result = try setup.sync(["--prune"])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.stdout.contains("tag 1, which stays, names the same manifest"), "\(result.stdout)")
            #expect(try setup.destinationTags("mirror/team/app") == Set(Setup.tags + ["alias"]))
        }

        @Test("a destination that refuses deletes is said once, not once per tag")
        func refusedDeletes() throws {
            let setup = try Setup(destination: { var options = TestRegistry.Options(); options.deletes = false; return options }())
            #expect(try setup.sync([]).status == 0)
            for tag in ["1", "2", "3"] { try setup.vanish(tag) }
            let result = try setup.sync(["--prune"])
            #expect(result.status == 1, "\(result.output)")
            let warnings = CLI.jsonLines(result.stdout).filter { $0.string("event") == "warning" }.compactMap { $0.string("message") }
            #expect(warnings.filter { $0.contains("refuses deletes") }.count == 1, "\(warnings)")
            #expect(warnings.contains { $0.contains("UNSUPPORTED") }, "\(warnings)")
        }

        @Test("a prune killed half way resumes without repeating a deletion or forgetting one")
        func killedMidPrune() throws {
            let setup = try Setup()
            #expect(try setup.sync([], to: "\(setup.destination.host)/mirror").status == 0)
            for tag in ["1", "2", "3", "4"] { try setup.vanish(tag) }
            let proxy = try RegistryProxy(upstream: setup.destination, deleteDelayMilliseconds: 700)
            let output = setup.directory.file("run.out")
            let run = try CLI.start(["sync", setup.source.host, "\(proxy.host)/mirror", "--prune", "--ui", "json", "--run-id", "prune-kill",
                                     "--checkpoint-dir", setup.state.path], output: output)
            try waitUntil(timeout: 60, "a first deletion") { contents(of: output).contains("\"tag_pruned\"") }
            kill(run.processIdentifier, SIGKILL)
            run.waitUntilExit()
            let deletedBefore = CLI.jsonLines(contents(of: output)).filter { $0.string("event") == "tag_pruned" }.count
            #expect(deletedBefore >= 1 && deletedBefore < 4, "killed half way: \(deletedBefore) of 4")

            let resumed = try CLI.run(["resume", "prune-kill", "--ui", "json", "--checkpoint-dir", setup.state.path])
            #expect(resumed.status == 0, "\(resumed.output)")
            let deletedAfter = CLI.jsonLines(resumed.stdout).filter { $0.string("event") == "tag_pruned" }.count
            #expect(deletedBefore + deletedAfter >= 4, "none forgotten")
            #expect(try setup.destinationTags("mirror/team/app") == ["5"])
            // One probe by tag (distribution deletes manifests only), one DELETE per manifest,
            // and at most one more: the deletion in flight when the first session was killed.
            let deletes = try proxy.stats().requests["DELETE"] ?? 0
            #expect(deletes <= 1 + 4 + 1 + 1, "no deletion repeated: \(deletes) DELETE requests")
        }
    }
}
