import Foundation
import FreightCore
import Testing
import FreightTestSupport

@Suite("Manifests", .budget(minutes: 1))
struct ManifestTests {
    let hex = String(repeating: "1", count: 64)

    func manifestJSON(mediaType: String? = MediaType.ociManifest) -> String {
        let type = mediaType.map { "\"mediaType\":\"\($0)\"," } ?? ""
        return """
            {"schemaVersion":2,\(type)"config":{"mediaType":"\(MediaType.ociConfig)","digest":"sha256:\(hex)","size":10},
             "layers":[{"mediaType":"\(MediaType.ociLayerGzip)","digest":"sha256:\(hex)","size":20}]}
            """
    }

    @Test("decodes an OCI manifest and keeps its exact bytes and digest")
    func ociManifest() throws {
        let bytes = Array(manifestJSON().utf8)
        let document = try ManifestDocument(bytes: bytes, contentType: nil, source: "test")
        #expect(document.bytes == bytes)
        #expect(document.digest == Digest.sha256(of: bytes))
        #expect(document.mediaType == MediaType.ociManifest)
        guard case .image(let manifest) = document.content else { Issue.record("not an image"); return }
        #expect(manifest.blobs.count == 2)
    }

    @Test("the Content-Type decides when the document has no mediaType")
    func contentType() throws {
        let document = try ManifestDocument(bytes: Array(manifestJSON(mediaType: nil).utf8),
                                            contentType: "\(MediaType.dockerManifest); charset=utf-8", source: "test")
        #expect(document.mediaType == MediaType.dockerManifest)
    }

    @Test("indexes and Docker manifest lists")
    func indexes() throws {
        for type in [MediaType.ociIndex, MediaType.dockerManifestList] {
            let json = """
                {"schemaVersion":2,"mediaType":"\(type)","manifests":[{"mediaType":"\(MediaType.ociManifest)",
                 "digest":"sha256:\(hex)","size":5,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
                """
            let document = try ManifestDocument(bytes: Array(json.utf8), contentType: nil, source: "test")
            #expect(document.isIndex)
            guard case .index(let index) = document.content else { continue }
            #expect(index.manifests.first?.platform?.description == "linux/arm64/v8")
        }
    }

    @Test("schema 1 is refused with a clear message")
    func schema1() {
        let json = #"{"schemaVersion":1,"name":"library/app","tag":"v1","fsLayers":[],"history":[]}"#
        let error = #expect(throws: ManifestError.self) {
            try ManifestDocument(bytes: Array(json.utf8), contentType: MediaType.dockerSchema1Signed, source: "example.com/app:v1")
        }
        #expect(error?.description.contains("example.com/app:v1") == true)
        #expect(error?.description.contains("schema 1") == true)
    }

    @Test("a Content-Type loses its parameters and surrounding blanks", arguments: [
        ("application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.manifest.v1+json"),
        ("application/vnd.oci.image.index.v1+json; charset=utf-8", "application/vnd.oci.image.index.v1+json"),
        (" \tapplication/json \t;q=1;x=y", "application/json"),
        ("; charset=utf-8", ""),
        ("", ""),
    ])
    func stripParameters(contentType: String, expected: String) {
        #expect(ManifestDocument.stripParameters(contentType) == expected)
    }

    @Test("a document over 4 MiB is refused before decoding")
    func oversized() {
        let padding = String(repeating: " ", count: ManifestDocument.maxSize)
        let error = #expect(throws: ManifestError.self) {
            try ManifestDocument(bytes: Array((manifestJSON() + padding).utf8), contentType: nil, source: "big")
        }
        #expect(error?.description.contains("limit") == true)
    }

    @Test("things that are not manifests say so", arguments: [
        "not json at all", "[1,2,3]", #"{"schemaVersion":2}"#, #"{"schemaVersion":3,"config":{}}"#,
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:../../etc","size":1},"layers":[]}"#,
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":-5},"layers":[]}"#,
    ])
    func notManifests(text: String) {
        let error = #expect(throws: ManifestError.self) {
            try ManifestDocument(bytes: Array(text.utf8), contentType: "application/json", source: "src")
        }
        #expect(error?.source == "src")
    }

    @Test("decoding never crashes on mutated input")
    func mutationProperty() {
        var random = SplitMix(seed: 42)
        let base = Array(manifestJSON().utf8)
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<Int(random.next() % 4 + 1) {
                let position = Int(random.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: random.next())
            }
            if let document = try? ManifestDocument(bytes: bytes, contentType: nil, source: "fuzz") {
                #expect(document.digest == Digest.sha256(of: bytes))
            }
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
