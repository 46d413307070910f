import Foundation
import FreightCore

/// Writes test images into an OCI image layout: real tar layers (gzipped or not), a config with
/// the right diff_ids, manifests and indexes in OCI or Docker media types. Content comes from a
/// seeded generator, so the same calls always give the same digests.
public final class LayoutBuilder {
    public enum Format: Sendable { case oci, docker }

    public enum Content: Sendable {
        /// Incompressible bytes.
        case random(Int)
        /// Text that compresses well.
        case text(Int)
    }

    public let path: String
    private var entries: [Descriptor] = []
    private var generator: SplitMix64

    public init(path: String, seed: UInt64 = 1) throws {
        self.path = path
        generator = SplitMix64(seed: seed)
        try FileManager.default.createDirectory(atPath: "\(path)/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: "\(path)/oci-layout"))
        try write()
    }

    /// Stores bytes as a blob.
    @discardableResult
    public func blob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let digest = Digest.sha256(of: bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: "\(path)/blobs/sha256/\(digest.hex)"))
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// A tar with one file of the given content; returns its descriptor and diff_id.
    public func layer(_ content: Content, format: Format = .oci, gzip: Bool = true) throws -> (Descriptor, Digest) {
        let data: [UInt8]
        switch content {
        case .random(let size): data = generator.bytes(size)
        case .text(let size):
            let line = Array("freightliner test layer line \(generator.next() % 1000): the quick brown fox jumps over the lazy dog\n".utf8)
            data = Array((0..<(size / line.count + 1)).lazy.flatMap { _ in line }.prefix(size))
        }
        let tar = Tar.single(name: "file-\(generator.next() % 100_000).bin", content: data)
        let diffID = Digest.sha256(of: tar)
        let mediaType: String
        switch (format, gzip) {
        case (.oci, true): mediaType = MediaType.ociLayerGzip
        case (.oci, false): mediaType = MediaType.ociLayerTar
        case (.docker, true): mediaType = MediaType.dockerLayerGzip
        case (.docker, false): mediaType = MediaType.dockerLayerTar
        }
        return (try blob(gzip ? Gzip.compress(tar) : tar, mediaType: mediaType), diffID)
    }

    /// An image manifest over existing layers; returns the manifest's descriptor.
    public func image(layers: [(Descriptor, Digest)], format: Format = .oci, platform: Platform = Platform(architecture: "amd64", os: "linux"),
                      label: String = "") throws -> Descriptor {
        let config: [String: Any] = [
            "architecture": platform.architecture, "os": platform.os,
            "config": ["Labels": ["test": label]],
            "rootfs": ["type": "layers", "diff_ids": layers.map { $0.1.description }],
        ]
        let configBytes = Array(try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        let configDescriptor = try blob(configBytes, mediaType: format == .oci ? MediaType.ociConfig : MediaType.dockerConfig)
        let manifest = ImageManifest(mediaType: format == .oci ? MediaType.ociManifest : MediaType.dockerManifest,
                                     config: configDescriptor, layers: layers.map(\.0))
        let document = try ManifestDocument(encoding: .image(manifest))
        var descriptor = try blob(document.bytes, mediaType: document.mediaType)
        descriptor.platform = platform
        return descriptor
    }

    /// A simple image: `layerCount` random layers of `layerSize` bytes.
    public func simpleImage(layerCount: Int = 2, layerSize: Int = 4096, format: Format = .oci, label: String = "") throws -> Descriptor {
        let layers = try (0..<layerCount).map { _ in try layer(.random(layerSize), format: format) }
        return try image(layers: layers, format: format, label: label)
    }

    /// An index (OCI) or manifest list (Docker) over platform manifests.
    public func index(_ manifests: [Descriptor], format: Format = .oci) throws -> Descriptor {
        let index = ImageIndex(mediaType: format == .oci ? MediaType.ociIndex : MediaType.dockerManifestList, manifests: manifests)
        let document = try ManifestDocument(encoding: .index(index))
        return try blob(document.bytes, mediaType: document.mediaType)
    }

    /// A multi-platform image: one manifest per platform sharing `shared` base layers.
    public func multiPlatform(platforms: [Platform], shared: [(Descriptor, Digest)] = [], layerSize: Int = 4096,
                              format: Format = .oci) throws -> Descriptor {
        let children = try platforms.map { platform in
            try image(layers: shared + [try layer(.random(layerSize), format: format)], format: format, platform: platform)
        }
        return try index(children, format: format)
    }

    /// Names `descriptor` `tag` in index.json.
    public func tag(_ descriptor: Descriptor, _ tag: String) throws {
        var entry = descriptor
        entry.platform = nil
        entry.annotations = ["org.opencontainers.image.ref.name": tag]
        entries.removeAll { $0.annotations?["org.opencontainers.image.ref.name"] == tag }
        entries.append(entry)
        try write()
    }

    private func write() throws {
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: entries)
        try Data(try ManifestDocument(encoding: .index(index)).bytes).write(to: URL(fileURLWithPath: "\(path)/index.json"))
    }
}

/// A deterministic PRNG (SplitMix64) for test content.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            withUnsafeBytes(of: next()) { out.append(contentsOf: $0) }
        }
        return Array(out.prefix(count))
    }
}

/// A minimal ustar archive writer.
public enum Tar {
    public static func single(name: String, content: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(name, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 7)
        put(octal(0, width: 8), at: 108, width: 7)
        put(octal(0, width: 8), at: 116, width: 7)
        put(octal(content.count, width: 12), at: 124, width: 11)
        put(octal(0, width: 12), at: 136, width: 11)
        put("        ", at: 148, width: 8)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7), at: 148, width: 6)
        header[155] = UInt8(ascii: " ")
        let padding = (512 - content.count % 512) % 512
        return header + content + [UInt8](repeating: 0, count: padding) + [UInt8](repeating: 0, count: 1024)
    }
}
