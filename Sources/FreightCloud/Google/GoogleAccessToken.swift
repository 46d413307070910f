import Foundation
import FreightCore

/// An OAuth2 access token for Google APIs and registries.
public struct GoogleAccessToken: Sendable, CustomStringConvertible {
    public let token: Secret
    public let expires: Date
    /// Where it came from, for messages: `service account x@p.iam.gserviceaccount.com`.
    public let source: String

    public init(token: Secret, expires: Date, source: String) {
        self.token = token
        self.expires = expires
        self.source = source
    }

    public var description: String { "Google access token from \(source)" }
}

/// One way of obtaining Google access tokens.
public protocol GoogleTokenSource: Sendable {
    var name: String { get }
    func fetchToken() async throws -> GoogleAccessToken
}

/// Google credentials that are missing, unusable or refused. Never contains a secret.
public struct GoogleAuthError: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
