import Foundation
import FreightCore

/// Test set-up of images in a `MemoryRepository`, straight into its storage: no request is
/// logged and no fault applies. Layers are opaque bytes (the engine moves them without looking
/// inside unless it recompresses); configs are JSON naming the platform.
extension MemoryRepository {
    /// Stores a manifest under its digest, and under `tag` if given.
    public func store(manifest document: ManifestDocument, tag: String? = nil) {
        registry.state.withLock { state in
            state.repositories[path, default: .init()].manifests[document.digest] = document
            if let tag { state.repositories[path, default: .init()].tags[tag] = document.digest }
        }
    }

    /// Stores an OCI image of these layers: a config naming `platform` and `label` (images with
    /// the same layers differ by it), the layers, and the manifest, under `tag` if given.
    @discardableResult
    public func storeImage(layers: [[UInt8]], platform: Platform = Platform(architecture: "amd64", os: "linux"), label: String = "",
                           tag: String? = nil) throws -> ManifestDocument {
        let config: [String: Any] = [
            "architecture": platform.architecture, "os": platform.os,
            "config": ["Labels": ["test": label]],
            "rootfs": ["type": "layers", "diff_ids": layers.map { Digest.sha256(of: $0).description }],
        ]
        let configBytes = Array(try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        var configDescriptor = store(blob: configBytes)
        configDescriptor.mediaType = MediaType.ociConfig
        let layerDescriptors = layers.map { bytes -> Descriptor in
            var descriptor = store(blob: bytes)
            descriptor.mediaType = MediaType.ociLayerGzip
            return descriptor
        }
        let document = try ManifestDocument(encoding: .image(ImageManifest(mediaType: MediaType.ociManifest, config: configDescriptor,
                                                                           layers: layerDescriptors)))
        store(manifest: document, tag: tag)
        return document
    }

    /// Stores an OCI index of these images (each entry with the platform its config names),
    /// under `tag` if given. The images must be stored here already.
    @discardableResult
    public func storeIndex(_ images: [ManifestDocument], tag: String? = nil) throws -> ManifestDocument {
        let entries = try images.map { image -> Descriptor in
            var descriptor = image.descriptor
            if case .image(let manifest) = image.content, let bytes = contents.blobs[manifest.config.digest],
               let config = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
               let architecture = config["architecture"] as? String, let os = config["os"] as? String {
                descriptor.platform = Platform(architecture: architecture, os: os)
            }
            return descriptor
        }
        let document = try ManifestDocument(encoding: .index(ImageIndex(mediaType: MediaType.ociIndex, manifests: entries)))
        store(manifest: document, tag: tag)
        return document
    }

    /// What the repository holds now.
    public var contents: MemoryRegistry.Repository { registry.contents(of: path) }
}
