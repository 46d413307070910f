import Foundation

/// A manifest or index exactly as a registry served it: the raw bytes (whose digest must be
/// preserved), their media type and digest, and the decoded content.
public struct ManifestDocument: Sendable, Hashable {
    /// Manifests larger than this are refused before decoding, as registries do (4 MiB).
    public static let maxSize = 4 * 1024 * 1024

    public enum Content: Sendable, Hashable {
        case image(ImageManifest)
        case index(ImageIndex)
    }

    public let bytes: [UInt8]
    public let mediaType: String
    public let digest: Digest
    public let content: Content

    /// Decodes `bytes`; `contentType` is the registry's `Content-Type`, used when the document
    /// itself carries no `mediaType`. `source` names where the bytes came from, for errors.
    public init(bytes: [UInt8], contentType: String?, source: String) throws {
        guard bytes.count <= Self.maxSize else {
            throw ManifestError(source: source,
                                reason: "the manifest is \(bytes.count) bytes, over the \(Self.maxSize)-byte limit")
        }
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: Data(bytes))
        } catch {
            throw ManifestError(source: source, reason: "not a manifest: the content is not a JSON object")
        }
        let declared = probe.mediaType ?? contentType.map(Self.stripParameters)
        if probe.schemaVersion == 1 || declared.map(MediaType.isSchema1) == true {
            throw ManifestError(source: source,
                                reason: "Docker schema 1 manifests are not supported (deprecated since 2017); push the image again with a current client to convert it")
        }
        guard probe.schemaVersion == 2 else {
            let version = probe.schemaVersion.map(String.init) ?? "missing"
            throw ManifestError(source: source, reason: "not a manifest: schemaVersion is \(version), expected 2")
        }

        let kindIsIndex: Bool
        if let declared, MediaType.isManifest(declared) {
            kindIsIndex = MediaType.isIndex(declared)
        } else if probe.manifests != nil {
            kindIsIndex = true
        } else if probe.config != nil {
            kindIsIndex = false
        } else {
            throw ManifestError(source: source,
                                reason: "not a manifest: media type \"\(declared ?? "none")\" and neither 'manifests' nor 'config'")
        }

        do {
            if kindIsIndex {
                let index = try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
                content = .index(index)
                mediaType = index.mediaType ?? declared.flatMap { MediaType.isIndex($0) ? $0 : nil } ?? MediaType.ociIndex
            } else {
                let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(bytes))
                content = .image(manifest)
                mediaType = manifest.mediaType
                    ?? declared.flatMap { MediaType.isImageManifest($0) ? $0 : nil } ?? MediaType.ociManifest
            }
        } catch let error as DecodingError {
            throw ManifestError(source: source, reason: "malformed manifest: \(Self.describe(error))")
        } catch {
            throw ManifestError(source: source, reason: "malformed manifest: \(error)")
        }
        self.bytes = bytes
        self.digest = Digest.sha256(of: bytes)
    }

    /// Encodes a manifest the engine rewrote (e.g. after recompressing layers).
    public init(encoding content: Content) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        switch content {
        case .image(let manifest):
            data = try encoder.encode(manifest)
            mediaType = manifest.mediaType ?? MediaType.ociManifest
        case .index(let index):
            data = try encoder.encode(index)
            mediaType = index.mediaType ?? MediaType.ociIndex
        }
        bytes = Array(data)
        digest = Digest.sha256(of: bytes)
        self.content = content
    }

    /// The descriptor that points at this document.
    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    public var isIndex: Bool {
        if case .index = content { return true }
        return false
    }

    public static func stripParameters(_ contentType: String) -> String {
        // On bytes: Foundation's trimmingCharacters was ~4 % of a no-op sync's CPU (one per HEAD).
        let utf8 = contentType.utf8
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = utf8.startIndex, end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        while start < end, isBlank(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(Self.path(context.codingPath + [key]))\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \"\(Self.path(context.codingPath))\""
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as? CustomStringConvertible)?.description
            return "\(underlying ?? context.debugDescription) at \"\(Self.path(context.codingPath))\""
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// Just enough structure to classify a document before decoding it fully.
    private struct Probe: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var manifests: [IgnoredValue]?
        var config: IgnoredValue?
    }

    private struct IgnoredValue: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}

/// A document that is not an acceptable manifest; `source` names where it came from.
public struct ManifestError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let reason: String

    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)".escapingControlCharacters }
}
