import FreightCore

extension ImageCopier {
    /// What copying a tag did and learned.
    struct Outcome: Sendable {
        var outcome: TagOutcome
        var stats: TagStats
        /// The source manifest's digest, when it was reached.
        var sourceDigest: Digest?
        /// Layer rewrites this copy learned, for the checkpoint.
        var rewrites: [LayerRewrite] = []
        /// The blobs the destination holds for the image once copied (nothing in a dry run).
        var blobs: [Digest] = []
        /// Not copied for a reason that passes (the source's pull limit): the tag stays pending.
        var deferred: String?
        /// The manifests copied (the root, then every child), whose referrers go with them.
        var subjects: [Digest]?
        /// The source manifest's media type, when a HEAD told it.
        var sourceMediaType: String?
    }
}
