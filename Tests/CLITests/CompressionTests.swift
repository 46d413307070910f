import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// `--compress gzip` against real registries, verified by skopeo and by decompressing layers.
@Suite("compression", .budget(minutes: 5))
struct CompressionTests {
    /// An image whose layers are: compressible text (uncompressed tar), random bytes
    /// (uncompressed tar), an already gzipped layer, and a tiny uncompressed one; in OCI and
    /// Docker flavours, and an index over two platforms.
    struct Setup {
        let source = try! TestRegistry.start()
        let destination = try! TestRegistry.start()
        let state = TemporaryDirectory("state")

        init() throws {
            let directory = TemporaryDirectory("compress")
            let builder = try LayoutBuilder(path: directory.file("l"), seed: 5)
            func image(_ format: LayoutBuilder.Format, _ platform: Platform) throws -> Descriptor {
                try builder.image(layers: [
                    try builder.layer(.text(400_000), format: format, gzip: false),
                    try builder.layer(.random(300_000), format: format, gzip: false),
                    try builder.layer(.random(50_000), format: format, gzip: true),
                    try builder.layer(.text(200), format: format, gzip: false),
                ], format: format, platform: platform)
            }
            try builder.tag(try image(.oci, Platform(architecture: "amd64", os: "linux")), "oci")
            try builder.tag(try image(.docker, Platform(architecture: "amd64", os: "linux")), "docker")
            try builder.tag(try builder.index([try image(.oci, Platform(architecture: "amd64", os: "linux")),
                                               try image(.oci, Platform(architecture: "arm64", os: "linux"))]), "multi")
            for tag in ["oci", "docker", "multi"] {
                try Fixtures.push(layout: directory.file("l"), tag: tag, to: source.reference("app/layers:\(tag)"))
            }
        }

        func sync(_ extra: [String] = [], checkpoints: String = "runs") throws -> Shell.Result {
            // The tiny layer is a 2 KiB tar (header and padding): 4K makes it fall below the minimum.
            try CLI.run(["sync", "\(source.host)/app", "\(destination.host)/packed", "--ui", "json", "--compress", "gzip",
                         "--compress-min-size", "4K", "--checkpoint-dir", state.file(checkpoints)] + extra)
        }

        func manifest(_ reference: String) throws -> ManifestDocument {
            try ManifestDocument(bytes: try Skopeo.rawManifest("\(destination.host)/\(reference)"), contentType: nil, source: reference)
        }

