/// A registry image reference in the docker grammar:
/// `[HOST[:PORT]/]PATH[:TAG][@ALGORITHM:HEX]`.
///
/// A name with no host means Docker Hub (`docker.io`), and a single-component Docker Hub name
/// gets the `library/` namespace, so `alpine` is `docker.io/library/alpine:latest`.
///
///     let ref = try ImageReference(parsing: "127.0.0.1:5000/team/app:1.2")
///     ref.registry   // "127.0.0.1:5000"
///     ref.repository // "team/app"
///     ref.tag        // "1.2"
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public static let dockerHub = "docker.io"
    /// Longest accepted repository name, host included, as in the distribution spec.
    public static let maxNameLength = 255
    public static let maxTagLength = 128

    /// `HOST[:PORT]`, lowercase where it matters; `docker.io` for Docker Hub.
    public let registry: String
    /// The repository path inside the registry, e.g. `library/alpine`.
    public let repository: String
    public let tag: String?
    public let digest: Digest?

    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) throws {
        let text = "\(registry)/\(repository)"
        try Self.validateHost(registry, in: text)
        try Self.validatePath(repository, in: text)
        if let tag { try Self.validateTag(tag, in: text) }
        guard text.utf8.count <= Self.maxNameLength else {
            throw ReferenceError(value: text, reason: "the name is longer than \(Self.maxNameLength) characters")
        }
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses a reference; a leading `docker://` is accepted and dropped.
    public init(parsing input: String) throws {
        var rest = Substring(input)
        if rest.hasPrefix("docker://") { rest = rest.dropFirst("docker://".count) }
        guard !rest.isEmpty else { throw ReferenceError(value: input, reason: "the reference is empty") }
        if let reason = Self.notARegistry(input) { throw ReferenceError(value: input, reason: reason) }

        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do {
                digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            } catch let error as DigestError {
                throw ReferenceError(value: input, reason: error.description)
            }
            rest = rest[..<at]
        }

        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        let tagSearchStart = lastSlash.map { rest.index(after: $0) } ?? rest.startIndex
        if let colon = rest[tagSearchStart...].lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }

        var registry = Self.dockerHub
        var path = rest
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.hasPrefix("[") {
                registry = String(first)
                path = rest[rest.index(after: slash)...]
            }
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }
        if registry == Self.dockerHub, !path.contains("/"), !path.isEmpty { path = "library/" + path }

        guard !path.isEmpty else { throw ReferenceError(value: input, reason: "the repository path is empty") }
        do {
            try Self.validateHost(registry, in: input)
            try Self.validatePath(String(path), in: input)
            if let tag { try Self.validateTag(tag, in: input) }
        }
        guard registry.utf8.count + 1 + path.utf8.count <= Self.maxNameLength else {
            throw ReferenceError(value: input, reason: "the name is longer than \(Self.maxNameLength) characters")
        }
        self.registry = registry
        self.repository = String(path)
        self.tag = tag
        self.digest = digest
    }

    /// The same repository with another tag or digest.
    public func with(tag: String? = nil, digest: Digest? = nil) -> ImageReference {
        // Validation already happened for registry and repository; only the tag is new.
        // swiftlint:disable:next force_try
        try! ImageReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The tag or digest to ask the registry for: the digest when there is one, else the tag,
    /// else `latest`.
    public var reference: String { digest?.description ?? tag ?? "latest" }

    /// `HOST/PATH` without tag or digest.
    public var name: String { "\(registry)/\(repository)" }

    public var description: String {
        var text = name
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    // MARK: Grammar

    /// Why `input` is not a registry reference at all, when it is something else users type:
    /// a URL (`http://host/…`) or an OCI layout (`oci:DIR`).
    static func notARegistry(_ input: String) -> String? {
        let lowered = input.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            return "a registry is named without a scheme, as HOST[:PORT]/PATH: freightliner uses HTTPS, and plain HTTP only "
                + "for loopback hosts and those named with --insecure-registry"
        }
        if lowered.hasPrefix("oci:") {
            return "this is an OCI layout, and a registry is needed here (HOST[:PORT][/PATH]); `copy` (with --all-tags) "
                + "reads and writes layouts"
        }
        return nil
    }

    /// Checks a tag against the grammar (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`); `input` is what
    /// the error quotes.
    public static func validateTag(_ tag: String, in input: String) throws {
        let bytes = Array(tag.utf8)
        guard !bytes.isEmpty else { throw ReferenceError(value: input, reason: "the tag is empty") }
        guard bytes.count <= maxTagLength else {
            throw ReferenceError(value: input, reason: "the tag is longer than \(maxTagLength) characters")
        }
        guard isWord(bytes[0]), bytes.allSatisfy({ isWord($0) || $0 == 0x2E || $0 == 0x2D }) else {
            throw ReferenceError(value: input,
                                 reason: "tag \"\(tag)\" may only hold letters, digits, '_', '.' and '-', and must not start with '.' or '-'")
        }
    }

    /// `path-component ('/' path-component)*`, each `[a-z0-9]+ (separator [a-z0-9]+)*`,
    /// separator `.`, `_`, `__` or any run of `-`.
    public static func validatePath(_ path: String, in input: String) throws {
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            try validatePathComponent(Array(component.utf8), path: path, in: input)
        }
    }

    private static func validatePathComponent(_ bytes: [UInt8], path: String, in input: String) throws {
        func fail(_ reason: String) -> ReferenceError { ReferenceError(value: input, reason: reason) }
        guard !bytes.isEmpty else { throw fail("repository path \"\(path)\" has an empty component") }
        if bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
            throw fail("repository path \"\(path)\" must be lowercase")
        }
        guard isLowerAlnum(bytes.first!), isLowerAlnum(bytes.last!) else {
            throw fail("each component of \"\(path)\" must start and end with a lowercase letter or digit")
        }
        var index = 0
        while index < bytes.count {
            if isLowerAlnum(bytes[index]) { index += 1; continue }
            // A separator run: ".", "_", "__" or "-+".
            var end = index
            while end < bytes.count, !isLowerAlnum(bytes[end]) { end += 1 }
            let separator = bytes[index..<end]
            let valid = separator.elementsEqual([0x2E]) || separator.elementsEqual([0x5F])
                || separator.elementsEqual([0x5F, 0x5F]) || separator.allSatisfy { $0 == 0x2D }
            guard valid else {
                let text = String(decoding: separator, as: UTF8.self)
                throw fail("repository path \"\(path)\" has an invalid character sequence \"\(text)\"")
            }
            index = end
        }
    }

    /// `domain-name[:port]` or `[IPv6][:port]`.
    static func validateHost(_ host: String, in input: String) throws {
        func fail(_ reason: String) -> ReferenceError { ReferenceError(value: input, reason: reason) }
        var name = Substring(host)
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { throw fail("registry \"\(host)\" has an unclosed '['") }
            let address = name[name.index(after: name.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("registry \"\(host)\" is not a valid IPv6 address")
            }
            name = name[name.index(after: close)...]
            if name.isEmpty { return }
            guard name.first == ":" else { throw fail("registry \"\(host)\" has text after ']'") }
            try validatePort(name.dropFirst(), host: host, in: input)
            return
        }
        if let colon = name.firstIndex(of: ":") {
            try validatePort(name[name.index(after: colon)...], host: host, in: input)
            name = name[..<colon]
        }
        guard !name.isEmpty else { throw fail("registry \"\(host)\" has no host name") }
        for component in name.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last),
                  bytes.allSatisfy({ isAlnum($0) || $0 == 0x2D })
            else { throw fail("registry host \"\(host)\" is not a valid host name") }
        }
    }

    private static func validatePort(_ port: Substring, host: String, in input: String) throws {
        guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(port),
              number > 0, number < 65536 else {
            throw ReferenceError(value: input, reason: "registry \"\(host)\" has an invalid port \"\(port)\"")
        }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
    }
    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (byte >= 0x41 && byte <= 0x5A)
    }
    private static func isWord(_ byte: UInt8) -> Bool { isAlnum(byte) || byte == 0x5F }
}

/// A reference that does not follow the grammar; `value` is the text as the user gave it.
public struct ReferenceError: Error, CustomStringConvertible, Equatable {
    public let value: String
    public let reason: String

    public init(value: String, reason: String) {
        self.value = value
        self.reason = reason
    }

    public var description: String { "invalid reference \"\(value)\": \(reason)".escapingControlCharacters }
}
