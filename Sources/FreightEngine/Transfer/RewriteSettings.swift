import FreightCore

/// How the destination's manifests differ from the source's: recompressed layers
/// (`--compress`), another manifest family (`--format`), fewer platforms (`--platform`). With
/// none of them a copy keeps every digest.
public struct RewriteSettings: Sendable, Equatable {
    public var compression: CompressionSettings
    public var format: ManifestFormat?
    public var platforms: [PlatformSelector]

    public init(compression: CompressionSettings = .none, format: ManifestFormat? = nil, platforms: [PlatformSelector] = []) {
        self.compression = compression
        self.format = format
        self.platforms = platforms
    }

    public var isIdentity: Bool { !compression.isEnabled && format == nil && platforms.isEmpty }

    /// What decides how a manifest is rewritten: one source digest under one fingerprint always
    /// becomes the same destination digest (compression is deterministic), so a mapping learned
    /// once (by this run, or saved by another) lets a re-run skip with one HEAD.
    public var fingerprint: String {
        var parts: [String] = []
        if compression.isEnabled { parts.append(CompressionCache.fingerprint(compression)) }
        if let format { parts.append("format=\(format.rawValue)") }
        if !platforms.isEmpty { parts.append("platforms=" + platforms.map(\.description).sorted().joined(separator: ",")) }
        return parts.joined(separator: " ")
    }
}

/// Which source manifest became which destination manifest under which rewrite, from this run
/// and from saved runs.
actor ManifestMappings {
    private var mappings: [String: Digest]

    init(_ mappings: [String: Digest] = [:]) { self.mappings = mappings }

    static func key(_ source: Digest, _ fingerprint: String) -> String { "\(source) \(fingerprint)" }

    func destination(of source: Digest, fingerprint: String) -> Digest? { mappings[Self.key(source, fingerprint)] }

    func record(_ source: Digest, fingerprint: String, destination: Digest) {
        mappings[Self.key(source, fingerprint)] = destination
    }
}
