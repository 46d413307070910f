import Foundation
import FreightCore
import FreightHTTP

/// A user's application-default credentials, as `gcloud auth application-default login`
/// writes them (`"type": "authorized_user"`: client_id, client_secret, refresh_token): access
/// tokens come from the refresh-token grant at `token_uri` (Google's by default).
public struct AuthorizedUserTokenSource: GoogleTokenSource {
    public let clientID: String
    let clientSecret: Secret
    let refreshToken: Secret
    public let tokenURI: String
    public let path: String
    private let http: HTTPClient
    private let clock: WallClock

    /// Reads an `authorized_user` file; nil when the file holds another kind of credentials.
    public static func read(_ bytes: [UInt8], path: String, http: HTTPClient, clock: WallClock = .system) throws -> AuthorizedUserTokenSource? {
        struct Raw: Decodable {
            var type: String?
            var client_id: String?
            var client_secret: String?
            var refresh_token: String?
            var token_uri: String?
        }
        guard let raw = try? JSONDecoder().decode(Raw.self, from: Data(bytes)), raw.type == "authorized_user" else { return nil }
        guard let id = raw.client_id, !id.isEmpty, let secret = raw.client_secret, !secret.isEmpty,
              let refresh = raw.refresh_token, !refresh.isEmpty else {
            throw GoogleAuthError("\(path) holds authorized_user credentials without client_id, client_secret or refresh_token: "
                                  + "run `gcloud auth application-default login` again")
        }
        let tokenURI = raw.token_uri.flatMap { $0.isEmpty ? nil : $0 } ?? GoogleServiceAccountKey.defaultTokenURI
        guard URLParts(tokenURI) != nil else { throw GoogleAuthError("\(path): token_uri \"\(tokenURI)\" is not an http(s) URL") }
        return AuthorizedUserTokenSource(clientID: id, clientSecret: Secret(secret), refreshToken: Secret(refresh), tokenURI: tokenURI,
                                         path: path, http: http, clock: clock)
    }

    public var name: String { "application-default user credentials (\(path))" }

    public func fetchToken() async throws -> GoogleAccessToken {
        let form = PercentEncoding.form([("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", clientSecret.revealed),
                                         ("refresh_token", refreshToken.revealed)])
        let request = HTTPRequest(.post, tokenURI, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: .bytes(Array(form.utf8)))
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPTransportError {
            throw CloudConnectionError(service: "the Google token endpoint", endpoint: tokenURI, origin: "token_uri in \(path)",
                                       underlying: error.message)
        }
        return try await OAuthTokenAnswer.read(response, source: "application-default user credentials", endpoint: tokenURI, clock: clock)
    }
}