        func blob(_ repository: String, _ digest: Digest) throws -> [UInt8] {
            let directory = TemporaryDirectory()
            try Shell.check(["curl", "-sf", "-L", "-o", directory.file("blob"), "http://\(destination.host)/v2/\(repository)/blobs/\(digest)"])
            return Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("blob"))))
        }

        /// Every image manifest behind a tag (the children of an index).
        func images(_ tag: String) throws -> [ImageManifest] {
            let top = try manifest("packed/layers:\(tag)")
            switch top.content {
            case .image(let manifest): return [manifest]
            case .index(let index):
                return try index.manifests.map { child in
                    let document = try manifest("packed/layers@\(child.digest)")
                    guard case .image(let manifest) = document.content else { throw ManifestError(source: "test", reason: "nested index") }
                    return manifest
                }
            }
        }
    }

    @Test("compressible uncompressed layers become gzip, the rest stay; every image verifies; a re-run skips")
    func recompress() throws {
        let setup = try Setup()
        let result = try setup.sync()
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(CLI.summary(result.stdout))

        // What a tag reports as sent while in flight never runs ahead of what it sent in the end
        // (compressed bytes, not the source bytes read). It may go down: a layer that compresses
        // too little is kept as it was, and the compressed upload begun for it is taken back.
        var sent: [String: Int64] = [:]
        for line in CLI.jsonLines(result.stdout) {
            let key = "\(line.string("repository") ?? ""):\(line.string("tag") ?? "")"
            switch line.string("event") {
            case "tag_progress":
                let bytes = try #require(line.int("bytes_sent").map(Int64.init), "\(line)")
                sent[key] = max(bytes, sent[key, default: 0])
            case "tag_finished":
                let final = Int64(line.int("bytes") ?? 0)
                #expect(sent[key, default: 0] <= final, "\(key): \(sent[key, default: 0]) sent in flight, \(final) in the end")
            default: break
            }
        }
        #expect(!sent.isEmpty)

        var uniqueCompressed: [Digest: (original: Int64, compressed: Int64)] = [:]
        for tag in ["oci", "docker", "multi"] {
            let source = try ManifestDocument(bytes: try Skopeo.rawManifest(setup.source.reference("app/layers:\(tag)")),
                                              contentType: nil, source: tag)
            #expect(try setup.manifest("packed/layers:\(tag)").digest != source.digest, "\(tag) was rewritten")
            for image in try setup.images(tag) {
                let config = try JSONDecoder().decode(ConfigFile.self, from: Data(try setup.blob("packed/layers", image.config.digest)))
                #expect(image.layers.count == 4)
                let (text, random, gzipped, tiny) = (image.layers[0], image.layers[1], image.layers[2], image.layers[3])
                #expect(text.mediaType.hasSuffix("gzip"), "the compressible layer is gzip now: \(text.mediaType)")
                #expect(random.mediaType.hasSuffix(".tar"), "random bytes save too little and stay")
                #expect(gzipped.mediaType.hasSuffix("gzip"))
                #expect(tiny.mediaType.hasSuffix(".tar"), "below --compress-min-size")
                let decompressed = try #require(Gzip.decompress(try setup.blob("packed/layers", text.digest)))
                #expect(Digest.sha256(of: decompressed).description == config.rootfs.diff_ids[0], "diff_ids still hold")
                #expect(text.size < 400_000 / 5)
                uniqueCompressed[text.digest] = (Int64(decompressed.count), text.size)
            }
            let verify = TemporaryDirectory()
            try Skopeo.verifyByCopy("\(setup.destination.host)/packed/layers:\(tag)", into: verify.file("l"))
        }
        #expect(summary.int("compression", "layers") == uniqueCompressed.count)
        #expect(summary.int("compression", "compressed_bytes") == Int(uniqueCompressed.values.reduce(0) { $0 + $1.compressed }))
        #expect(summary.int("compression", "original_bytes") == Int(uniqueCompressed.values.reduce(0) { $0 + $1.original }))
        #expect((summary.int("compression", "kept_layers") ?? 0) >= 2)
        let layerSeconds = CLI.jsonLines(result.stdout).filter { $0.string("result") == "compressed" }.compactMap { $0.double("seconds") }
        #expect((summary.double("compression", "seconds") ?? 0) > 0)
        #expect(abs((summary.double("compression", "seconds") ?? 0) - layerSeconds.reduce(0, +)) < 0.001,
                "the total time is the sum of the layers' times")

        let events = CLI.jsonLines(result.stdout).filter { $0.string("event") == "layer_compressed" }
        #expect(events.contains { $0.string("result") == "kept_saved_too_little" })
        #expect(events.contains { $0.string("result") == "kept_below_min_size" })

        let again = try setup.sync()
        #expect(again.status == 0, "\(again.output)")
        let noop = try #require(CLI.summary(again.stdout))
        #expect(noop.int("tags", "skipped") == 3, "\(again.stdout)")
        #expect(noop.int("session", "bytes_transferred") == 0)
        #expect(noop.int("compression", "layers") == 0)

        // A new checkpoint directory remembers nothing: the destination itself shows that each
        // image (the index child by child) is the source's recompressed, so nothing is sent again.
        let forgetful = try setup.sync(checkpoints: "elsewhere")
        #expect(forgetful.status == 0, "\(forgetful.output)")
        let fresh = try #require(CLI.summary(forgetful.stdout))
        #expect(fresh.int("tags", "skipped") == 3, "\(forgetful.stdout)")
        #expect(fresh.int("session", "bytes_transferred") == 0)
        #expect(fresh.int("compression", "layers") == 0)
    }

    @Test("--compress-max-size and --compress-min-savings keep the original, and say why")
    func thresholds() throws {
        let setup = try Setup()
        let capped = try setup.sync(["--compress-max-size", "100K", "--include", "layers", "--tags", "oci"])
        #expect(capped.status == 0, "\(capped.output)")
        let cappedEvents = CLI.jsonLines(capped.stdout).filter { $0.string("event") == "layer_compressed" }
        #expect(cappedEvents.filter { $0.string("result") == "kept_above_max_size" }.count == 2)
        #expect(try setup.manifest("packed/layers:oci").digest == (try Skopeo.digest(setup.source.reference("app/layers:oci"))),
                "nothing recompressed: the manifest keeps its digest")

        let picky = try CLI.run(["sync", "\(setup.source.host)/app", "\(setup.destination.host)/picky", "--ui", "json",
                                 "--compress", "gzip", "--compress-min-savings", "99.9", "--compress-min-size", "4K", "--tags", "docker",
                                 "--checkpoint-dir", setup.state.file("runs")])
        #expect(picky.status == 0, "\(picky.output)")
        let summary = try #require(CLI.summary(picky.stdout))
        #expect(summary.int("compression", "layers") == 0)
        #expect(CLI.jsonLines(picky.stdout).filter { $0.string("result") == "kept_saved_too_little" }.count == 2)
        #expect(try Skopeo.digest("\(setup.destination.host)/picky/layers:docker") == (try Skopeo.digest(setup.source.reference("app/layers:docker"))))
    }

    @Test("copy --compress gzip recompresses too, deterministically (same digest twice, on 1 or 3 cores); a re-run skips; --force redoes")
    func copyDeterministic() throws {
        let setup = try Setup()
        for (target, threads) in [("one", "1"), ("two", "3")] {
            let result = try CLI.run(["copy", "--compress", "gzip", "--compress-level", "9", "--compress-threads", threads,
                                      setup.source.reference("app/layers:oci"), setup.destination.reference("\(target)/layers:oci")])
            #expect(result.status == 0, "\(result.output)")
        }
        let one = try Skopeo.digest(setup.destination.reference("one/layers:oci"))
        #expect(one == (try Skopeo.digest(setup.destination.reference("two/layers:oci"))))
        #expect(one != (try Skopeo.digest(setup.source.reference("app/layers:oci"))))

        // A copy keeps no checkpoint; run again, it sees the destination holds the image
        // recompressed and skips it: nothing compressed, nothing sent.
        let again = try CLI.run(["copy", "--compress", "gzip", "--ui", "json", setup.source.reference("app/layers:oci"),
                                 setup.destination.reference("one/layers:oci")])
        #expect(again.status == 0, "\(again.output)")
        let summary = try #require(CLI.summary(again.stdout))
        #expect(summary.int("tags", "skipped") == 1, "\(again.stdout)")
        #expect(summary.int("compression", "layers") == 0)
        #expect(summary.int("bytes_transferred") == 0)
        #expect(try Skopeo.digest(setup.destination.reference("one/layers:oci")) == one)

        // --force compresses again (deterministically: the same digest).
        let forced = try CLI.run(["copy", "--compress", "gzip", "--compress-level", "9", "--force", "--ui", "json",
                                  setup.source.reference("app/layers:oci"), setup.destination.reference("one/layers:oci")])
        #expect(forced.status == 0, "\(forced.output)")
        // The text layer and the tiny one (a 2 KiB tar, over the default 1K minimum).
        #expect(try #require(CLI.summary(forced.stdout)).int("compression", "layers") == 2)
        #expect(try Skopeo.digest(setup.destination.reference("one/layers:oci")) == one)
    }

    @Test("a layer that embeds its content (OCI 1.1 data) loses the stale copy when it is recompressed")
    func embeddedData() throws {
        let source = try TestRegistry.start(), destination = try TestRegistry.start()
        let directory = TemporaryDirectory("data")
        let builder = try LayoutBuilder(path: directory.file("l"), seed: 9)
        var (layer, diffID) = try builder.layer(.text(20_000), gzip: false)
        let tar = try Data(contentsOf: URL(fileURLWithPath: directory.file("l/blobs/sha256/\(layer.digest.hex)")))
        layer.data = tar.base64EncodedString()
        try builder.tag(try builder.image(layers: [(layer, diffID)]), "embedded")
        try Fixtures.push(layout: directory.file("l"), tag: "embedded", to: source.reference("app/data:embedded"))

        let state = TemporaryDirectory("state")
        let result = try CLI.run(["sync", "\(source.host)/app", "\(destination.host)/packed", "--compress", "gzip",
                                  "--checkpoint-dir", state.path])
        #expect(result.status == 0, "\(result.output)")
        let document = try ManifestDocument(bytes: try Skopeo.rawManifest(destination.reference("packed/data:embedded")),
                                            contentType: nil, source: "embedded")
        guard case .image(let manifest) = document.content else { Issue.record("not an image"); return }
        #expect(manifest.layers[0].mediaType == MediaType.ociLayerGzip, "recompressed")
        for descriptor in manifest.blobs {
            guard let data = descriptor.data else { continue }
            let bytes = try #require(Data(base64Encoded: data), "data is base64")
            #expect(Digest.sha256(of: bytes) == descriptor.digest && Int64(bytes.count) == descriptor.size,
                    "embedded data matches its descriptor \(descriptor.digest)")
        }
        let verify = TemporaryDirectory()
        try Skopeo.verifyByCopy(destination.reference("packed/data:embedded"), into: verify.file("l"))
    }

    @Test("bad compression options name the value", arguments: [
        (["--compress", "zip"], "zip"), (["--compress-level", "12"], "12"), (["--compress-min-size", "ten"], "ten"),
        (["--compress-min-savings", "150"], "150"), (["--compress-threads", "0"], "0"),
    ])
    func badOptions(arguments: [String], named: String) throws {
        let result = try CLI.run(["copy", "127.0.0.1:1/a:v1", "127.0.0.1:1/b:v1"] + arguments)
        #expect(result.status != 0 && result.status != 1)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }
}

/// The part of an image config the tests read.
struct ConfigFile: Decodable {
    struct RootFS: Decodable { var diff_ids: [String] }
    var rootfs: RootFS
}
