/// One `--platform OS/ARCH[/VARIANT]`: which images of an index to copy. Without a variant it
/// takes every variant of the architecture (`linux/arm64` takes `linux/arm64/v8`).
public struct PlatformSelector: Hashable, Sendable, CustomStringConvertible {
    public let os: String
    public let architecture: String
    public let variant: String?

    /// buildx's annotations on an attestation manifest in an index: what it is, and the digest of
    /// the image it describes.
    public static let referenceTypeAnnotation = "vnd.docker.reference.type"
    public static let referenceDigestAnnotation = "vnd.docker.reference.digest"

    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(Self.isNameByte) }) else {
            throw ReferenceError(value: text, reason: "a platform is OS/ARCH or OS/ARCH/VARIANT, e.g. linux/arm64 or linux/arm/v7")
        }
        os = parts[0]
        architecture = parts[1]
        variant = parts.count == 3 ? parts[2] : nil
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    public func matches(_ platform: Platform) -> Bool {
        platform.os.lowercased() == os && platform.architecture.lowercased() == architecture
            && (variant == nil || platform.variant?.lowercased() == variant)
    }

    /// The entries of an index that `selectors` keep: images of a matching platform, nested
    /// indexes (whose own entries are chosen in turn), and attestation manifests of a kept image.
    /// Every entry when `selectors` is empty.
    public static func select(_ entries: [Descriptor], keeping selectors: [PlatformSelector]) -> [Descriptor] {
        guard !selectors.isEmpty else { return entries }
        let images = Set(entries.filter { entry in
            entry.annotations?[referenceTypeAnnotation] == nil && entry.platform.map { platform in selectors.contains { $0.matches(platform) } } == true
        }.map(\.digest))
        return entries.filter { entry in
            if images.contains(entry.digest) { return true }
            if MediaType.isIndex(entry.mediaType) { return true }
            if entry.annotations?[referenceTypeAnnotation] == "attestation-manifest",
               let described = entry.annotations?[referenceDigestAnnotation].flatMap({ try? Digest(parsing: $0) }) {
                return images.contains(described)
            }
            return false
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
