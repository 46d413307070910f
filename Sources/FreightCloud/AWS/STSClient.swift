import Foundation
import FreightCore
import FreightHTTP

/// AWS Security Token Service over its Query protocol (form-encoded `POST /`, XML answers):
/// `AssumeRole`, signed with the caller's credentials, and `AssumeRoleWithWebIdentity`,
/// unsigned (the web identity token is the credential).
///
/// The endpoint is `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else the regional
/// `https://sts.REGION.amazonaws.com` (the global endpoint without a region).
public struct STSClient: Sendable {
    public let endpoint: AWSEndpoint
    /// The region requests are signed for.
    public let region: String
    private let http: HTTPClient
    private let clock: WallClock

    public init(environment: [String: String], region: String?, http: HTTPClient, clock: WallClock = .system) throws {
        self.region = region ?? "us-east-1"
        if region == nil, environment["AWS_ENDPOINT_URL_STS"] == nil, environment["AWS_ENDPOINT_URL"] == nil {
            endpoint = AWSEndpoint(url: "https://sts.amazonaws.com", origin: "default")
        } else {
            endpoint = try AWSEndpoint.resolve(.sts, region: self.region, environment: environment)
        }
        self.http = http
        self.clock = clock
    }

    /// Temporary credentials of `roleARN`, asked for with `caller`'s.
    public func assumeRole(_ roleARN: String, sessionName: String, externalID: String?, durationSeconds: Int?,
                           caller: AWSCredentials, source: String) async throws -> AWSCredentials {
        var parameters = [("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleARN), ("RoleSessionName", sessionName)]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        if let durationSeconds { parameters.append(("DurationSeconds", "\(durationSeconds)")) }
        return try await call("AssumeRole", parameters, signedWith: caller, role: roleARN, source: source)
    }

    /// Temporary credentials of `roleARN` for the holder of a web identity (OIDC) token.
    public func assumeRoleWithWebIdentity(_ roleARN: String, sessionName: String, token: Secret,
                                          source: String) async throws -> AWSCredentials {
        try await call("AssumeRoleWithWebIdentity", [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"),
                                                     ("RoleArn", roleARN), ("RoleSessionName", sessionName),
                                                     ("WebIdentityToken", token.revealed)],
                       signedWith: nil, role: roleARN, source: source)
    }

    private func call(_ action: String, _ parameters: [(String, String)], signedWith caller: AWSCredentials?, role: String,
                      source: String) async throws -> AWSCredentials {
        let body = Array(parameters.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&").utf8)
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPRequest(.post, endpoint.url + "/", headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
                                      body: .bytes(body))
            if let caller { try SigV4Signer(service: AWSService.sts.signingName, region: region).sign(&request, credentials: caller, at: clock.now()) }
            let failure: any Error
            do {
                let response = try await http.execute(request)
                let answer = try await response.body.collect(upTo: 1 << 20)
                if response.status == 200 { return try Self.credentials(from: answer, action: action, source: source) }
                var headers: [String: String] = [:]
                for (name, value) in response.headers { headers[name.lowercased()] = value }
                let error = AWSServiceError(service: .sts, operation: action, status: response.status, headers: headers, body: answer,
                                            subject: "role \(role)", accessKeyID: caller?.accessKeyID)
                guard error.isTransient else { throw error }
                failure = error
            } catch let error as HTTPTransportError {
                let connection = CloudConnectionError(service: "AWS STS", endpoint: endpoint.url,
                                                      origin: endpoint.origin == "default" ? nil : endpoint.origin, underlying: error.message)
                guard error.isTransient, attempt < 3 else { throw connection }
                failure = connection
            }
            guard attempt < 3 else { throw failure }
            try await Task.sleep(for: .milliseconds(200 << attempt))
        }
    }

    /// `<Credentials><AccessKeyId>…<SecretAccessKey>…<SessionToken>…<Expiration>…` of an answer.
    static func credentials(from body: [UInt8], action: String, source: String) throws -> AWSCredentials {
        let text = String(decoding: body, as: UTF8.self)
        guard let keyID = AWSServiceError.element("AccessKeyId", in: text),
              let secret = AWSServiceError.element("SecretAccessKey", in: text),
              let token = AWSServiceError.element("SessionToken", in: text) else {
            throw AWSCredentialsError("AWS STS answered \(action) without credentials")
        }
        let expiration = AWSServiceError.element("Expiration", in: text).flatMap(AWSTimestamp.parse)
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: Secret(secret), sessionToken: Secret(token), expiration: expiration,
                              source: source)
    }
}

/// The timestamps AWS answers with: ISO 8601, with or without fractional seconds.
enum AWSTimestamp {
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}

extension AWSService {
    /// STS speaks the Query protocol; only its naming is used here (signing, endpoints).
    public static let sts = AWSService(displayName: "STS", signingName: "sts", endpointPrefix: "sts", targetPrefix: "",
                                       environmentKey: "STS")
}
