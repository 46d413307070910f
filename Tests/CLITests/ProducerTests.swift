import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// Images as real tools make them (buildah, podman, skopeo, oras-py), synced and copied, then
    /// read back by tools that did not write them: skopeo (digests with `inspect --raw`, every blob
    /// with `skopeo copy`), umoci for layouts, and curl for artifacts skopeo cannot pull.
    @Suite("images made by real tools", .budget(minutes: 10))
    struct ProducerTests {
        /// One source registry filled by the producers, shared read-only by every test here.
        final class Source: Sendable {
            let registry: TestRegistry
            let buildah: Buildah
            /// Tags of `buildah/app`: one image in every format and compression buildah pushes.
            static let variants: [(tag: String, format: Buildah.Format, compression: Buildah.Compression)] = [
                ("oci-gzip", .oci, .gzip), ("oci-zstd", .oci, .zstd), ("oci-zstd-chunked", .oci, .zstdChunked),
                ("oci-none", .oci, .none), ("docker-gzip", .docker, .gzip), ("docker-none", .docker, .none),
            ]
            /// Tags of `buildah/multi`, all one two-platform list, as releases are tagged, and two
            /// indexes whose child is that list.
            static let releaseTags = ["latest", "stable", "1", "1.0.0"]
            static let nestedTags = ["nested", "nested-1"]
            /// Tags oras-py pushed into `buildah/app`: artifacts and their referrers fallback indexes.
            let artifactTags: [String]

            init() throws {
                registry = try TestRegistry.start()
                buildah = try Buildah()
                var random = SplitMix64(seed: 12)
                for architecture in ["amd64", "arm64", "s390x"] {
                    try buildah.image("app-\(architecture)", architecture: architecture, files: [
                        "/etc/motd": Array("made by buildah for \(architecture)\n".utf8),
                        "/srv/data.bin": random.bytes(150_000),
                        "/srv/notes.txt": Array(String(repeating: "text compresses well; ", count: 4000).utf8),
                    ])
                }
                for variant in Self.variants {
                    try buildah.push("app-amd64", to: registry.reference("buildah/app:\(variant.tag)"), format: variant.format,
                                     compression: variant.compression)
                }
                try buildah.pushList("multi", of: ["app-amd64", "app-arm64"], to: registry.reference("buildah/multi:latest"))
                try buildah.pushList("multi-docker", of: ["app-amd64", "app-arm64"], to: registry.reference("buildah/multi:docker"),
                                     format: .docker)
                try buildah.pushList("three", of: ["app-amd64", "app-arm64", "app-s390x"], to: registry.reference("buildah/three:1.0"))
                let list = try Skopeo.rawManifest(registry.reference("buildah/multi:latest"))
                for tag in Self.releaseTags.dropFirst() { try Self.put(list, as: MediaType.ociIndex, into: registry, at: "buildah/multi", tag) }
                let nested = ImageIndex(mediaType: MediaType.ociIndex, manifests: [
                    Descriptor(mediaType: MediaType.ociIndex, digest: Digest.sha256(of: list), size: Int64(list.count)),
                ])
                for tag in Self.nestedTags {
                    try Self.put(try ManifestDocument(encoding: .index(nested)).bytes, as: MediaType.ociIndex, into: registry,
                                 at: "buildah/multi", tag)
                }
                let pushed = try Shell.check(["python3", "\(Paths.fixtures)/oras_artifacts.py", registry.reference("buildah/app"), "oci-gzip"])
                struct Pushed: Decodable { var tags: [String] }
                artifactTags = try JSONDecoder().decode(Pushed.self, from: Data(pushed.stdout.utf8)).tags
            }

            /// PUTs a manifest's exact bytes under a tag.
            static func put(_ bytes: [UInt8], as mediaType: String, into registry: TestRegistry, at repository: String, _ tag: String) throws {
                let file = TemporaryDirectory()
                try Data(bytes).write(to: URL(fileURLWithPath: file.file("m")))
                try Shell.check(["curl", "-sf", "-X", "PUT", "-H", "Content-Type: \(mediaType)", "--data-binary", "@\(file.file("m"))",
                                 "http://\(registry.host)/v2/\(repository)/manifests/\(tag)"])
            }

            static let shared = Result { try Source() }
        }

        static func source() throws -> Source { try Source.shared.get() }

        /// Every tag's manifest at the destination has the source's digest.
        static func expectSameDigests(_ source: TestRegistry, _ from: String, _ destination: TestRegistry, _ to: String,
                                      tags: [String]) throws {
            for tag in tags {
                #expect(try Skopeo.digest(destination.reference("\(to):\(tag)")) == (try Skopeo.digest(source.reference("\(from):\(tag)"))),
                        "\(to):\(tag)")
            }
        }

        @Test("buildah images in OCI and Docker format, gzip, zstd, zstd:chunked and uncompressed, and lists, sync with every digest kept")
        func buildahImages() throws {
            let source = try Self.source()
            let destination = try TestRegistry.start()
            let state = TemporaryDirectory("state")
            let result = try CLI.run(["sync", "\(source.registry.host)/buildah", "\(destination.host)/mirror", "--ui", "json",
                                      "--checkpoint-dir", state.path])
            #expect(result.status == 0, "\(result.output)")
            let images = Source.variants.map(\.tag)
            try Self.expectSameDigests(source.registry, "buildah/app", destination, "mirror/app", tags: images + source.artifactTags)
            try Self.expectSameDigests(source.registry, "buildah/multi", destination, "mirror/multi",
                                       tags: Source.releaseTags + Source.nestedTags + ["docker"])
            for tag in images {
                let layout = TemporaryDirectory()
                try Skopeo.verifyByCopy(destination.reference("mirror/app:\(tag)"), into: layout.file("l"))
            }
            for tag in ["latest", "docker"] {
                let layout = TemporaryDirectory()
                try Skopeo.verifyByCopy(destination.reference("mirror/multi:\(tag)"), into: layout.file("l"))
            }
            // Media types as buildah wrote them, not normalised on the way.
            let zstd = try ManifestDocument(bytes: try Skopeo.rawManifest(destination.reference("mirror/app:oci-zstd-chunked")),
                                            contentType: nil, source: "zstd:chunked")
            guard case .image(let manifest) = zstd.content else { Issue.record("not an image"); return }
            #expect(manifest.layers.allSatisfy { $0.mediaType == MediaType.ociLayerZstd })
            #expect(manifest.layers.contains { $0.annotations?["io.containers.zstd-chunked.manifest-checksum"] != nil })
        }

        @Test("oras-py artifacts: artifactType, several files, subjects, and the sha256-<hex> referrers fallback, digests kept")
        func orasArtifacts() throws {
            let source = try Self.source()
            let destination = try TestRegistry.start()
            let result = try CLI.run(["copy", "--all-tags", "--ui", "json", source.registry.reference("buildah/app"),
                                      destination.reference("artifacts/app")])
            #expect(result.status == 0, "\(result.output)")
            #expect(source.artifactTags.count == 4 && source.artifactTags.filter { $0.hasPrefix("sha256-") }.count == 2, "\(source.artifactTags)")
            for tag in source.artifactTags {
                let original = try RegistryContent.manifest(source.registry.host, "buildah/app", tag)
                let copied = try RegistryContent.manifest(destination.host, "artifacts/app", tag)
                #expect(Digest.sha256(of: copied) == Digest.sha256(of: original), "\(tag)")
                let verified = try RegistryContent.verify(destination.host, "artifacts/app", tag)
                #expect(verified.manifests >= 1)
            }
            let sbom = try ManifestDocument(bytes: try RegistryContent.manifest(destination.host, "artifacts/app", "sbom"),
                                            contentType: nil, source: "sbom")
            guard case .image(let artifact) = sbom.content else { Issue.record("the SBOM is not a manifest"); return }
            #expect(artifact.artifactType == "application/vnd.example.sbom.v1+json")
            #expect(artifact.layers.count == 2)
            #expect(artifact.subject?.digest == (try Skopeo.digest(destination.reference("artifacts/app:oci-gzip"))))
        }

        @Test("an index shared by release tags and nested in another, copied and synced again and again: no run fails")
        func sharedChildIndexes() throws {
            let source = try Self.source()
            let destination = try TestRegistry.start()
            let state = TemporaryDirectory("state")
            let tags = Source.releaseTags + Source.nestedTags
            // Before the manifest locks, about one run in two of these failed with DIGEST_INVALID.
            let runs = 12
            var failures: [String] = []
            for run in 0..<runs {
                let result: Shell.Result
                if run.isMultiple(of: 2) {
                    result = try CLI.run(["sync", "\(source.registry.host)/buildah", "\(destination.host)/run\(run)", "--repo", "multi",
                                          "--checkpoint-dir", state.path, "--ui", "plain"])
                } else {
                    result = try CLI.run(["copy", "--all-tags", "--ui", "plain", source.registry.reference("buildah/multi"),
                                          destination.reference("run\(run)/multi")])
                }
                if result.status != 0 { failures.append(result.output) }
            }
            Figures.record("shared_child.runs", runs)
            Figures.record("shared_child.failed", failures.count)
            #expect(failures.isEmpty, "\(failures.count) of \(runs) runs failed: \(failures.first ?? "")")
            try Self.expectSameDigests(source.registry, "buildah/multi", destination, "run\(runs - 1)/multi", tags: tags + ["docker"])
            try RegistryContent.verify(destination.host, "run\(runs - 1)/multi", "nested")
        }

        @Test("--compress gzip on one uncompressed layer named by a Docker and an OCI manifest: each gets its own family's type")
        func compressMixedFamilies() throws {
            let source = try Self.source()
            let destination = try TestRegistry.start()
            let state = TemporaryDirectory("state")
            // buildah's uncompressed pushes of one image in both formats share the same layer blob.
            let result = try CLI.run(["sync", "\(source.registry.host)/buildah", "\(destination.host)/packed", "--repo", "app",
                                      "--tags", "(oci|docker)-none", "--compress", "gzip", "--checkpoint-dir", state.path, "--ui", "json"])
            #expect(result.status == 0, "\(result.output)")
            #expect(CLI.summary(result.stdout)?.int("compression", "layers") == 1, "one layer, compressed once: \(result.stdout)")
            for (tag, family) in [("docker-none", MediaType.dockerLayerGzip), ("oci-none", MediaType.ociLayerGzip)] {
                let document = try ManifestDocument(bytes: try Skopeo.rawManifest(destination.reference("packed/app:\(tag)")),
                                                    contentType: nil, source: tag)
                guard case .image(let manifest) = document.content else { Issue.record("\(tag) is not an image"); continue }
                #expect(manifest.layers.map(\.mediaType) == [family], "\(tag): \(manifest.layers.map(\.mediaType))")
                let layout = TemporaryDirectory()
                try Skopeo.verifyByCopy(destination.reference("packed/app:\(tag)"), into: layout.file("l"))
            }
        }

        @Test("--format oci turns a Docker image into one skopeo and umoci read from a layout; --format docker refuses zstd up front")
        func formatConversion() throws {
            let source = try Self.source()
            let layout = TemporaryDirectory()
            let plain = try CLI.run(["copy", source.registry.reference("buildah/app:docker-gzip"), "oci:\(layout.file("as-is")):app"])
            #expect(plain.status == 0, "\(plain.output)")
            #expect(plain.output.contains("--format oci"), "a hint when Docker types go into a layout: \(plain.output)")
            #expect(throws: Shell.Failure.self, "umoci reads no Docker types") { try Umoci.unpack(layout: layout.file("as-is"), name: "app") }

            let converted = try CLI.run(["copy", "--format", "oci", source.registry.reference("buildah/app:docker-gzip"),
                                         "oci:\(layout.file("oci")):app"])
            #expect(converted.status == 0, "\(converted.output)")
            #expect(!converted.output.contains("--format oci"), "\(converted.output)")
            try Umoci.unpack(layout: layout.file("oci"), name: "app")
            let check = try Shell.run(["skopeo", "copy", "--quiet", "oci:\(layout.file("oci")):app", "oci:\(layout.file("verify")):x"])
            #expect(check.status == 0, "\(check.output)")
            let again = try CLI.run(["copy", "--format", "oci", "--ui", "json", source.registry.reference("buildah/app:docker-gzip"),
                                     "oci:\(layout.file("oci")):app"])
            #expect(CLI.summary(again.stdout)?.int("tags", "skipped") == 1, "a converted copy is current: \(again.output)")

            let destination = try TestRegistry.start()
            let docker = try CLI.run(["copy", "--format", "docker", source.registry.reference("buildah/multi:latest"),
                                      destination.reference("conv/multi:latest")])
            #expect(docker.status == 0, "\(docker.output)")
            let list = try ManifestDocument(bytes: try Skopeo.rawManifest(destination.reference("conv/multi:latest")), contentType: nil, source: "list")
            #expect(list.mediaType == MediaType.dockerManifestList)
            let verify = TemporaryDirectory()
            try Skopeo.verifyByCopy(destination.reference("conv/multi:latest"), into: verify.file("l"))

            let state = TemporaryDirectory("state")
            let synced = try CLI.run(["sync", "--format", "docker", "\(source.registry.host)/buildah", "\(destination.host)/conv",
                                      "--repo", "app", "--tags", "oci-gzip", "--checkpoint-dir", state.path])
            #expect(synced.status == 0, "\(synced.output)")
            let image = try ManifestDocument(bytes: try Skopeo.rawManifest(destination.reference("conv/app:oci-gzip")), contentType: nil,
                                             source: "synced")
            #expect(image.mediaType == MediaType.dockerManifest)
            try Skopeo.verifyByCopy(destination.reference("conv/app:oci-gzip"), into: verify.file("synced"))

            let zstd = try CLI.run(["copy", "--format", "docker", "--ui", "json", source.registry.reference("buildah/app:oci-zstd"),
                                    destination.reference("conv/app:zstd")])
            #expect(zstd.status == 1, "\(zstd.output)")
            #expect(zstd.output.contains("zstd layers have no Docker schema 2 media type"), "\(zstd.output)")
            #expect(CLI.summary(zstd.stdout)?.int("bytes_transferred") == 0, "refused before a byte moved")
        }

        @Test("podman's layouts: full references as names are listed, copied by name, and --all-tags checks every name first")
        func podmanLayouts() throws {
            let source = try Self.source()
            let directory = TemporaryDirectory()
            try source.buildah.run(["tag", "app-amd64", "localhost/app:1"])
            try source.buildah.podmanSave("localhost/app:1", into: directory.file("podman"))

            let listed = try CLI.run(["ls", "--json", "oci:\(directory.file("podman"))"])
            #expect(listed.status == 0, "\(listed.output)")
            #expect(CLI.jsonLines(listed.stdout).map { $0.string("tag") } == ["localhost/app:1"], "\(listed.stdout)")

            let destination = try TestRegistry.start()
            let copied = try CLI.run(["copy", "oci:\(directory.file("podman")):localhost/app:1", destination.reference("pod/app:1")])
            #expect(copied.status == 0, "\(copied.output)")
            #expect(try Skopeo.digest(destination.reference("pod/app:1")) == (try Skopeo.digest(source.registry.reference("buildah/app:oci-gzip"))))

            let refused = try CLI.run(["copy", "--all-tags", "oci:\(directory.file("podman"))", destination.reference("pod/all")])
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.output.contains("\"localhost/app:1\""), "\(refused.output)")
            let catalog = try Shell.check(["curl", "-sf", "http://\(destination.host)/v2/_catalog"]).stdout
            #expect(!catalog.contains("pod/all"), "nothing was uploaded before the refusal: \(catalog)")

            let layout = try CLI.run(["copy", "--all-tags", "oci:\(directory.file("podman"))", "oci:\(directory.file("copy"))"])
            #expect(layout.status == 0, "\(layout.output)")
            try Umoci.unpack(layout: directory.file("copy"), name: "localhost/app:1")

            // An image pushed into a layout without a name is listed by its digest.
            try source.buildah.run(["push", "-q", "app-arm64", "oci:\(directory.file("copy"))"])
            let both = CLI.jsonLines(try CLI.run(["ls", "--json", "oci:\(directory.file("copy"))"]).stdout)
            #expect(both.count == 2, "\(both)")
            #expect(both.contains { $0["tag"] is NSNull && $0.string("digest")?.hasPrefix("sha256:") == true }, "\(both)")
        }

        @Test("registry tags a layout cannot name are refused before anything is copied")
        func layoutNameGrammar() throws {
            let source = try Self.source()
            let registry = try TestRegistry.start()
            let bytes = try Skopeo.rawManifest(source.registry.reference("buildah/app:oci-gzip"))
            try Shell.check(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                             "docker://\(source.registry.reference("buildah/app:oci-gzip"))", "docker://\(registry.reference("odd/app:v1-"))"])
            #expect(try Skopeo.digest(registry.reference("odd/app:v1-")) == Digest.sha256(of: bytes))
            let layout = TemporaryDirectory()
            let one = try CLI.run(["copy", registry.reference("odd/app:v1-"), "oci:\(layout.file("l"))"])
            #expect(one.status == 2, "\(one.output)")
            #expect(one.output.contains("\"v1-\" is not a valid OCI layout image name"), "\(one.output)")
            let all = try CLI.run(["copy", "--all-tags", registry.reference("odd/app"), "oci:\(layout.file("l"))"])
            #expect(all.status == 2, "\(all.output)")
            let blobs = (try? FileManager.default.contentsOfDirectory(atPath: layout.file("l/blobs/sha256"))) ?? []
            #expect(blobs.isEmpty, "nothing was copied: \(blobs)")
        }

        @Test("--platform linux/arm64 of a 3-platform list copies one image and an index of it; a re-sync skips, with or without the checkpoint")
        func platformFilter() throws {
            let source = try Self.source()
            let destination = try TestRegistry.start()
            let state = TemporaryDirectory("state")
            func sync(_ checkpoints: String) throws -> [String: Any] {
                let result = try CLI.run(["sync", "\(source.registry.host)/buildah", "\(destination.host)/arm", "--repo", "three", "--ui", "json",
                                          "--platform", "linux/arm64", "--checkpoint-dir", state.file(checkpoints)])
                #expect(result.status == 0, "\(result.output)")
                return try #require(CLI.summary(result.stdout))
            }
            let cold = try sync("runs")
            #expect(cold.int("tags", "copied") == 1)
            let index = try ManifestDocument(bytes: try Skopeo.rawManifest(destination.reference("arm/three:1.0")), contentType: nil, source: "arm")
            guard case .index(let filtered) = index.content else { Issue.record("not an index"); return }
            #expect(filtered.manifests.map { $0.platform?.description } == ["linux/arm64"])
            #expect(index.digest != (try Skopeo.digest(source.registry.reference("buildah/three:1.0"))), "fewer children, another digest")
            let verify = TemporaryDirectory()
            try Skopeo.verifyByCopy(destination.reference("arm/three:1.0"), into: verify.file("l"))

            let again = try sync("runs")
            #expect(again.int("tags", "skipped") == 1 && again.int("session", "bytes_transferred") == 0, "\(again)")
            let forgetful = try sync("elsewhere")
            #expect(forgetful.int("tags", "skipped") == 1 && forgetful.int("session", "bytes_transferred") == 0, "\(forgetful)")
            // The checkpoint's mapping spares the manifest reads that recomputing the index takes.
            #expect((again.int("requests", "GET") ?? 99) < (forgetful.int("requests", "GET") ?? 0), "\(again) \(forgetful)")

            let single = try CLI.run(["copy", "--platform", "linux/arm64", "--ui", "json", source.registry.reference("buildah/app:oci-gzip"),
                                      destination.reference("arm/app:1")])
            #expect(single.status == 0, "\(single.output)")
            #expect(CLI.summary(single.stdout)?.int("tags", "skipped") == 1)
            let warnings = CLI.jsonLines(single.stdout).filter { $0.string("event") == "warning" }.compactMap { $0.string("message") }
            #expect(warnings.contains { $0.contains("an image for linux/amd64, and --platform keeps linux/arm64") }, "\(warnings)")
            #expect(try Shell.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(destination.reference("arm/app:1"))"]).status != 0)
        }

        @Test("buildx attestation manifests follow the platform they describe")
        func attestationsFollowTheirPlatform() throws {
            let registry = try TestRegistry.start()
            let directory = TemporaryDirectory("attest")
            let builder = try LayoutBuilder(path: directory.file("l"), seed: 21)
            var entries: [Descriptor] = []
            for platform in [Platform(architecture: "amd64", os: "linux"), Platform(architecture: "arm64", os: "linux")] {
                let image = try builder.image(layers: [try builder.layer(.random(2048))], platform: platform)
                let statement = try builder.blob(Array(#"{"_type":"https://in-toto.io/Statement/v0.1","subject":[]}"#.utf8),
                                                 mediaType: "application/vnd.in-toto+json")
                var attestation = try builder.image(layers: [(statement, statement.digest)], platform: Platform(architecture: "unknown", os: "unknown"))
                attestation.annotations = [PlatformSelector.referenceTypeAnnotation: "attestation-manifest",
                                           PlatformSelector.referenceDigestAnnotation: image.digest.description]
                entries += [image, attestation]
            }
            try builder.tag(try builder.index(entries), "multi")
            try Fixtures.push(layout: directory.file("l"), tag: "multi", to: registry.reference("src/app:multi"))
            let result = try CLI.run(["copy", "--platform", "linux/arm64", registry.reference("src/app:multi"), registry.reference("arm/app:multi")])
            #expect(result.status == 0, "\(result.output)")
            let index = try ManifestDocument(bytes: try Skopeo.rawManifest(registry.reference("arm/app:multi")), contentType: nil, source: "arm")
            guard case .index(let filtered) = index.content else { Issue.record("not an index"); return }
            #expect(filtered.manifests.map(\.digest) == [entries[2].digest, entries[3].digest], "the arm64 image and its attestation")
        }

        @Test("ls of a repository with a schema 1 tag and a tag that cannot be read lists the rest, marks those, exits 1")
        func lsUnreadableTags() throws {
            let source = try Self.source()
            let registry = try TestRegistry.start(.init(schema1: true))
            let layout = TemporaryDirectory()
            try Shell.check(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://\(source.registry.reference("buildah/app:oci-gzip"))",
                             "oci:\(layout.file("l")):app"])
            for (tag, format) in [("good", "oci"), ("old", "v2s1"), ("lost", "v2s2")] {
                try Shell.check(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--format", format, "oci:\(layout.file("l")):app",
                                 "docker://\(registry.reference("mixed/app:\(tag)"))"])
            }
            // The registry keeps the tag but has lost its manifest's content.
            let lost = try Skopeo.digest(registry.reference("mixed/app:lost"))
            try FileManager.default.removeItem(atPath: "\(registry.storage)/docker/registry/v2/blobs/sha256/\(lost.hex.prefix(2))/\(lost.hex)/data")

            let table = try CLI.run(["ls", registry.reference("mixed/app")])
            #expect(table.status == 1, "\(table.output)")
            let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(rows.contains { $0.first == "good" && $0.contains("oci-manifest") }, "\(table.stdout)")
            #expect(rows.contains { $0.first == "old" && $0.contains("unreadable") }, "\(table.stdout)")
            #expect(rows.contains { $0.first == "lost" && $0.contains("unreadable") }, "\(table.stdout)")
            #expect(table.stderr.contains("schema 1"), "the reason is said: \(table.stderr)")
            #expect(table.stderr.contains("mixed/app:lost"), "\(table.stderr)")

            let json = try CLI.run(["ls", "--json", registry.reference("mixed/app")])
            #expect(json.status == 1)
            let lines = CLI.jsonLines(json.stdout)
            #expect(lines.count == 3, "\(json.stdout)")
            #expect(lines.first { $0.string("tag") == "good" }?.string("media_type") == MediaType.ociManifest)
            #expect(lines.first { $0.string("tag") == "old" }?.string("error")?.contains("schema 1") == true, "\(json.stdout)")
        }
    }
}
