/// The two manifest families a copy can write, as `skopeo copy --format` names them: OCI image
/// manifests and indexes, or Docker schema 2 manifests and manifest lists.
public enum ManifestFormat: String, Sendable, Codable, CaseIterable {
    case oci, docker

    public var imageManifestType: String { self == .oci ? MediaType.ociManifest : MediaType.dockerManifest }
    public var indexType: String { self == .oci ? MediaType.ociIndex : MediaType.dockerManifestList }

    /// Whether a manifest or index of `mediaType` is already of this family.
    public func holds(_ mediaType: String) -> Bool {
        mediaType == imageManifestType || mediaType == indexType
    }
}

/// Converts manifests between the OCI and Docker schema 2 families, the way containers/image
/// does for `skopeo copy --format`: media types of the manifest, its config and its layers
/// change; the config and layer blobs stay byte for byte (their content is the same in both
/// families). Conversion changes a manifest's digest. What one family cannot express is
/// refused with the reason (zstd layers, artifacts, a `subject`, nested indexes as Docker);
/// Docker schema 2 has no annotations, so converting to it drops them, as skopeo does.
public enum FormatConversion {
    static let dockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    static let ociNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

    /// `manifest` in `format`; the same value when it is already of that family.
    /// `source` names the manifest for errors.
    public static func image(_ manifest: ImageManifest, to format: ManifestFormat, source: String) throws -> ImageManifest {
        let current = manifest.mediaType ?? MediaType.ociManifest
        guard current != format.imageManifestType else { return manifest }
        func refuse(_ reason: String) -> ManifestError {
            ManifestError(source: source, reason: "cannot be converted to --format \(format.rawValue): \(reason)")
        }
        var converted = manifest
        converted.mediaType = format.imageManifestType
        switch format {
        case .oci:
            converted.config.mediaType = try configType(manifest.config.mediaType, from: MediaType.dockerConfig, to: MediaType.ociConfig,
                                                        refuse: refuse)
            converted.layers = try manifest.layers.map { layer in
                var layer = layer
                layer.mediaType = try ociLayerType(for: layer.mediaType, refuse: refuse)
                return layer
            }
        case .docker:
            if let artifactType = manifest.artifactType { throw refuse("it is an artifact (artifactType \(artifactType))") }
            if manifest.subject != nil { throw refuse("it refers to another manifest (subject), which Docker schema 2 cannot say") }
            converted.config.mediaType = try configType(manifest.config.mediaType, from: MediaType.ociConfig, to: MediaType.dockerConfig,
                                                        refuse: refuse)
            converted.layers = try manifest.layers.map { layer in
                var layer = layer
                layer.mediaType = try dockerLayerType(for: layer.mediaType, refuse: refuse)
                layer.data = nil
                return layer
            }
            converted.config.data = nil
            converted.annotations = nil
        }
        return converted
    }

    /// `index` in `format`, its entries' media types converted too (their digests and sizes
    /// are the caller's to update once the children are converted).
    public static func index(_ index: ImageIndex, to format: ManifestFormat, source: String) throws -> ImageIndex {
        func refuse(_ reason: String) -> ManifestError {
            ManifestError(source: source, reason: "cannot be converted to --format \(format.rawValue): \(reason)")
        }
        var converted = index
        converted.mediaType = format.indexType
        converted.manifests = try index.manifests.map { entry in
            var entry = entry
            if MediaType.isImageManifest(entry.mediaType) {
                entry.mediaType = format.imageManifestType
            } else if MediaType.isIndex(entry.mediaType) {
                guard format == .oci else { throw refuse("it holds an index (\(entry.digest)), which a Docker manifest list cannot") }
                entry.mediaType = format.indexType
            }
            if format == .docker {
                if entry.artifactType != nil { throw refuse("it lists an artifact (\(entry.digest))") }
                entry.data = nil
            }
            return entry
        }
        if format == .docker {
            if index.subject != nil { throw refuse("it refers to another manifest (subject), which Docker schema 2 cannot say") }
            converted.artifactType = nil
            converted.annotations = nil
        }
        return converted == index ? index : converted
    }

    private static func configType(_ type: String, from other: String, to wanted: String,
                                   refuse: (String) -> ManifestError) throws -> String {
        if type == wanted { return wanted }
        guard type == other else { throw refuse("its config has media type \(type), not an image config") }
        return wanted
    }

    private static func ociLayerType(for type: String, refuse: (String) -> ManifestError) throws -> String {
        switch type {
        case MediaType.dockerLayerTar: return MediaType.ociLayerTar
        case MediaType.dockerLayerGzip: return MediaType.ociLayerGzip
        case dockerForeignLayer: return ociNondistributableGzip
        case _ where type.hasPrefix("application/vnd.oci.image.layer."): return type
        default: throw refuse("layer media type \(type) has no OCI counterpart")
        }
    }

    private static func dockerLayerType(for type: String, refuse: (String) -> ManifestError) throws -> String {
        switch type {
        case MediaType.ociLayerTar, MediaType.dockerLayerTar: return MediaType.dockerLayerTar
        case MediaType.ociLayerGzip, MediaType.dockerLayerGzip: return MediaType.dockerLayerGzip
        case ociNondistributableGzip, dockerForeignLayer: return dockerForeignLayer
        case MediaType.ociLayerZstd: throw refuse("zstd layers have no Docker schema 2 media type")
        default: throw refuse("layer media type \(type) has no Docker schema 2 counterpart")
        }
    }
}
