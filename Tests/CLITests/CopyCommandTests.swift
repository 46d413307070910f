import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// `freightliner copy` and `ls`, run as a user would, verified with skopeo.
@Suite("copy and ls", .budget(minutes: 5))
struct CopyCommandTests {
    @Test("registry to registry: every manifest type keeps its digest, and skopeo can pull every blob")
    func registryToRegistry() throws {
        let source = try TestRegistry.start(), destination = try TestRegistry.start()
        try StandardImages().push(to: source.reference("team/app"))
        for tag in StandardImages.tags.keys.sorted() {
            let result = try CLI.run(["copy", source.reference("team/app:\(tag)"), destination.reference("mirror/app:\(tag)")])
            #expect(result.status == 0, "\(result.output)")
            #expect(try Skopeo.digest(destination.reference("mirror/app:\(tag)")) == (try Skopeo.digest(source.reference("team/app:\(tag)"))))
            let verify = TemporaryDirectory()
            try Skopeo.verifyByCopy(destination.reference("mirror/app:\(tag)"), into: verify.file("layout"))
        }
        let again = try CLI.run(["copy", "--ui", "json", source.reference("team/app:oci-multi"), destination.reference("mirror/app:oci-multi")])
        let summary = try #require(CLI.summary(again.stdout))
        #expect(summary.int("tags", "skipped") == 1)
        #expect(summary.int("bytes_transferred") == 0)
    }

    @Test("registry -> OCI layout -> registry round trip keeps every digest")
    func layoutRoundTrip() throws {
        let source = try TestRegistry.start(), destination = try TestRegistry.start()
        try StandardImages().push(to: source.reference("round/trip"))
        let layout = TemporaryDirectory()
        for tag in StandardImages.tags.keys.sorted() {
            let out = try CLI.run(["copy", source.reference("round/trip:\(tag)"), "oci:\(layout.file("l")):\(tag)"])
            #expect(out.status == 0, "\(out.output)")
            let back = try CLI.run(["copy", "oci:\(layout.file("l")):\(tag)", destination.reference("again/trip:\(tag)")])
            #expect(back.status == 0, "\(back.output)")
            #expect(try Skopeo.digest(destination.reference("again/trip:\(tag)")) == (try Skopeo.digest(source.reference("round/trip:\(tag)"))))
        }
        // skopeo reads the layout we wrote, checking every digest in it.
        let check = try Shell.run(["skopeo", "copy", "--quiet", "--all", "--preserve-digests", "oci:\(layout.file("l")):oci-multi",
                                   "oci:\(layout.file("verify")):x"])
        #expect(check.status == 0, "\(check.output)")
    }

    @Test("--all-tags copies every tag, mounting within one registry")
    func allTags() throws {
        let registry = try TestRegistry.start()
        try StandardImages().push(to: registry.reference("src/app"))
        let result = try CLI.run(["copy", "--all-tags", "--ui", "json", registry.reference("src/app"), registry.reference("dst/app")])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(CLI.summary(result.stdout))
        #expect(summary.int("tags", "copied") == StandardImages.tags.count)
        #expect((summary.int("blobs", "mounted") ?? 0) > 0, "same-registry copies mount instead of uploading")
        #expect(summary.int("blobs", "copied") == 0)
        #expect(Set(try Skopeo.tags(registry.reference("dst/app"))) == Set(StandardImages.tags.keys))
    }

