import FreightCore

extension ImageCopier {
    enum Comparison {
        /// The destination has what this tag must become (its digest, rewritten or not).
        case upToDate(Digest)
        /// Copy the source manifest with this digest (already read, if it was); the
        /// destination's manifest under the tag, when it has one.
        case copy(Digest, ManifestDocument?, existing: Descriptor?)
    }
}
