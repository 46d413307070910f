import FreightCore

/// What a run knows about recompressed layers (from this run, its earlier sessions and other
/// saved runs), and which layers are being compressed right now, so each is compressed at most
/// once at a time.
actor CompressionCache {
    enum Claim {
        case known(LayerRewrite)
        case wait(OneShot)
        case claimed
    }

    private var layers: [String: LayerRewrite] = [:]
    private var inFlight: [String: OneShot] = [:]

    /// Facts of another encoder are left out: compressing such a layer again (for a destination
    /// that lacks the blob) would give other bytes than the fact names. The images they made are
    /// still recognised, by manifest mapping and by `RecompressedMatch`.
    init(rewrites: [LayerRewrite] = []) {
        for rewrite in rewrites where rewrite.encoder == LayerRewrite.currentEncoder {
            layers[Self.key(rewrite.original, rewrite.algorithm, rewrite.level)] = rewrite
        }
    }

    static func key(_ digest: Digest, _ algorithm: CompressionSettings.Algorithm, _ level: Int) -> String {
        "\(digest) \(algorithm.rawValue)-\(level)"
    }

    /// The settings that decide a manifest's rewrite, as a cache key part.
    static func fingerprint(_ settings: CompressionSettings) -> String {
        "\(settings.algorithm.rawValue)-\(settings.level) min=\(settings.minimumSize) max=\(settings.maximumSize.map(String.init) ?? "-") save=\(settings.minimumSavingsPercent)"
    }

    func claim(_ digest: Digest, settings: CompressionSettings) -> Claim {
        let key = Self.key(digest, settings.algorithm, settings.level)
        if let known = layers[key] { return .known(known) }
        if let signal = inFlight[key] { return .wait(signal) }
        inFlight[key] = OneShot()
        return .claimed
    }

    func finish(_ digest: Digest, settings: CompressionSettings, rewrite: LayerRewrite?) {
        let key = Self.key(digest, settings.algorithm, settings.level)
        if let rewrite { layers[key] = rewrite }
        inFlight.removeValue(forKey: key)?.signal()
    }
}
