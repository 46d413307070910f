import Foundation
import FreightCore

/// An AWS access key pair, with a session token for temporary credentials. The secret parts
/// are `Secret`s: printing the credentials shows the key ID and where they came from only.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: Secret
    public let sessionToken: Secret?
    /// When temporary credentials stop working; nil for long-term keys.
    public let expiration: Date?
    /// Where they came from, for messages: `environment`, `profile default (~/.aws/credentials)`.
    public let source: String

    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil, expiration: Date? = nil,
                source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    public var description: String { "AWS access key \(accessKeyID) from \(source)" }
}

/// One place AWS credentials may come from.
public protocol AWSCredentialsSource: Sendable {
    /// For "looked in …" messages.
    var name: String { get }
    /// The credentials, or nil when this source is not configured at all; throws when it is
    /// configured but unusable (half a key pair, an unreadable file, a refusing endpoint).
    func resolve() async throws -> AWSCredentials?
}

/// No source in the chain had credentials.
public struct AWSCredentialsNotFound: Error, CustomStringConvertible {
    public let searched: [String]
    public var description: String {
        "no AWS credentials found (looked in: \(searched.joined(separator: "; "))): set AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/config (keys, a role, SSO, credential_process), "
            + "or run with a pod, task or instance role"
    }
}

/// Credentials that are configured but cannot be used. Never contains a secret.
public struct AWSCredentialsError: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
