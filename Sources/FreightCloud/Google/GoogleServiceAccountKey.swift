import Foundation
import FreightCore

/// A service-account key file as the Cloud console downloads it (`"type": "service_account"`).
public struct GoogleServiceAccountKey: Sendable {
    public let clientEmail: String
    public let privateKeyID: String?
    public let privateKey: Secret
    public let tokenURI: String
    /// The file it was read from, for messages.
    public let path: String

    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    public static func read(_ path: String) throws -> GoogleServiceAccountKey {
        guard FileManager.default.fileExists(atPath: path) else {
            throw GoogleAuthError("the Google credentials file \(path) does not exist (named by GOOGLE_APPLICATION_CREDENTIALS)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GoogleAuthError("cannot read the Google credentials file \(path): check its permissions")
        }
        return try parse(Array(data), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> GoogleServiceAccountKey {
        struct Raw: Decodable {
            var type: String?
            var client_email: String?
            var private_key_id: String?
            var private_key: String?
            var token_uri: String?
        }
        guard let raw = try? JSONDecoder().decode(Raw.self, from: Data(bytes)) else {
            throw GoogleAuthError("\(path) is not a JSON Google credentials file")
        }
        guard raw.type == "service_account" else {
            let kind = raw.type.map { "\"\($0)\"" } ?? "no \"type\""
            throw GoogleAuthError("\(path) holds \(kind) credentials; freightliner takes a service-account key "
                                  + "(\"type\": \"service_account\"), a user's application-default credentials "
                                  + "(\"type\": \"authorized_user\"), or a token in GOOGLE_OAUTH_ACCESS_TOKEN "
                                  + "(e.g. $(gcloud auth print-access-token))")
        }
        guard let email = raw.client_email, !email.isEmpty, let key = raw.private_key, !key.isEmpty else {
            throw GoogleAuthError("\(path) lacks client_email or private_key")
        }
        let tokenURI = raw.token_uri.flatMap { $0.isEmpty ? nil : $0 } ?? defaultTokenURI
        guard URLParts(tokenURI) != nil else { throw GoogleAuthError("\(path): token_uri \"\(tokenURI)\" is not an http(s) URL") }
        return GoogleServiceAccountKey(clientEmail: email, privateKeyID: raw.private_key_id, privateKey: Secret(key),
                                       tokenURI: tokenURI, path: path)
    }
}
