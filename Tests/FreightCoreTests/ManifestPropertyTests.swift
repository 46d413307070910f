import Foundation
import FreightCore
import FreightTestSupport
import PropertyBased
import Testing

/// Properties of manifest and index decoding over generated and mutated documents: a valid
/// document decodes to what was encoded with its bytes and digest untouched, re-encoding what
/// was decoded gives the same content, and mutated bytes never crash the decoder and fail with
/// an error naming the source.
@Suite("manifests and indexes (properties)", .budget(minutes: 5))
struct ManifestPropertyTests {
    static let mediaTypes = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList,
                             MediaType.ociLayerGzip, MediaType.ociLayerTar, MediaType.ociConfig, "application/x-unknown+json", ""]

    static let mutator = Mutator(dictionary: [
        "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "0", "1e999", "18446744073709551616", "\\u0000", "\\ud800",
        "\"schemaVersion\":", "\"schemaVersion\":1", "\"schemaVersion\":2", "\"mediaType\":", "\"manifests\":[]", "\"config\":{}",
        "\"layers\":", "\"digest\":\"sha256:\"", "\"size\":-1", "\"platform\":{}", MediaType.ociIndex, MediaType.dockerManifestList,
        "application/vnd.docker.distribution.manifest.v1+json",
    ])

    static func string(_ random: inout any SeededRandomNumberGenerator) -> String {
        let alphabet = Array("abcXYZ019 ./:-_\"\\é\u{1F600}\n")
        return String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func descriptor(_ random: inout any SeededRandomNumberGenerator, platform: Bool = false) -> Descriptor {
        let bytes = (0..<Int.random(in: 0...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        var descriptor = Descriptor(mediaType: mediaTypes.randomElement(using: &random)!, digest: Digest.sha256(of: bytes),
                                    size: Int64.random(in: 0...Int64(1) << 40, using: &random))
        if platform || Int.random(in: 0..<4, using: &random) == 0 {
            var value = Platform(architecture: ["amd64", "arm64", "s390x", string(&random)].randomElement(using: &random)!,
                                 os: ["linux", "windows"].randomElement(using: &random)!)
            if Bool.random(using: &random) { value.variant = "v8" }
            if Int.random(in: 0..<4, using: &random) == 0 { value.osVersion = string(&random) }
            if Int.random(in: 0..<4, using: &random) == 0 { value.features = [string(&random)] }
            descriptor.platform = value
        }
        if Int.random(in: 0..<3, using: &random) == 0 { descriptor.annotations = [string(&random): string(&random)] }
        if Int.random(in: 0..<6, using: &random) == 0 { descriptor.urls = ["https://example.com/\(string(&random))"] }
        return descriptor
    }

    /// A manifest or index, and its JSON as a registry might serve it (any key order, pretty or not).
    static let documents = Generator<(ManifestDocument.Content, [UInt8]), Shrink.None<(ManifestDocument.Content, [UInt8])>>(run: { random in
        let encoder = JSONEncoder()
        encoder.outputFormatting = [[], [.sortedKeys], [.prettyPrinted], [.withoutEscapingSlashes, .sortedKeys]].randomElement(using: &random)!
        let content: ManifestDocument.Content
        if Bool.random(using: &random) {
            var manifest = ImageManifest(mediaType: [MediaType.ociManifest, MediaType.dockerManifest].randomElement(using: &random)!,
                                         config: descriptor(&random),
                                         layers: (0..<Int.random(in: 0...5, using: &random)).map { _ in descriptor(&random) })
            if Int.random(in: 0..<3, using: &random) == 0 { manifest.mediaType = nil }
            if Int.random(in: 0..<4, using: &random) == 0 { manifest.annotations = [string(&random): string(&random)] }
            if Int.random(in: 0..<6, using: &random) == 0 { manifest.subject = descriptor(&random) }
            content = .image(manifest)
        } else {
            var index = ImageIndex(mediaType: [MediaType.ociIndex, MediaType.dockerManifestList].randomElement(using: &random)!,
                                   manifests: (0..<Int.random(in: 0...4, using: &random)).map { _ in descriptor(&random, platform: true) })
            if Int.random(in: 0..<3, using: &random) == 0 { index.mediaType = nil }
            content = .index(index)
        }
        let data: Data
        switch content {
        case .image(let manifest): data = try! encoder.encode(manifest)
        case .index(let index): data = try! encoder.encode(index)
        }
        return (content, Array(data))
    })

    @Test("a generated manifest or index decodes to itself, bytes and digest untouched; re-encoding keeps the content")
    func roundTrip() async {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: PropertyRuns.count, input: Self.documents) { content, bytes in
            counter.tick()
            let document = try ManifestDocument(bytes: bytes, contentType: nil, source: "generated")
            #expect(document.content == content)
            #expect(document.bytes == bytes)
            #expect(document.digest == Digest.sha256(of: bytes))
            #expect(document.descriptor.size == Int64(bytes.count))
            let reencoded = try ManifestDocument(encoding: document.content)
            #expect(try ManifestDocument(bytes: reencoded.bytes, contentType: nil, source: "re-encoded").content == content)
        }
        PropertyRuns.report("manifest.round_trip", counter)
    }

    @Test("mutated documents never crash the decoder; a refusal is a ManifestError naming the source")
    func mutatedDocuments() async {
        let counter = PropertyRuns.Counter()
        let mutated = Generator<([UInt8], String?), Shrink.None<([UInt8], String?)>>(run: { random in
            let (_, bytes) = Self.documents.run(using: &random)
            let contentType = Bool.random(using: &random) ? Self.mediaTypes.randomElement(using: &random)! + "; charset=utf-8" : nil
            return (Self.mutator.mutate(bytes, using: &random), contentType)
        })
        await propertyCheck(count: PropertyRuns.count, input: mutated) { bytes, contentType in
            counter.tick()
            do {
                let document = try ManifestDocument(bytes: bytes, contentType: contentType, source: "mutated-source")
                #expect(document.bytes == bytes)
                #expect(document.digest == Digest.sha256(of: bytes))
            } catch let error as ManifestError {
                #expect(error.source == "mutated-source")
                #expect(!error.reason.isEmpty)
            }
        }
        PropertyRuns.report("manifest.mutated", counter)
    }
}
