import Foundation
import FreightCore

/// Registry credentials kept as a JSON document, e.g. in a secret: either one pair for every
/// registry, `{"username": "robot", "password": "…"}`, or a docker config with per-registry
/// entries, `{"auths": {"registry.example.com": {"auth": "base64(USER:PASS)"}}}`.
///
/// `credHelpers`/`credsStore` in such a document are ignored: a document's content must not
/// choose programs to run.
public enum CredentialsDocument {
    /// The credentials for `registry`; `source` (e.g. `--dest-creds-secret aws-sm://x`) prefixes
    /// errors, which never quote the document.
    public static func credentials(from value: Secret, for registry: String, source: String, expires: Date? = nil) throws -> Credentials {
        let bytes = Array(value.revealed.utf8)
        struct Pair: Decodable {
            var username: String?
            var password: String?
            var auths: [String: AnyDecodable]?
        }
        struct AnyDecodable: Decodable {}
        guard let pair = try? JSONDecoder().decode(Pair.self, from: Data(bytes)) else {
            throw CredentialsError(reason: "\(source): the value is not JSON registry credentials: expected "
                                   + #"{"username": …, "password": …} or {"auths": {"HOST": {"auth": …}}}"#)
        }
        if let username = pair.username, let password = pair.password {
            guard !username.isEmpty, !password.isEmpty else {
                throw CredentialsError(reason: "\(source): \"username\" or \"password\" is empty")
            }
            return Credentials(username: username, password: Secret(password), expires: expires)
        }
        if let auths = pair.auths {
            let config = try DockerConfigFile.parse(bytes)
            guard let found = try config.inlineCredentials(for: registry, file: source) else {
                let hosts = auths.keys.sorted().prefix(10).joined(separator: ", ")
                throw CredentialsError(reason: "\(source): \"auths\" has no entry for \(registry) (it has: \(hosts.isEmpty ? "none" : hosts))")
            }
            return Credentials(username: found.username, password: found.password, expires: expires)
        }
        throw CredentialsError(reason: "\(source): the JSON has neither \"username\" and \"password\" nor \"auths\"")
    }
}
