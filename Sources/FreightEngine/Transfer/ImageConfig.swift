import Foundation
import FreightCore
import FreightRegistry

/// What the engine reads from an image's config blob: the platform it is built for.
enum ImageConfig {
    /// Configs are small JSON documents; anything larger is not read here.
    static let maxSize = 4 * 1024 * 1024

    /// The `os`/`architecture`/`variant` of `manifest`'s config; nil when the config is not an
    /// image config (an artifact) or does not say.
    static func platform(of manifest: ImageManifest, in repository: any ImageRepository) async throws -> Platform? {
        guard manifest.config.mediaType == MediaType.ociConfig || manifest.config.mediaType == MediaType.dockerConfig,
              manifest.config.size <= maxSize else { return nil }
        let reader = try await repository.openBlob(manifest.config)
        var bytes: [UInt8] = []
        for try await chunk in reader {
            bytes += chunk
            guard bytes.count <= maxSize else { return nil }
        }
        guard Digest.sha256(of: bytes) == manifest.config.digest else {
            throw DigestMismatchError(what: "config \(manifest.config.digest) at \(repository.displayName)",
                                      expected: manifest.config.digest.description, actual: Digest.sha256(of: bytes).description)
        }
        struct Config: Decodable {
            var os: String?
            var architecture: String?
            var variant: String?
        }
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)), let os = config.os,
              let architecture = config.architecture else { return nil }
        return Platform(architecture: architecture, os: os, variant: config.variant)
    }
}
