import FreightCore
import FreightRegistry

/// An image's manifests and blobs: child manifests in push order (children before parents),
/// and every blob once.
struct ManifestGraph: Sendable {
    var children: [ManifestDocument] = []
    var blobs: [Descriptor] = []

    /// With `platforms`, an index's children are only those `PlatformSelector.select` keeps.
    static func load(root: ManifestDocument, from source: any ImageRepository, platforms: [PlatformSelector] = []) async throws -> ManifestGraph {
        var graph = ManifestGraph()
        var seenBlobs: Set<Digest> = []
        var seenManifests: Set<Digest> = [root.digest]
        try await graph.visit(root, isRoot: true, from: source, platforms: platforms, seenBlobs: &seenBlobs, seenManifests: &seenManifests)
        return graph
    }

    private mutating func visit(_ document: ManifestDocument, isRoot: Bool, from source: any ImageRepository, platforms: [PlatformSelector],
                                seenBlobs: inout Set<Digest>, seenManifests: inout Set<Digest>) async throws {
        switch document.content {
        case .image(let manifest):
            for blob in manifest.blobs where Self.isDistributable(blob) && seenBlobs.insert(blob.digest).inserted {
                guard blob.digest.isVerifiable else {
                    throw UnsupportedDigestError(what: "a blob of \(source.displayName)@\(document.digest)", digest: blob.digest)
                }
                blobs.append(blob)
            }
        case .index(let index):
            let children = try await withThrowingTaskGroup(of: (Int, ManifestDocument).self) { group in
                let kept = PlatformSelector.select(index.manifests, keeping: platforms)
                for (position, child) in kept.enumerated() where seenManifests.insert(child.digest).inserted {
                    guard MediaType.isManifest(child.mediaType) else {
                        throw ManifestError(source: "\(source.displayName)@\(document.digest)",
                                            reason: "index entry \(child.digest) has media type \"\(child.mediaType)\", not a manifest")
                    }
                    guard child.digest.isVerifiable else {
                        throw UnsupportedDigestError(what: "a manifest of \(source.displayName)@\(document.digest)", digest: child.digest)
                    }
                    group.addTask { (position, try await source.manifest(child.digest.description)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
            }
            for child in children {
                try await visit(child, isRoot: false, from: source, platforms: platforms, seenBlobs: &seenBlobs, seenManifests: &seenManifests)
            }
        }
        if !isRoot { self.children.append(document) }
    }

    /// Foreign (non-distributable) layers live elsewhere by design and are not copied.
    static func isDistributable(_ blob: Descriptor) -> Bool {
        !(blob.mediaType.contains("foreign") || blob.mediaType.contains("nondistributable"))
    }
}
