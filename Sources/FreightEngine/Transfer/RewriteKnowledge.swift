import FreightCore

/// What saved runs learned by rewriting: which layers compress to what, and which source
/// manifests became which destination manifests under which rewrite (compression, format,
/// platforms). Seeded from the checkpoint directory, it lets a re-run skip rewritten images with
/// one HEAD each.
public struct RewriteKnowledge: Sendable {
    public private(set) var rewrites: [LayerRewrite] = []
    /// "SOURCE-DIGEST FINGERPRINT" → destination manifest digest.
    public private(set) var manifests: [String: Digest] = [:]

    public init() {}

    /// Learns from every run in the store that rewrote something.
    public init(store: CheckpointStore) {
        for listing in store.list() where listing.header?.rewrites == true {
            if let record = listing.record { learn(from: record) }
        }
    }

    public mutating func learn(from record: RunRecord) {
        guard let settings = record.settings?.rewrite, !settings.isIdentity else { return }
        let fingerprint = settings.fingerprint
        for repository in record.repositories {
            for tag in repository.tags {
                rewrites += tag.rewrites ?? []
                if tag.state.isDone, let source = tag.sourceDigest, let destination = tag.digest {
                    manifests[ManifestMappings.key(source, fingerprint)] = destination
                }
            }
        }
    }
}
