import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// Signatures, SBOMs and attestations travel with their images: artifacts pushed by oras-py
    /// and signatures laid out as cosign lays them, carried by `copy` and `sync` through the
    /// distribution spec's fallback tag (distribution 2.8 has no referrers API) and through the
    /// API of `registry_proxy.py --referrers`, and read back with curl, digest by digest.
    @Suite("referrers", .budget(minutes: 8))
    struct ReferrersTests {
        /// What `oras_artifacts.py` pushed.
        struct Pushed: Decodable {
            var tags: [String]
            var subject: String
            var artifacts: [String: String]

            func digest(_ name: String) throws -> Digest { try Digest(parsing: try #require(artifacts[name], "\(artifacts)")) }
        }

        /// Attaches an SBOM, a signature of it and (with `cosign`) a cosign signature to `subject`
        /// of `host/repository`, untagged as `oras attach` pushes them.
        @discardableResult
        static func attach(_ host: String, _ repository: String, to subject: String, name: String = "sbom",
                           type: String? = nil, signature: Bool = true, cosign: Bool = false, fallback: Bool = true) throws -> Pushed {
            var arguments = ["python3", "\(Paths.fixtures)/oras_artifacts.py", "\(host)/\(repository)", subject, "--untagged",
                             "--name", name]
            if let type { arguments += ["--type", type] }
            if !signature { arguments.append("--no-signature") }
            if cosign { arguments.append("--cosign") }
            if !fallback { arguments.append("--no-fallback") }
            let output = try Shell.check(arguments).stdout
            return try JSONDecoder().decode(Pushed.self, from: Data(output.utf8))
        }

        static func fallbackTag(_ digest: String) -> String { "sha256-" + digest.dropFirst("sha256:".count) }

        /// The digests a fallback index lists, nil when there is no such tag.
        static func fallbackListing(_ host: String, _ repository: String, of subject: String) throws -> Set<Digest>? {
            guard let bytes = try? RegistryContent.manifest(host, repository, fallbackTag(subject)) else { return nil }
            let document = try ManifestDocument(bytes: bytes, contentType: nil, source: fallbackTag(subject))
            guard case .index(let index) = document.content else { Issue.record("the fallback tag is not an index"); return nil }
            return Set(index.manifests.map(\.digest))
        }

        /// The digests a referrers API lists for `subject`.
        static func apiListing(_ host: String, _ repository: String, of subject: String) throws -> Set<Digest> {
            let text = try Shell.check(["curl", "-sf", "http://\(host)/v2/\(repository)/referrers/\(subject)"]).stdout
            let index = try JSONDecoder().decode(ImageIndex.self, from: Data(text.utf8))
            return Set(index.manifests.map(\.digest))
        }

        static func run(_ arguments: [String]) throws -> [String: Any] {
            let result = try CLI.run(arguments + ["--ui", "json"])
            #expect(result.status == 0, "\(result.output)")
            return try #require(CLI.summary(result.stdout), "\(result.output)")
        }

        static func requests(_ summary: [String: Any]) -> Int {
            (summary["requests"] as? [String: Any])?.values.compactMap { ($0 as? NSNumber)?.intValue }.reduce(0, +) ?? 0
        }

        @Test("copy carries an image's SBOM, the SBOM's signature and a cosign signature, digests kept; a no-op sync reads only the referrers tags")
        func signedImage() throws {
            let source = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages()
            try images.push(to: source.reference("team/app"))
            let pushed = try Self.attach(source.host, "team/app", to: "oci-single", cosign: true)

            let first = try Self.run(["copy", source.reference("team/app:oci-single"), destination.reference("mirror/app:oci-single")])
            #expect(first.int("referrers", "copied") == 3, "the SBOM, its signature, the cosign signature: \(first)")
            for name in ["sbom", "sbom-sig", "cosign"] {
                let digest = try pushed.digest(name)
                #expect(try RegistryContent.manifest(destination.host, "mirror/app", digest.description)
                        == (try RegistryContent.manifest(source.host, "team/app", digest.description)), "\(name)")
                try RegistryContent.verify(destination.host, "mirror/app", digest.description)
            }
            // The fallback indexes as the producer wrote them (the destination had none), so
            // clients that read the tag schema find them; the SBOM keeps its subject.
            for tag in pushed.tags {
                #expect(Digest.sha256(of: try RegistryContent.manifest(destination.host, "mirror/app", tag))
                        == Digest.sha256(of: try RegistryContent.manifest(source.host, "team/app", tag)), "\(tag)")
            }
            let sbom = try ManifestDocument(bytes: try RegistryContent.manifest(destination.host, "mirror/app", pushed.digest("sbom").description),
                                            contentType: nil, source: "sbom")
            guard case .image(let artifact) = sbom.content else { Issue.record("the SBOM is not a manifest"); return }
            #expect(artifact.subject?.digest.description == pushed.subject)
            #expect(artifact.artifactType == "application/vnd.example.sbom.v1+json")
            let again = try Self.run(["copy", source.reference("team/app:oci-single"), destination.reference("mirror/app:oci-single")])
            #expect(again.int("referrers", "skipped") == 3 && again.int("referrers", "copied") == 0, "\(again)")
            #expect(again.int("requests", "PUT") == nil && again.int("requests", "POST") == nil, "nothing written: \(again)")

            // Through an OCI layout and back (an air gap): the layout holds the fallback indexes as names.
            let layout = TemporaryDirectory("layout")
            let out = try Self.run(["copy", source.reference("team/app:oci-single"), "oci:\(layout.file("l")):oci-single"])
            #expect(out.int("referrers", "copied") == 3, "\(out)")
            let back = try TestRegistry.start()
            let home = try Self.run(["copy", "oci:\(layout.file("l")):oci-single", back.reference("app:oci-single")])
            #expect(home.int("referrers", "copied") == 3, "\(home)")
            for tag in pushed.tags {
                #expect(Digest.sha256(of: try RegistryContent.manifest(back.host, "app", tag))
                        == Digest.sha256(of: try RegistryContent.manifest(source.host, "team/app", tag)), "\(tag) through the layout")
                try RegistryContent.verify(back.host, "app", tag)
            }

            // A no-op sync: each tag's two HEADs, and at the source the referrers tags (one GET
            // per subject with referrers, one HEAD per cosign tag) and the one referrers API probe.
            let state = TemporaryDirectory("state")
            let sync = ["sync", source.host, "\(destination.host)/synced", "--checkpoint-dir", state.path]
            #expect(try Self.run(sync).int("referrers", "copied") == 3)
            let noop = try Self.run(sync)
            let bare = try Self.run(sync + ["--no-referrers"])
            #expect(noop.int("referrers", "skipped") == 3 && noop.int("tags", "copied") == 0, "\(noop)")
            #expect(bare.int("referrers", "copied") == 0 && bare.int("referrers", "skipped") == 0, "\(bare)")
            let extra = Self.requests(noop) - Self.requests(bare)
            Figures.record("referrers.noop_extra_requests_signed_tag", extra)
            #expect(extra == 4, "the probe, two fallback indexes, one cosign HEAD: \(noop) against \(bare)")
            #expect(noop.int("requests", "PUT") == nil, "nothing written: \(noop)")

            // --verify trusts no record: the destination's fallback indexes are read again.
            let verified = try Self.run(sync + ["--verify"])
            #expect(verified.int("referrers", "skipped") == 3, "\(verified)")
            #expect(Self.requests(verified) > Self.requests(noop), "\(verified) against \(noop)")
        }

        @Test("sync carries the attestation of one platform of an index, next to that platform's manifest")
        func indexAttestations() throws {
            let source = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages()
            try images.push(to: source.reference("team/app"))
            let index = try ManifestDocument(bytes: try RegistryContent.manifest(source.host, "team/app", "oci-multi"), contentType: nil,
                                             source: "oci-multi")
            guard case .index(let list) = index.content, let arm = list.manifests.first(where: { $0.platform?.architecture == "arm64" }) else {
                Issue.record("no arm64 child"); return
            }
            let pushed = try Self.attach(source.host, "team/app", to: arm.digest.description, name: "provenance",
                                         type: "application/vnd.in-toto+json", signature: false)
            let state = TemporaryDirectory("state")
            let result = try CLI.run(["sync", source.host, "\(destination.host)/mirror", "--ui", "json", "--checkpoint-dir", state.path])
            #expect(result.status == 0, "\(result.output)")
            let summary = try #require(CLI.summary(result.stdout), "\(result.output)")
            #expect(summary.int("referrers", "copied") == 1, "\(summary)")
            #expect(summary.int("tags", "copied") == StandardImages.tags.count, "the fallback tag is not a tag of its own: \(summary)")
            #expect(try Self.fallbackListing(destination.host, "mirror/team/app", of: arm.digest.description) == [try pushed.digest("provenance")])
            try RegistryContent.verify(destination.host, "mirror/team/app", Self.fallbackTag(arm.digest.description))

            let again = try CLI.run(["sync", source.host, "\(destination.host)/mirror", "--ui", "json", "--checkpoint-dir", state.path])
            let noop = try #require(CLI.summary(again.stdout), "\(again.output)")
            #expect(noop.int("referrers", "skipped") == 1 && noop.int("tags", "skipped") == StandardImages.tags.count, "\(noop)")
            #expect(noop.int("requests", "GET").map { $0 <= 9 } ?? false,
                    "pings, catalog, two tag lists, the probe, one fallback index; no index read again for its children: \(noop)")
        }

        @Test("two syncs adding referrers to one subject merge the fallback index, keeping one only the destination has")
        func fallbackMerge() throws {
            let source = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages()
            try images.push(to: source.reference("team/app"))
            let first = try Self.attach(source.host, "team/app", to: "oci-single", name: "sbom-1", signature: false)
            let state = TemporaryDirectory("state")
            func sync() throws -> [String: Any] {
                let result = try CLI.run(["sync", source.host, "\(destination.host)/mirror", "--ui", "json", "--checkpoint-dir", state.path])
                #expect(result.status == 0, "\(result.output)")
                return try #require(CLI.summary(result.stdout), "\(result.output)")
            }
            #expect(try sync().int("referrers", "copied") == 1)
            // Someone signs the image at the destination only; then the source gets a second SBOM.
            let local = try Self.attach(destination.host, "mirror/team/app", to: first.subject, name: "local", signature: false)
            let second = try Self.attach(source.host, "team/app", to: "oci-single", name: "sbom-2", signature: false)
            let merged = try sync()
            #expect(merged.int("referrers", "copied") == 1 && merged.int("referrers", "skipped") == 1, "\(merged)")
            let listed = try #require(try Self.fallbackListing(destination.host, "mirror/team/app", of: first.subject))
            #expect(listed == [try first.digest("sbom-1"), try local.digest("local"), try second.digest("sbom-2")], "\(listed)")
            try RegistryContent.verify(destination.host, "mirror/team/app", Self.fallbackTag(first.subject))
            // And nothing is written when nothing is new.
            let noop = try sync()
            #expect(noop.int("referrers", "copied") == 0 && noop.int("requests", "PUT") == nil, "\(noop)")
        }

        @Test("through a referrers API: a destination with the API gets no fallback tag, one without gets it; --referrers-type and --no-referrers")
        func referrersAPI() throws {
            let upstream = try TestRegistry.start()
            let source = try RegistryProxy(upstream: upstream, referrers: true)
            let images = try StandardImages()
            try images.push(to: upstream.reference("team/app"))
            let pushed = try Self.attach(source.host, "team/app", to: "oci-single", fallback: false)
            #expect(try Self.apiListing(source.host, "team/app", of: pushed.subject) == [try pushed.digest("sbom")])
            #expect(try Self.fallbackListing(upstream.host, "team/app", of: pushed.subject) == nil, "the API, not the tag schema")

            let withoutAPI = try TestRegistry.start()
            let copied = try Self.run(["copy", source.reference("team/app:oci-single"), withoutAPI.reference("mirror/app:oci-single")])
            #expect(copied.int("referrers", "copied") == 2, "\(copied)")
            #expect(try Self.fallbackListing(withoutAPI.host, "mirror/app", of: pushed.subject) == [try pushed.digest("sbom")])
            #expect(try Self.fallbackListing(withoutAPI.host, "mirror/app", of: pushed.digest("sbom").description)
                    == [try pushed.digest("sbom-sig")])

            let behind = try TestRegistry.start()
            let withAPI = try RegistryProxy(upstream: behind, referrers: true)
            let carried = try Self.run(["copy", source.reference("team/app:oci-single"), withAPI.reference("mirror/app:oci-single")])
            #expect(carried.int("referrers", "copied") == 2, "\(carried)")
            #expect(try Self.apiListing(withAPI.host, "mirror/app", of: pushed.subject) == [try pushed.digest("sbom")])
            #expect(try Self.apiListing(withAPI.host, "mirror/app", of: pushed.digest("sbom").description) == [try pushed.digest("sbom-sig")])
            #expect(try Self.fallbackListing(behind.host, "mirror/app", of: pushed.subject) == nil, "no fallback tag where the API keeps them")

            let typed = try TestRegistry.start()
            let filtered = try Self.run(["copy", "--referrers-type", "application/vnd.example.sbom.v1+json",
                                         source.reference("team/app:oci-single"), typed.reference("mirror/app:oci-single")])
            #expect(filtered.int("referrers", "copied") == 1, "the SBOM, not its signature: \(filtered)")
            #expect(try Self.fallbackListing(typed.host, "mirror/app", of: pushed.digest("sbom").description) == nil)

            let none = try TestRegistry.start()
            let bare = try Self.run(["copy", "--no-referrers", source.reference("team/app:oci-single"),
                                     none.reference("mirror/app:oci-single")])
            #expect(bare.int("referrers", "copied") == 0, "\(bare)")
            #expect(try Self.fallbackListing(none.host, "mirror/app", of: pushed.subject) == nil)
            #expect(throws: Shell.Failure.self) { try RegistryContent.manifest(none.host, "mirror/app", pushed.digest("sbom").description) }

            let both = try CLI.run(["copy", "--no-referrers", "--referrers-type", "application/x-one", source.reference("team/app:oci-single"),
                                    none.reference("mirror/app:x")])
            #expect(both.status == 2 && both.output.contains("application/x-one"), "\(both.output)")
        }
    }
}
