import Foundation
import FreightCore

/// The JSON that EC2 instance metadata and container credentials endpoints answer with:
/// `{"Code", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
struct CredentialsDocument: Decodable {
    var Code: String?
    var AccessKeyId: String?
    var SecretAccessKey: String?
    var Token: String?
    var Expiration: String?

    /// The credentials in `body`, or nil when it holds none (or a failure `Code`).
    static func credentials(in body: [UInt8], source: String) -> AWSCredentials? {
        guard let document = try? JSONDecoder().decode(CredentialsDocument.self, from: Data(body)),
              document.Code == nil || document.Code == "Success",
              let keyID = document.AccessKeyId, !keyID.isEmpty, let secret = document.SecretAccessKey, !secret.isEmpty
        else { return nil }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: Secret(secret),
                              sessionToken: document.Token.flatMap { $0.isEmpty ? nil : Secret($0) },
                              expiration: document.Expiration.flatMap(AWSTimestamp.parse), source: source)
    }
}
