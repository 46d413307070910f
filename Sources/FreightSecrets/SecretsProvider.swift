import Foundation
import FreightCore

/// A secrets service: read, write, delete and list secrets by reference.
///
/// Implementations validate what they are given before sending anything, and their errors
/// name the secret but never contain a value.
public protocol SecretsProvider: Sendable {
    /// `aws-sm` or `gcp-sm`: the reference scheme this provider serves.
    var scheme: String { get }
    /// The whole value of the secret (or of the version the reference names); `#FIELD` is the
    /// caller's business (`SecretField`).
    func get(_ reference: SecretReference) async throws -> SecretVersion
    /// Stores `value` as the secret's new current version, creating the secret when missing.
    func put(_ reference: SecretReference, value: Secret) async throws -> PutOutcome
    /// Deletes the secret; `force` skips any recovery window.
    func delete(_ reference: SecretReference, force: Bool) async throws -> DeleteOutcome
    /// The secrets whose names start with the prefix, sorted.
    func list(_ prefix: SecretPrefix) async throws -> [SecretReference]
}

/// A secret's value and which version it is.
public struct SecretVersion: Sendable {
    public let value: Secret
    /// The service's version id (`3`, a UUID), when it says.
    public let version: String?

    public init(value: Secret, version: String?) {
        self.value = value
        self.version = version
    }
}

/// What `put` did.
public struct PutOutcome: Sendable, Equatable {
    /// True when the secret did not exist and was created.
    public let created: Bool
    public let version: String?

    public init(created: Bool, version: String?) {
        self.created = created
        self.version = version
    }
}

/// What `delete` did.
public enum DeleteOutcome: Sendable, Equatable {
    /// Gone now.
    case deleted
    /// Recoverable until the given date, then deleted by the service.
    case scheduled(Date)
}
