import Foundation
import FreightCore
import FreightHTTP

/// The role credentials of an IAM Identity Center (SSO) profile, from the token `aws sso login`
/// left in `~/.aws/sso/cache`: `GET /federation/credentials` of the SSO portal with it. A
/// profile names its session (`sso_session`, with `[sso-session NAME]` holding `sso_start_url`
/// and `sso_region`) or, in the older form, `sso_start_url` and `sso_region` itself; it names
/// `sso_account_id` and `sso_role_name`. A missing or expired token says to log in again.
public struct SSOCredentials: AWSCredentialsSource {
    public let profile: String
    let startURL: String
    let region: String
    let accountID: String
    let roleName: String
    /// The cache file's name: the SHA-1 of the session name, or of the start URL (older form).
    let cacheKey: String
    let cacheDirectory: String
    private let environment: [String: String]
    private let http: HTTPClient

    public init(profile: String, settings: [String: String], config: AWSSharedConfig, environment: [String: String],
                http: HTTPClient) throws {
        func required(_ key: String, in section: [String: String], of place: String) throws -> String {
            guard let value = section[key], !value.isEmpty else { throw AWSCredentialsError("\(place) has no \(key)") }
            return value
        }
        self.profile = profile
        let place = "profile \(profile) in \(config.configPath)"
        if let session = settings["sso_session"], !session.isEmpty {
            guard let section = config.ssoSession(session) else {
                throw AWSCredentialsError("\(place) names sso_session \(session), but there is no [sso-session \(session)] section")
            }
            startURL = try required("sso_start_url", in: section, of: "[sso-session \(session)]")
            region = try required("sso_region", in: section, of: "[sso-session \(session)]")
            cacheKey = SHA1.hex(session)
        } else {
            startURL = try required("sso_start_url", in: settings, of: place)
            region = try required("sso_region", in: settings, of: place)
            cacheKey = SHA1.hex(startURL)
        }
        accountID = try required("sso_account_id", in: settings, of: place)
        roleName = try required("sso_role_name", in: settings, of: place)
        cacheDirectory = "\(config.home)/.aws/sso/cache"
        self.environment = environment
        self.http = http
    }

    public var name: String { "IAM Identity Center (SSO) profile \(profile)" }

    private var login: String { "run `aws sso login --profile \(profile)`" }

    public func resolve() async throws -> AWSCredentials? {
        let token = try cachedToken()
        let endpoint = try AWSEndpoint.resolve(.sso, region: region, environment: environment)
        let url = "\(endpoint.url)/federation/credentials?account_id=\(PercentEncoding.encode(accountID))&role_name=\(PercentEncoding.encode(roleName))"
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(.get, url, headers: ["x-amz-sso_bearer_token": token.revealed]))
        } catch let error as HTTPTransportError {
            throw CloudConnectionError(service: "AWS IAM Identity Center", endpoint: endpoint.url,
                                       origin: endpoint.origin == "default" ? nil : endpoint.origin, underlying: error.message)
        }
        let body = try await response.body.collect(upTo: 64 * 1024)
        if response.status == 401 || response.status == 403 {
            throw AWSCredentialsError("IAM Identity Center refused the SSO login of profile \(profile) (HTTP \(response.status)): \(login)")
        }
        struct Answer: Decodable {
            struct Role: Decodable {
                var accessKeyId: String?
                var secretAccessKey: String?
                var sessionToken: String?
                var expiration: Int64?
            }
            var roleCredentials: Role?
        }
        guard response.status == 200, let role = (try? JSONDecoder().decode(Answer.self, from: Data(body)))?.roleCredentials,
              let keyID = role.accessKeyId, let secret = role.secretAccessKey else {
            let error = AWSServiceError(service: .sso, operation: "GetRoleCredentials", status: response.status, headers: [:], body: body,
                                        subject: "role \(roleName) in account \(accountID)", accessKeyID: nil)
            throw error
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: Secret(secret), sessionToken: role.sessionToken.map(Secret.init),
                              expiration: role.expiration.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                              source: "SSO profile \(profile)")
    }

    /// The access token `aws sso login` cached, while it is valid.
    func cachedToken(now: Date = Date()) throws -> Secret {
        let file = "\(cacheDirectory)/\(cacheKey).json"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw AWSCredentialsError("profile \(profile) uses IAM Identity Center (SSO), and there is no login for it (\(file)): \(login)")
        }
        struct Cached: Decodable {
            var accessToken: String?
            var expiresAt: String?
        }
        guard let cached = try? JSONDecoder().decode(Cached.self, from: data), let token = cached.accessToken, !token.isEmpty,
              let expiresAt = cached.expiresAt.flatMap(SSOCredentials.parseExpiry) else {
            throw AWSCredentialsError("the SSO login cache \(file) of profile \(profile) is not readable: \(login)")
        }
        guard expiresAt > now else {
            throw AWSCredentialsError("the SSO login of profile \(profile) expired at \(ISO8601DateFormatter().string(from: expiresAt)): \(login)")
        }
        return Secret(token)
    }

    /// `2026-12-01T12:00:00Z`, or the AWS CLI v1's `2026-12-01T12:00:00UTC`.
    static func parseExpiry(_ text: String) -> Date? {
        AWSTimestamp.parse(text.hasSuffix("UTC") ? String(text.dropLast(3)) + "Z" : text)
    }
}

extension AWSService {
    /// The IAM Identity Center portal (`portal.sso.REGION.amazonaws.com`); `AWS_ENDPOINT_URL_SSO`.
    public static let sso = AWSService(displayName: "IAM Identity Center", signingName: "awsssoportal", endpointPrefix: "portal.sso",
                                       targetPrefix: "", environmentKey: "SSO")
}
