import FreightCore

/// Recognises a destination image that is a source image with its uncompressed layers
/// recompressed (what `--compress` wrote before), so that a re-run without the checkpoint that
/// remembers it (a `copy`, or a `sync` with a new `--checkpoint-dir`) skips it instead of
/// compressing and uploading everything again.
///
/// The test is structural: the same config blob, whose `rootfs.diff_ids` pin every layer's
/// uncompressed content (and which every runtime checks again when it unpacks the image), the
/// same layers in the same order, each identical or the gzip form of an uncompressed source
/// layer, and nothing else changed. It does not tell compression levels apart: an image
/// recompressed at another level is current too, and `--force` compresses it again.
enum RecompressedMatch {
    /// Whether `destination` is `source` with at least one uncompressed layer recompressed.
    static func image(_ destination: ImageManifest, isRecompressed source: ImageManifest) -> Bool {
        guard destination.config == source.config, destination.layers.count == source.layers.count,
              destination.mediaType == source.mediaType, destination.artifactType == source.artifactType,
              destination.subject == source.subject, destination.annotations == source.annotations else { return false }
        var recompressed = false
        let gzip = MediaType.gzipLayer(inManifest: source.mediaType)
        for (ours, theirs) in zip(destination.layers, source.layers) where ours != theirs {
            guard MediaType.gzipCounterpart(ofUncompressed: theirs.mediaType) != nil, ours.mediaType == gzip, ours.data == nil,
                  ours.annotations == theirs.annotations, ours.urls == theirs.urls, ours.platform == theirs.platform else { return false }
            recompressed = true
        }
        return recompressed
    }

    /// The children of two indexes that must be compared as images: nil when the indexes
    /// differ in anything else (count, order, platforms, annotations), or in nothing at all.
    static func differingChildren(_ destination: ImageIndex, _ source: ImageIndex) -> [(destination: Descriptor, source: Descriptor)]? {
        guard destination.manifests.count == source.manifests.count, destination.mediaType == source.mediaType,
              destination.artifactType == source.artifactType, destination.subject == source.subject,
              destination.annotations == source.annotations else { return nil }
        var pairs: [(destination: Descriptor, source: Descriptor)] = []
        for (ours, theirs) in zip(destination.manifests, source.manifests) where ours != theirs {
            guard ours.mediaType == theirs.mediaType, MediaType.isImageManifest(theirs.mediaType), ours.platform == theirs.platform,
                  ours.annotations == theirs.annotations, ours.artifactType == theirs.artifactType else { return nil }
            pairs.append((ours, theirs))
        }
        return pairs.isEmpty ? nil : pairs
    }
}
