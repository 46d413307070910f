/// A content digest such as `sha256:4a5e…`, validated before it can name a path or a URL.
///
/// Only the algorithms registered by the OCI image spec are accepted, and the hex part must
/// be lowercase and of the algorithm's exact length, so a `Digest` is always safe to use as a
/// file name (`blobs/sha256/<hex>`) or a URL path segment.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256, sha512

        var hexLength: Int { self == .sha256 ? 64 : 128 }
    }

    public let algorithm: Algorithm
    public let hex: String

    public init(algorithm: Algorithm, hex: String) throws {
        guard hex.utf8.count == algorithm.hexLength else {
            throw DigestError(value: "\(algorithm.rawValue):\(hex)",
                              reason: "\(algorithm.rawValue) needs \(algorithm.hexLength) hex digits, got \(hex.utf8.count)")
        }
        guard hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw DigestError(value: "\(algorithm.rawValue):\(hex)", reason: "the hex part must be lowercase 0-9a-f")
        }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// Parses `ALGORITHM:HEX`.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw DigestError(value: text, reason: "expected ALGORITHM:HEX, e.g. sha256:…")
        }
        let name = String(text[..<colon])
        guard let algorithm = Algorithm(rawValue: name) else {
            throw DigestError(value: text, reason: "unsupported digest algorithm \"\(name)\" (supported: sha256, sha512)")
        }
        try self.init(algorithm: algorithm, hex: String(text[text.index(after: colon)...]))
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// The first 12 hex digits, for display.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    /// The SHA-256 digest of `bytes`.
    public static func sha256<Bytes: Sequence>(of bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        let hasher = SHA256Hasher()
        let array = Array(bytes)
        array.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(parsing: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A digest string that is malformed or uses an unsupported algorithm.
public struct DigestError: Error, CustomStringConvertible, Equatable {
    public let value: String
    public let reason: String

    public var description: String { "invalid digest \"\(value)\": \(reason)" }
}

extension Digest {
    /// Whether content named by this digest can be verified: freightliner hashes SHA-256 only.
    public var isVerifiable: Bool { algorithm == .sha256 }
}

/// Content named by a digest whose algorithm parses but cannot be verified here (sha512):
/// copying it would mean passing on bytes nobody checked, so it is refused up front.
public struct UnsupportedDigestError: Error, CustomStringConvertible, Equatable {
    /// What is named, e.g. `layer of oci:/tmp/l@sha256:…`.
    public let what: String
    public let digest: Digest

    public init(what: String, digest: Digest) {
        self.what = what
        self.digest = digest
    }

    public var description: String {
        "\(what) is named by digest \(digest): the digest algorithm \(digest.algorithm.rawValue) is not supported "
            + "(freightliner verifies sha256 content only), so nothing of it was copied"
    }
}
