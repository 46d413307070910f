import FreightCore
@testable import FreightEngine
import Testing
import FreightTestSupport

/// When a destination image counts as the source image recompressed (and a re-run skips it).
@Suite("recompressed images", .budget(minutes: 1))
struct RecompressedMatchTests {
    static func blob(_ seed: UInt8, _ type: String, size: Int64 = 100) -> Descriptor {
        Descriptor(mediaType: type, digest: Digest.sha256(of: [seed]), size: size)
    }

    static let config = blob(1, MediaType.ociConfig)
    static let tar = blob(2, MediaType.ociLayerTar, size: 10_000)
    static let gzipped = blob(3, MediaType.ociLayerGzip)
    static let source = ImageManifest(mediaType: MediaType.ociManifest, config: config, layers: [tar, gzipped])
    /// `source` with its uncompressed layer recompressed.
    static let recompressed = ImageManifest(mediaType: MediaType.ociManifest, config: config,
                                            layers: [blob(4, MediaType.ociLayerGzip, size: 900), gzipped])

    @Test("the same config and layers, an uncompressed one now gzip: a match")
    func match() {
        #expect(RecompressedMatch.image(Self.recompressed, isRecompressed: Self.source))
    }

    @Test("nothing recompressed, another config, other layers, or a compressed layer replaced: no match")
    func mismatches() {
        #expect(!RecompressedMatch.image(Self.source, isRecompressed: Self.source), "nothing was recompressed")
        var otherConfig = Self.recompressed
        otherConfig.config = Self.blob(9, MediaType.ociConfig)
        #expect(!RecompressedMatch.image(otherConfig, isRecompressed: Self.source))
        var fewer = Self.recompressed
        fewer.layers.removeLast()
        #expect(!RecompressedMatch.image(fewer, isRecompressed: Self.source))
        var swapped = Self.recompressed
        swapped.layers[1] = Self.blob(5, MediaType.ociLayerGzip)
        #expect(!RecompressedMatch.image(swapped, isRecompressed: Self.source), "an already compressed layer never changes")
        var wrongType = Self.recompressed
        wrongType.layers[0].mediaType = MediaType.ociLayerZstd
        #expect(!RecompressedMatch.image(wrongType, isRecompressed: Self.source), "only the gzip counterpart")
        var annotated = Self.recompressed
        annotated.annotations = ["org.example": "changed"]
        #expect(!RecompressedMatch.image(annotated, isRecompressed: Self.source))
    }

    @Test("indexes: children compared when only their digests differ; any other difference is no match")
    func indexes() {
        let amd64 = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(of: [10]), size: 500,
                               platform: Platform(architecture: "amd64", os: "linux"))
        let arm64 = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(of: [11]), size: 500,
                               platform: Platform(architecture: "arm64", os: "linux"))
        let source = ImageIndex(mediaType: MediaType.ociIndex, manifests: [amd64, arm64])
        var rewrittenChild = amd64
        rewrittenChild.digest = Digest.sha256(of: [12])
        let destination = ImageIndex(mediaType: MediaType.ociIndex, manifests: [rewrittenChild, arm64])
        let pairs = RecompressedMatch.differingChildren(destination, source)
        #expect(pairs?.count == 1)
        #expect(pairs?.first?.destination.digest == rewrittenChild.digest && pairs?.first?.source.digest == amd64.digest)

        #expect(RecompressedMatch.differingChildren(source, source) == nil, "nothing differs")
        var otherPlatform = rewrittenChild
        otherPlatform.platform = Platform(architecture: "s390x", os: "linux")
        #expect(RecompressedMatch.differingChildren(ImageIndex(mediaType: MediaType.ociIndex, manifests: [otherPlatform, arm64]), source) == nil)
        #expect(RecompressedMatch.differingChildren(ImageIndex(mediaType: MediaType.ociIndex, manifests: [rewrittenChild]), source) == nil)
    }
}
