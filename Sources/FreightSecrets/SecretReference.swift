/// Where a secret lives, and optionally which JSON field of its value is meant:
///
///     aws-sm://NAME[?version-stage=STAGE | ?version-id=ID][#FIELD]
///     gcp-sm://projects/PROJECT/secrets/NAME[/versions/VERSION][#FIELD]
///
/// `aws-sm://prod/registry#password` is field `password` of the current version of AWS secret
/// `prod/registry`; `gcp-sm://projects/acme/secrets/registry/versions/3` is version 3 of a
/// Google secret. Parsing validates every part, so a parsed reference is safe to send.
public struct SecretReference: Sendable, Hashable, CustomStringConvertible {
    public enum AWSVersion: Sendable, Hashable {
        case stage(String)
        case id(String)
    }

    public enum Location: Sendable, Hashable {
        case aws(name: String, version: AWSVersion?)
        case gcp(project: String, secret: String, version: String?)
    }

    public let location: Location
    public let field: String?

    public static let awsScheme = "aws-sm"
    public static let gcpScheme = "gcp-sm"

    public init(location: Location, field: String? = nil) {
        self.location = location
        self.field = field
    }

    public init(parsing text: String) throws {
        var rest = Substring(text)
        var field: String?
        if let hash = rest.firstIndex(of: "#") {
            field = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
            guard !(field ?? "").isEmpty else {
                throw SecretsError(.invalidInput, "the secret reference \"\(text)\" ends in an empty #FIELD: name a field or drop the '#'")
            }
        }
        if rest.hasPrefix("\(Self.awsScheme)://") {
            rest = rest.dropFirst(Self.awsScheme.count + 3)
            var version: AWSVersion?
            if let mark = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: mark)...]
                rest = rest[..<mark]
                let parts = query.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    throw SecretsError(.invalidInput, "the secret reference \"\(text)\" has \"?\(query)\"; expected ?version-stage=STAGE or ?version-id=ID")
                }
                switch parts[0] {
                case "version-stage":
                    try SecretValidation.validateAWSVersion(parts[1], what: "AWS version stage")
                    version = .stage(parts[1])
                case "version-id":
                    try SecretValidation.validateAWSVersion(parts[1], what: "AWS version id")
                    version = .id(parts[1])
                default:
                    throw SecretsError(.invalidInput, "the secret reference \"\(text)\" has \"?\(query)\"; expected ?version-stage=STAGE or ?version-id=ID")
                }
            }
            let name = String(rest)
            try SecretValidation.validateAWSName(name)
            self.init(location: .aws(name: name, version: version), field: field)
        } else if rest.hasPrefix("\(Self.gcpScheme)://") {
            let path = rest.dropFirst(Self.gcpScheme.count + 3).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard (path.count == 4 || path.count == 6), path[0] == "projects", path[2] == "secrets",
                  path.count == 4 || path[4] == "versions"
            else {
                throw SecretsError(.invalidInput, "the secret reference \"\(text)\" is not gcp-sm://projects/PROJECT/secrets/NAME[/versions/VERSION][#FIELD]")
            }
            try SecretValidation.validateGoogleProject(path[1])
            try SecretValidation.validateGoogleSecretID(path[3])
            let version = path.count == 6 ? path[5] : nil
            if let version { try SecretValidation.validateGoogleVersion(version) }
            self.init(location: .gcp(project: path[1], secret: path[3], version: version), field: field)
        } else {
            throw SecretsError(.invalidInput, "\"\(text)\" is not a secret reference: expected aws-sm://NAME[#FIELD] or "
                               + "gcp-sm://projects/PROJECT/secrets/NAME[#FIELD]")
        }
    }

    /// `aws-sm` or `gcp-sm`.
    public var scheme: String {
        switch location {
        case .aws: return Self.awsScheme
        case .gcp: return Self.gcpScheme
        }
    }

    /// The same secret and version without the field: what is fetched (and cached) as a whole.
    public var withoutField: SecretReference { SecretReference(location: location) }

    /// The canonical text, parseable again.
    public var description: String {
        var text: String
        switch location {
        case .aws(let name, let version):
            text = "\(Self.awsScheme)://\(name)"
            switch version {
            case .stage(let stage)?: text += "?version-stage=\(stage)"
            case .id(let id)?: text += "?version-id=\(id)"
            case nil: break
            }
        case .gcp(let project, let secret, let version):
            text = "\(Self.gcpScheme)://projects/\(project)/secrets/\(secret)"
            if let version { text += "/versions/\(version)" }
        }
        if let field { text += "#\(field)" }
        return text
    }
}

/// What `secrets ls` lists: `aws-sm://[PREFIX]` or `gcp-sm://projects/PROJECT[/secrets/[PREFIX]]`.
public struct SecretPrefix: Sendable, Hashable, CustomStringConvertible {
    public enum Location: Sendable, Hashable {
        case aws(prefix: String)
        case gcp(project: String, prefix: String)
    }

    public let location: Location

    public init(parsing text: String) throws {
        if text.hasPrefix("\(SecretReference.awsScheme)://") {
            let prefix = String(text.dropFirst(SecretReference.awsScheme.count + 3))
            if !prefix.isEmpty { try SecretValidation.validateAWSName(prefix) }
            location = .aws(prefix: prefix)
        } else if text.hasPrefix("\(SecretReference.gcpScheme)://") {
            let path = text.dropFirst(SecretReference.gcpScheme.count + 3).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard path.count >= 2, path.count <= 4, path[0] == "projects", path.count == 2 || path[2] == "secrets" else {
                throw SecretsError(.invalidInput, "\"\(text)\" is not gcp-sm://projects/PROJECT[/secrets/PREFIX]")
            }
            try SecretValidation.validateGoogleProject(path[1])
            let prefix = path.count == 4 ? path[3] : ""
            if !prefix.isEmpty { try SecretValidation.validateGoogleSecretID(prefix) }
            location = .gcp(project: path[1], prefix: prefix)
        } else {
            throw SecretsError(.invalidInput, "\"\(text)\" is not a secrets prefix: expected aws-sm://[PREFIX] or gcp-sm://projects/PROJECT[/secrets/PREFIX]")
        }
    }

    public var scheme: String {
        switch location {
        case .aws: return SecretReference.awsScheme
        case .gcp: return SecretReference.gcpScheme
        }
    }

    public var description: String {
        switch location {
        case .aws(let prefix): return "\(SecretReference.awsScheme)://\(prefix)"
        case .gcp(let project, let prefix): return "\(SecretReference.gcpScheme)://projects/\(project)/secrets/\(prefix)"
        }
    }
}
