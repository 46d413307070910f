import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// `--immutable-tags`: a re-sync of an unchanged tree of immutable tags costs the tag
    /// listings and nothing per tag, counted with the summary's `requests`; a moved mutable tag
    /// is still caught, and `--verify` checks everything.
    @Suite("immutable tags", .budget(minutes: 5))
    struct ImmutableTagsTests {
        struct Setup {
            let source = try! TestRegistry.start()
            let destination = try! TestRegistry.start()
            let state = TemporaryDirectory("state")
            let images = try! StandardImages()
            static let releases = ["1.0.0", "1.1.0", "2.0.0"]

            init() throws {
                try images.push(to: source.reference("team/app"))
                try Fixtures.push(layout: images.layout, tag: "oci-single", to: source.reference("team/app:latest"),
                                  alsoTags: Self.releases)
            }

            var tagCount: Int { StandardImages.tags.count + 1 + Self.releases.count }

            func sync(_ extra: [String] = []) throws -> [String: Any] {
                let result = try CLI.run(["sync", source.host, "\(destination.host)/mirror", "--ui", "json",
                                          "--checkpoint-dir", state.path] + extra)
                #expect(result.status == 0, "\(result.output)")
                return try #require(CLI.summary(result.stdout), "\(result.output)")
            }
        }

        @Test("immutable tags recorded and listed cost no request; mutable ones two HEADs each; a moved mutable tag is copied")
        func noRequestPerImmutableTag() throws {
            let setup = try Setup()
            let cold = try setup.sync()
            #expect(cold.int("tags", "copied") == setup.tagCount)

            let plain = try setup.sync()
            #expect(plain.int("requests", "HEAD") == 2 * setup.tagCount, "the floor: two HEADs per tag \(plain)")

            let immutable = try setup.sync(["--immutable-tags", #"\d+\.\d+\.\d+"#])
            #expect(immutable.int("tags", "skipped") == setup.tagCount)
            #expect(immutable.int("requests", "HEAD") == 2 * (setup.tagCount - Setup.releases.count), "\(immutable)")

            // Everything immutable: the catalog, the two tag lists and the pings, nothing per tag.
            let free = try setup.sync(["--immutable-tags", ".*"])
            #expect(free.int("tags", "skipped") == setup.tagCount)
            #expect(free.int("requests", "HEAD") == nil || free.int("requests", "HEAD") == 0, "\(free)")
            #expect((free.int("requests", "GET") ?? 99) <= 8,
                    "/v2/ on each side (HTTPS tried first, then plain HTTP on loopback), the catalog, two tag lists, and once per run whether the source has the referrers API: \(free)")

            // latest moves at the source: it is mutable, so it is checked and copied again.
            try Fixtures.push(layout: setup.images.layout, tag: "docker-single", to: setup.source.reference("team/app:latest"))
            let moved = try setup.sync(["--immutable-tags", #"\d+\.\d+\.\d+"#])
            #expect(moved.int("tags", "copied") == 1, "\(moved)")
            #expect(try Skopeo.digest(setup.destination.reference("mirror/team/app:latest"))
                    == (try Skopeo.digest(setup.source.reference("team/app:latest"))))
        }

        @Test("what is trusted: a moved immutable tag is not seen, --verify sees it; a tag gone from the destination is copied")
        func verifyChecksEverything() throws {
            let setup = try Setup()
            _ = try setup.sync()
            // 1.0.0 breaks its promise and moves.
            try Fixtures.push(layout: setup.images.layout, tag: "docker-single", to: setup.source.reference("team/app:1.0.0"))
            let trusting = try setup.sync(["--immutable-tags", #"\d+\.\d+\.\d+"#])
            #expect(trusting.int("tags", "copied") == 0, "trusted, as documented: \(trusting)")
            let verified = try setup.sync(["--immutable-tags", #"\d+\.\d+\.\d+"#, "--verify"])
            #expect(verified.int("tags", "copied") == 1, "\(verified)")
            #expect(try Skopeo.digest(setup.destination.reference("mirror/team/app:1.0.0"))
                    == (try Skopeo.digest(setup.source.reference("team/app:1.0.0"))))

            // A tag deleted at the destination is not listed there any more: copied again.
            let digest = try Skopeo.digest(setup.destination.reference("mirror/team/app:2.0.0"))
            let other = try Skopeo.digest(setup.destination.reference("mirror/team/app:1.1.0"))
            #expect(digest == other, "1.1.0 and 2.0.0 are one manifest")
            try Shell.check(["curl", "-sf", "-X", "DELETE", "http://\(setup.destination.host)/v2/mirror/team/app/manifests/\(digest)"])
            let refilled = try setup.sync(["--immutable-tags", #"\d+\.\d+\.\d+"#])
            #expect(refilled.int("tags", "copied") == 4, "oci-single, latest, 1.1.0 and 2.0.0 shared the deleted manifest: \(refilled)")
        }
    }
}
