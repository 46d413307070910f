import Foundation
import FreightCore
import FreightHTTP

/// Exchanges a service-account key for access tokens by the OAuth2 JWT bearer flow: an RS256
/// assertion `{iss, scope, aud: token_uri, iat, exp}` posted to the key file's `token_uri`.
public struct ServiceAccountTokenSource: GoogleTokenSource {
    public static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

    public let key: GoogleServiceAccountKey
    public let scopes: [String]
    private let signingKey: RSAPrivateKey
    private let http: HTTPClient
    private let clock: WallClock

    public init(key: GoogleServiceAccountKey, scopes: [String] = [cloudPlatformScope], http: HTTPClient, clock: WallClock = .system) throws {
        self.key = key
        self.scopes = scopes
        self.http = http
        self.clock = clock
        do {
            signingKey = try RSAPrivateKey(pem: key.privateKey)
        } catch let error as RSAKeyError {
            throw GoogleAuthError("\(key.path): the private_key is unusable: \(error.reason)")
        }
    }

    public var name: String { "service account \(key.clientEmail) (\(key.path))" }

    public func fetchToken() async throws -> GoogleAccessToken {
        let now = Int(clock.now().timeIntervalSince1970)
        let assertion = try JWT.signRS256(claims: ["iss": key.clientEmail, "scope": scopes.joined(separator: " "),
                                                   "aud": key.tokenURI, "iat": now, "exp": now + 3600],
                                          keyID: key.privateKeyID, key: signingKey)
        let form = PercentEncoding.form([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
        let request = HTTPRequest(.post, key.tokenURI, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                  body: .bytes(Array(form.utf8)))
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPTransportError {
            throw CloudConnectionError(service: "the Google token endpoint", endpoint: key.tokenURI, origin: "token_uri in \(key.path)",
                                       underlying: error.message)
        }
        return try await OAuthTokenAnswer.read(response, source: "service account \(key.clientEmail)", endpoint: key.tokenURI, clock: clock)
    }
}
