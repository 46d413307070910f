/// Where an image lives, as named on the command line: a registry reference
/// (`[docker://]HOST/PATH[:TAG|@DIGEST]`) or an OCI image layout (`oci:DIR[:TAG]`).
public enum ImageLocation: Hashable, Sendable, CustomStringConvertible {
    case registry(ImageReference)
    /// An OCI image layout directory and the image's `org.opencontainers.image.ref.name`
    /// (any name the image-layout grammar allows: `1.0`, `localhost/app:1`).
    case layout(path: String, tag: String?, digest: Digest?)

    public init(parsing input: String) throws {
        if input.hasPrefix("oci:") {
            var rest = Substring(input.dropFirst("oci:".count))
            var digest: Digest?
            // `@ALG:HEX` at the end is a digest; an '@' elsewhere belongs to the name.
            if let at = rest.lastIndex(of: "@"), Self.looksLikeDigest(rest[rest.index(after: at)...]) {
                do { digest = try Digest(parsing: String(rest[rest.index(after: at)...])) } catch let error as DigestError {
                    throw ReferenceError(value: input, reason: error.description)
                }
                rest = rest[..<at]
            }
            // The name follows the first ':' (as skopeo splits it): a layout path holds no ':',
            // and a name may (`localhost/app:1`).
            var tag: String?
            if let colon = rest.firstIndex(of: ":") {
                let name = String(rest[rest.index(after: colon)...])
                try LayoutRefName.validate(name, in: input)
                tag = name
                rest = rest[..<colon]
            }
            guard !rest.isEmpty else {
                throw ReferenceError(value: input, reason: "an OCI layout needs a directory: oci:DIR[:TAG]")
            }
            self = .layout(path: String(rest), tag: tag, digest: digest)
        } else {
            self = .registry(try ImageReference(parsing: input))
        }
    }

    /// `sha256:…`, `sha512:…`: text after an '@' that is meant as a digest.
    private static func looksLikeDigest(_ text: Substring) -> Bool {
        Digest.Algorithm.allCases.contains { text.hasPrefix("\($0.rawValue):") }
    }

    public var description: String {
        switch self {
        case .registry(let reference): return "docker://\(reference)"
        case .layout(let path, let tag, let digest):
            var text = "oci:\(path)"
            if let tag { text += ":\(tag)" }
            if let digest { text += "@\(digest)" }
            return text
        }
    }
}

/// A registry and an optional path prefix, `HOST[:PORT][/PREFIX]`: the root of a tree that
/// `sync` replicates.
public struct RegistryPrefix: Hashable, Sendable, CustomStringConvertible, Codable {
    public let registry: String
    /// The path under which repositories are found, without leading or trailing '/'; may be empty.
    public let prefix: String

    public init(parsing input: String) throws {
        var rest = Substring(input)
        if rest.hasPrefix("docker://") { rest = rest.dropFirst("docker://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty else { throw ReferenceError(value: input, reason: "expected HOST[:PORT][/PREFIX]") }
        if let reason = ImageReference.notARegistry(input) { throw ReferenceError(value: input, reason: reason) }
        let host: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            host = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            host = rest
            path = ""
        }
        if host.contains("@") || path.contains("@") || path.contains(":") {
            throw ReferenceError(value: input, reason: "a sync root names a registry and path prefix, not a tag or digest")
        }
        try ImageReference.validateHost(String(host), in: input)
        if !path.isEmpty { try ImageReference.validatePath(String(path), in: input) }
        self.registry = host == "index.docker.io" ? ImageReference.dockerHub : String(host)
        self.prefix = String(path)
    }

    public init(registry: String, prefix: String) {
        self.registry = registry
        self.prefix = prefix
    }

    /// The repository path under this prefix for a path relative to it.
    public func repository(relative: String) -> String {
        prefix.isEmpty ? relative : relative.isEmpty ? prefix : "\(prefix)/\(relative)"
    }

    /// The path of `repository` relative to this prefix, or nil when it is not under it.
    public func relativePath(of repository: String) -> String? {
        if prefix.isEmpty { return repository }
        if repository == prefix { return "" }
        guard repository.hasPrefix(prefix + "/") else { return nil }
        return String(repository.dropFirst(prefix.count + 1))
    }

    public var description: String { prefix.isEmpty ? registry : "\(registry)/\(prefix)" }
}
