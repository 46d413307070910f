/// A secrets operation that cannot go ahead or did not succeed. Names the bad reference, name
/// or field; never contains a secret value.
public struct SecretsError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A reference, name, version or value that fails validation; nothing was sent.
        case invalidInput
        /// The service says the secret (or version) does not exist.
        case notFound
        /// The secret exists but its value does not have the asked-for `#FIELD`.
        case field
        /// The provider cannot do what was asked (e.g. a version on `put`).
        case unsupported
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}
