import FreightCore

/// What a run knows about recompressed content: layer rewrites (from this run, its earlier
/// sessions and other saved runs), which source manifest became which destination manifest
/// under given settings, and which layers are being compressed right now, so each is
/// compressed at most once at a time.
actor CompressionCache {
    enum Claim {
        case known(LayerRewrite)
        case wait(OneShot)
        case claimed
    }

    private var layers: [String: LayerRewrite] = [:]
    private var manifests: [String: Digest] = [:]
    private var inFlight: [String: OneShot] = [:]

    init(rewrites: [LayerRewrite] = [], manifests: [String: Digest] = [:]) {
        for rewrite in rewrites { layers[Self.key(rewrite.original, rewrite.algorithm, rewrite.level)] = rewrite }
        self.manifests = manifests
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

    /// The destination digest a source manifest was rewritten to under `settings` (and
    /// converted to `format`), if known.
    func rewrittenManifest(_ source: Digest, settings: CompressionSettings, format: ManifestFormat?) -> Digest? {
        manifests[Self.manifestKey(source, settings, format)]
    }

    func recordManifest(_ source: Digest, settings: CompressionSettings, format: ManifestFormat?, destination: Digest) {
        manifests[Self.manifestKey(source, settings, format)] = destination
    }

    static func manifestKey(_ source: Digest, _ settings: CompressionSettings, _ format: ManifestFormat?) -> String {
        let key = "\(source) \(fingerprint(settings))"
        return format.map { "\(key) format=\($0.rawValue)" } ?? key
    }
}