    @Test("copy into and out of an htpasswd registry with --dest-creds/--src-creds; the password never prints")
    func credentials() throws {
        let open = try TestRegistry.start()
        let locked = try TestRegistry.start(.init(auth: .htpasswd(user: "carol", password: "pa55-word-xyz")))
        try StandardImages().push(to: open.reference("pub/app"))
        let denied = try CLI.run(["copy", open.reference("pub/app:oci-single"), locked.reference("priv/app:v1")])
        #expect(denied.status == 1)
        #expect(denied.output.contains("requires authentication"), "\(denied.output)")
        let copied = try CLI.run(["copy", "--dest-creds", "carol:pa55-word-xyz", "--ui", "json",
                                  open.reference("pub/app:oci-single"), locked.reference("priv/app:v1")])
        #expect(copied.status == 0, "\(copied.output)")
        #expect(!copied.output.contains("pa55-word-xyz"))
        let statuses = CLI.jsonLines(copied.stdout).filter { $0.string("event") == "secret_status" }
        #expect(statuses.contains { $0.string("provider") == "flag" && $0.string("reference") == locked.host && $0.string("state") == "loaded" },
                "the secrets panel lists the flag's credentials, by registry: \(statuses)")
        let back = try CLI.run(["copy", "--src-creds", "carol:pa55-word-xyz", locked.reference("priv/app:v1"), open.reference("back/app:v1")])
        #expect(back.status == 0, "\(back.output)")
        #expect(try Skopeo.digest(open.reference("back/app:v1")) == (try Skopeo.digest(open.reference("pub/app:oci-single"))))
    }

    @Test("bad input ends in exit 2 with a message naming the value", arguments: [
        (["copy", "Example.com/UPPER:v1", "127.0.0.1:1/x:v1"], "Example.com/UPPER:v1"),
        (["copy", "127.0.0.1:1/app:v1", "127.0.0.1:1/app@sha256:abc"], "sha256:abc"),
        (["copy", "oci:", "127.0.0.1:1/x:v1"], "oci:"),
        (["copy", "oci:/nonexistent/layout:v1", "127.0.0.1:1/x:v1"], "/nonexistent/layout"),
        (["copy", "--src-creds", "nocolon", "127.0.0.1:1/a:v1", "127.0.0.1:1/b:v1"], "--src-creds"),
        (["ls", "127.0.0.1:1/app:tag"], "127.0.0.1:1/app:tag"),
    ])
    func badInput(arguments: [String], named: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    @Test("a source blob whose bytes do not match its digest fails the copy, and nothing reaches the destination")
    func corruptBlob() async throws {
        let destination = try TestRegistry.start()
        let images = try StandardImages()
        let layout = OCILayoutFixture(images.layout)
        let manifest = try layout.imageManifest(tag: "oci-single")
        let victim = manifest.layers[0].digest
        try Data(repeating: 0x41, count: Int(manifest.layers[0].size)).write(to: URL(fileURLWithPath: layout.blobPath(victim)))
        let result = try CLI.run(["copy", "oci:\(images.layout):oci-single", destination.reference("corrupt/app:v1")])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("does not match its digest"), "\(result.output)")
        #expect(result.output.contains(victim.description), "\(result.output)")
        let blob = try Shell.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-I",
                                  "http://\(destination.host)/v2/corrupt/app/blobs/\(victim)"])
        #expect(blob.stdout == "404")
        let tag = try Shell.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(destination.reference("corrupt/app:v1"))"])
        #expect(tag.status != 0, "no tag may point at an incomplete image")
    }

    @Test("a blob named by a sha512 digest is refused up front as an unsupported algorithm, not as corrupt")
    func sha512Blob() throws {
        let destination = try TestRegistry.start()
        let directory = TemporaryDirectory()
        let builder = try LayoutBuilder(path: directory.file("l"))
        let (layer, diffID) = try builder.layer(.random(4096))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(directory.file("l"))/blobs/sha256/\(layer.digest.hex)"))
        try FileManager.default.createDirectory(atPath: directory.file("l/blobs/sha512"), withIntermediateDirectories: true)
        let hex = try Shell.check(["sha512sum", "\(directory.file("l"))/blobs/sha256/\(layer.digest.hex)"]).stdout.prefix(128)
        try bytes.write(to: URL(fileURLWithPath: directory.file("l/blobs/sha512/\(hex)")))
        var sha512Layer = layer
        sha512Layer.digest = try Digest(parsing: "sha512:\(hex)")
        try builder.tag(try builder.image(layers: [(sha512Layer, diffID)]), "sha512")

        let result = try CLI.run(["copy", "--ui", "json", "oci:\(directory.file("l")):sha512", destination.reference("x/y:sha512")])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("the digest algorithm sha512 is not supported"), "\(result.output)")
        #expect(result.output.contains("sha512:\(hex)"), "names the digest: \(result.output)")
        #expect(!result.output.contains("does not match"), "\(result.output)")
        #expect(CLI.summary(result.stdout)?.int("bytes_transferred") == 0, "refused before a byte moved")
    }

    @Test("schema 1 and oversized manifests in a layout are refused with a clear message")
    func refusedManifests() throws {
        let destination = try TestRegistry.start()
        let directory = TemporaryDirectory()
        let builder = try LayoutBuilder(path: directory.file("l"))
        let schema1 = Array(#"{"schemaVersion":1,"name":"x/y","tag":"v1","architecture":"amd64","fsLayers":[],"history":[]}"#.utf8)
        try builder.tag(try builder.blob(schema1, mediaType: MediaType.dockerSchema1Signed), "old")
        let big = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"pad":""#.utf8)
            + [UInt8](repeating: 0x61, count: 5 << 20) + Array(#""},"config":{},"layers":[]}"#.utf8)
        try builder.tag(try builder.blob(big, mediaType: MediaType.ociManifest), "huge")
        let old = try CLI.run(["copy", "oci:\(directory.file("l")):old", destination.reference("x/y:old")])
        #expect(old.status == 1)
        #expect(old.output.contains("schema 1"), "\(old.output)")
        let huge = try CLI.run(["copy", "oci:\(directory.file("l")):huge", destination.reference("x/y:huge")])
        #expect(huge.status == 1)
        #expect(huge.output.contains("limit"), "\(huge.output)")
    }

    @Test("ls lists repositories under a prefix and tags with digest, type and platforms")
    func list() throws {
        let registry = try TestRegistry.start(.init(catalogPageSize: 2))
        let images = try StandardImages()
        try images.push(to: registry.reference("ls/one"))
        try Fixtures.push(layout: images.layout, tag: "oci-single", to: registry.reference("ls/two:v1"))
        try Fixtures.push(layout: images.layout, tag: "oci-single", to: registry.reference("other/three:v1"))

        let repositories = try CLI.run(["ls", "\(registry.host)/ls"])
        #expect(repositories.status == 0, "\(repositories.output)")
        #expect(repositories.stdout.split(separator: "\n") == ["ls/one", "ls/two"])

        let tags = try CLI.run(["ls", "--json", registry.reference("ls/one")])
        #expect(tags.status == 0, "\(tags.output)")
        let rows = CLI.jsonLines(tags.stdout)
        #expect(rows.count == StandardImages.tags.count)
        let multi = try #require(rows.first { $0.string("tag") == "oci-multi" })
        #expect(multi.string("media_type") == MediaType.ociIndex)
        #expect((multi["platforms"] as? [String]) == ["linux/amd64", "linux/arm64/v8"])
        #expect(multi.string("digest") == (try Skopeo.digest(registry.reference("ls/one:oci-multi"))).description)
        #expect((multi.int("size") ?? 0) > 0)

        let table = try CLI.run(["ls", registry.reference("ls/one")])
        #expect(table.stdout.contains("docker-list"))
        #expect(table.stdout.contains("linux/s390x"))
    }

    @Test("ls streams a long tag list: rows in version order while later manifests are still read, at most 32 at once")
    func listStreams() throws {
        let registry = try TestRegistry.start()
        let images = try StandardImages()
        try Fixtures.push(layout: images.layout, tag: "oci-single", to: registry.reference("many/app:seed"))
        let manifest = TemporaryDirectory()
        try Data(try RegistryContent.manifest(registry.host, "many/app", "seed")).write(to: URL(fileURLWithPath: manifest.file("m")))
        let versions = (1...100).map { "1.\($0)" }
        for tag in versions.shuffled() + ["latest", "edge"] {
            try Shell.check(["curl", "-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.ociManifest)", "--data-binary", "@\(manifest.file("m"))",
                             "http://\(registry.host)/v2/many/app/manifests/\(tag)"])
        }
        // Every request held 400 ms, as across a slow link: 102 manifests read one at a time
        // would take 40 s, in waves of 32 two.
        let proxy = try RegistryProxy(upstream: registry, requestDelayMilliseconds: 400)
        let expected = versions + ["edge", "latest", "seed"]

        let output = manifest.file("ls.out")
        let process = try CLI.start(["ls", proxy.reference("many/app")], output: output)
        try waitUntil("the first row") { contents(of: output).contains("\n1.1 ") || !process.isRunning }
        let early = contents(of: output)
        #expect(!early.contains("\nseed "), "the first row came only with the last: \(early)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(contents(of: output))")
        let lines = contents(of: output).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("TAG ") == true, "\(lines.first ?? "")")
        #expect(lines.dropFirst().map { String($0.prefix { $0 != " " }) } == expected)
        let digest = "sha256:" + (try Skopeo.digest(registry.reference("many/app:seed"))).short
        #expect(lines.dropFirst().allSatisfy { $0.contains(digest) && $0.contains("oci-manifest") }, "\(lines.prefix(3))")
        let inFlight = try proxy.stats().counters["max_in_flight"] ?? 0
        #expect(inFlight > 8 && inFlight <= 32, "manifests read at once: \(inFlight)")

        let json = try CLI.run(["ls", "--json", proxy.reference("many/app")])
        #expect(json.status == 0, "\(json.output)")
        #expect(CLI.jsonLines(json.stdout).map { $0.string("tag") ?? "" } == expected)
    }
}

/// Reads an OCI layout the tests wrote, to tamper with it.
struct OCILayoutFixture {
    let path: String

    init(_ path: String) { self.path = path }

    func blobPath(_ digest: Digest) -> String { "\(path)/blobs/sha256/\(digest.hex)" }

    func imageManifest(tag: String) throws -> ImageManifest {
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: "\(path)/index.json")))
        let entry = try #require(index.manifests.first { $0.annotations?["org.opencontainers.image.ref.name"] == tag })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: blobPath(entry.digest)))
        return try JSONDecoder().decode(ImageManifest.self, from: bytes)
    }
}
