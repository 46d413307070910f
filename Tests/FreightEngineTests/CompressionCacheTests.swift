import Foundation
import FreightCore
@testable import FreightEngine
import FreightTestSupport
import Testing

/// Which learned layer rewrites a run trusts: only its own encoder's, since another encoder
/// compresses the same layer to other bytes.
@Suite("compression cache", .budget(minutes: 1))
struct CompressionCacheTests {
    static func rewrite(_ seed: UInt8, encoder: String?) -> LayerRewrite {
        LayerRewrite(original: Digest.sha256(of: [seed]), originalSize: 1000, algorithm: .gzip, level: 6,
                     compressed: Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256(of: [seed, 1]), size: 400),
                     encoder: encoder)
    }

    @Test("a record from before the block encoder has none, and the cache leaves it out; this encoder's facts are used")
    func encoders() async throws {
        let current = Self.rewrite(1, encoder: LayerRewrite.currentEncoder)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.rewrite(2, encoder: nil))) as! [String: Any]
        #expect(json["encoder"] == nil, "nothing written for an old record")
        json.removeValue(forKey: "encoder")
        let old = try JSONDecoder().decode(LayerRewrite.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.encoder == nil)

        let settings = CompressionSettings(algorithm: .gzip)
        let cache = CompressionCache(rewrites: [current, old])
        guard case .known(let known) = await cache.claim(current.original, settings: settings) else {
            Issue.record("this encoder's fact is not used")
            return
        }
        #expect(known == current)
        guard case .claimed = await cache.claim(old.original, settings: settings) else {
            Issue.record("an old encoder's fact is trusted")
            return
        }
    }
}
