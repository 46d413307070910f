import Foundation
import FreightCore
import FreightHTTP

/// A role assumed with a web identity (OIDC) token, as EKS service accounts get one:
/// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (with `AWS_ROLE_SESSION_NAME`), or a
/// profile's `web_identity_token_file` and `role_arn`. The token file is read at every refresh,
/// since the kubelet rotates it.
public struct WebIdentityCredentials: AWSCredentialsSource {
    public let tokenFile: String?
    public let roleARN: String?
    let sessionName: String?
    let origin: String
    private let sts: @Sendable () throws -> STSClient

    /// From the environment (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`).
    public init(environment: [String: String], sts: @escaping @Sendable () throws -> STSClient) {
        self.init(tokenFile: environment["AWS_WEB_IDENTITY_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 },
                  roleARN: environment["AWS_ROLE_ARN"].flatMap { $0.isEmpty ? nil : $0 },
                  sessionName: environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 },
                  origin: "AWS_WEB_IDENTITY_TOKEN_FILE", sts: sts)
    }

    init(tokenFile: String?, roleARN: String?, sessionName: String?, origin: String, sts: @escaping @Sendable () throws -> STSClient) {
        self.tokenFile = tokenFile
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.origin = origin
        self.sts = sts
    }

    public var name: String { "web identity (\(origin))" }

    public func resolve() async throws -> AWSCredentials? {
        guard let tokenFile else { return nil }
        guard let roleARN else { throw AWSCredentialsError("\(origin) is set but no role is named (AWS_ROLE_ARN, or role_arn in the profile)") }
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw AWSCredentialsError("the web identity token file \(tokenFile) (\(origin)) cannot be read")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw AWSCredentialsError("the web identity token file \(tokenFile) (\(origin)) is empty") }
        return try await sts().assumeRoleWithWebIdentity(roleARN, sessionName: sessionName ?? AssumedRole.defaultSessionName(),
                                                         token: Secret(token), source: "role \(roleARN) (web identity)")
    }
}

/// What assumed roles share.
enum AssumedRole {
    /// `freightliner-<seconds since 1970>`, as the SDKs name sessions that name none.
    static func defaultSessionName() -> String { "freightliner-\(Int(Date().timeIntervalSince1970))" }
}
