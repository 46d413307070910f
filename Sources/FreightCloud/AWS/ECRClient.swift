import Foundation
import FreightCore

/// The two ECR API calls a replication needs: registry credentials and repository creation.
public struct ECRClient: Sendable {
    public let api: AWSJSONClient

    public init(api: AWSJSONClient) {
        precondition(api.service == .ecr)
        self.api = api
    }

    /// Registry credentials from `GetAuthorizationToken`: user `AWS` and a password valid until
    /// `expiresAt` (12 hours on AWS).
    public struct AuthorizationToken: Sendable {
        public let username: String
        public let password: Secret
        public let expiresAt: Date
    }

    public func authorizationToken(account: String) async throws -> AuthorizationToken {
        struct Input: Encodable { var registryIds: [String] }
        struct Output: Decodable {
            struct Data: Decodable {
                var authorizationToken: String?
                var expiresAt: Double?
            }
            var authorizationData: [Data]?
        }
        let subject = "registry \(account)"
        let output = try await api.call("GetAuthorizationToken", Input(registryIds: [account]), as: Output.self, subject: subject)
        guard let data = output.authorizationData?.first, let encoded = data.authorizationToken,
              let decoded = Foundation.Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) }),
              let colon = decoded.firstIndex(of: ":")
        else {
            throw AWSServiceError(service: .ecr, operation: "GetAuthorizationToken", status: 200, code: "MalformedResponse",
                                  message: "the answer holds no base64 USER:PASSWORD authorization token", subject: subject)
        }
        return AuthorizationToken(username: String(decoded[..<colon]), password: Secret(String(decoded[decoded.index(after: colon)...])),
                                  expiresAt: Date(timeIntervalSince1970: data.expiresAt ?? 0))
    }

    /// Creates `repository` in `account`'s registry; false when it already existed.
    @discardableResult
    public func createRepository(_ repository: String, account: String) async throws -> Bool {
        struct Input: Encodable {
            var registryId: String
            var repositoryName: String
        }
        struct Output: Decodable {}
        do {
            _ = try await api.call("CreateRepository", Input(registryId: account, repositoryName: repository), as: Output.self,
                                   subject: "repository \(repository)")
            return true
        } catch let error as AWSServiceError where error.code == "RepositoryAlreadyExistsException" {
            return false
        }
    }
}
