/// The media types Freightliner reads and writes, and how each is treated.
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"

    public static let ociLayerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// Every manifest type a registry is asked for, in the `Accept` header.
    public static let acceptedManifests = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }
    public static func isImageManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
    public static func isManifest(_ type: String) -> Bool { isIndex(type) || isImageManifest(type) }
    public static func isSchema1(_ type: String) -> Bool { type == dockerSchema1 || type == dockerSchema1Signed }

    /// The gzip layer type a manifest of type `manifestType` gives a layer it recompresses:
    /// a Docker schema 2 manifest takes Docker's type, every other manifest OCI's. It follows
    /// the manifest, never the layer's history: one uncompressed blob may be named by a Docker
    /// and an OCI manifest alike, and each must get its own family's type.
    public static func gzipLayer(inManifest manifestType: String?) -> String {
        manifestType == dockerManifest ? dockerLayerGzip : ociLayerGzip
    }

    /// The gzip media type that replaces an uncompressed layer type, or nil when `type` is not
    /// an uncompressed layer (and so never a compression candidate).
    public static func gzipCounterpart(ofUncompressed type: String) -> String? {
        switch type {
        case ociLayerTar: return ociLayerGzip
        case dockerLayerTar: return dockerLayerGzip
        default: return nil
        }
    }
}
