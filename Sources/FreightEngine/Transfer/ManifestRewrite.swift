import FreightCore

/// What the destination's manifests become: the source's, converted to another family when a
/// `--format` asks for one, with recompressed layers put in, and indexes holding only the
/// platforms a `--platform` keeps, pointing at their rewritten children. A manifest in which
/// nothing changes keeps its exact bytes (and digest).
struct ManifestRewrite: Sendable {
    /// Recompressed layers: source layer digest → the blob that replaces it.
    var layers: [Digest: Descriptor] = [:]
    var format: ManifestFormat?
    var platforms: [PlatformSelector] = []

    /// Every rewritten child (push order kept) and the rewritten root.
    func apply(to graph: ManifestGraph, root: ManifestDocument, source: String) throws -> (children: [ManifestDocument], top: ManifestDocument) {
        var rewritten: [Digest: ManifestDocument] = [:]
        var children: [ManifestDocument] = []
        for child in graph.children {
            let updated = try rewrite(child, children: rewritten, source: "\(source)@\(child.digest)")
            rewritten[child.digest] = updated
            children.append(updated)
        }
        return (children, try rewrite(root, children: rewritten, source: source))
    }

    /// Whether anything can change: without a format or a recompressed layer, every manifest
    /// is copied as it is.
    var isIdentity: Bool { format == nil && layers.isEmpty && platforms.isEmpty }

    /// `document` rewritten, given its already rewritten `children`.
    func rewrite(_ document: ManifestDocument, children: [Digest: ManifestDocument], source: String) throws -> ManifestDocument {
        switch document.content {
        case .image(let original):
            var manifest = original
            if let format { manifest = try FormatConversion.image(manifest, to: format, source: source) }
            // A recompressed layer takes the gzip type of the manifest it is written into (after
            // any conversion), never the type another manifest gave the same blob.
            let gzipType = MediaType.gzipLayer(inManifest: manifest.mediaType)
            manifest.layers = manifest.layers.map { layer in
                guard let replacement = layers[layer.digest], replacement.digest != layer.digest else { return layer }
                var updated = layer
                updated.digest = replacement.digest
                updated.size = replacement.size
                updated.mediaType = gzipType
                // Embedded content (OCI 1.1 `data`) is of the uncompressed bytes: it would
                // contradict the new digest, so it goes.
                updated.data = nil
                return updated
            }
            return manifest == original ? document : try ManifestDocument(encoding: .image(manifest))
        case .index(let original):
            var index = original
            index.manifests = PlatformSelector.select(index.manifests, keeping: platforms)
            if let format { index = try FormatConversion.index(index, to: format, source: source) }
            index.manifests = index.manifests.map { entry in
                guard let child = children[entry.digest], child.digest != entry.digest else { return entry }
                var updated = entry
                updated.digest = child.digest
                updated.size = Int64(child.bytes.count)
                updated.mediaType = child.mediaType
                updated.data = nil
                return updated
            }
            return index == original ? document : try ManifestDocument(encoding: .index(index))
        }
    }
}
