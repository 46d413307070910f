import Foundation
import FreightCore
import FreightHTTP

/// The role credentials of an EC2 instance, over IMDSv2: a session token from
/// `PUT /latest/api/token`, then `GET /latest/meta-data/iam/security-credentials/[ROLE]`.
///
/// Off EC2 nothing answers at 169.254.169.254; a short connect timeout keeps that probe to about
/// a second. `AWS_EC2_METADATA_DISABLED=true` skips it; `AWS_EC2_METADATA_SERVICE_ENDPOINT`
/// points it elsewhere.
public struct InstanceMetadataCredentials: AWSCredentialsSource {
    public let endpoint: String
    public let disabled: Bool
    private let http: HTTPClient

    /// One client for every metadata probe of the process, with a short connect timeout.
    private static let metadataHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectTimeoutMilliseconds = 1_000
        configuration.lowSpeedTimeSeconds = 5
        configuration.maxConnections = 2
        return HTTPClient(configuration: configuration)
    }()

    public init(environment: [String: String], http: HTTPClient? = nil) {
        var endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://169.254.169.254"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        disabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
        self.http = http ?? Self.metadataHTTP
    }

    public var name: String { disabled ? "EC2 instance metadata (disabled)" : "EC2 instance metadata (\(endpoint))" }

    public func resolve() async throws -> AWSCredentials? {
        guard !disabled else { return nil }
        let token: String
        do {
            let response = try await http.execute(HTTPRequest(.put, "\(endpoint)/latest/api/token",
                                                              headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"]))
            let body = try await response.body.collect(upTo: 4096)
            guard response.status == 200 else { return nil }  // not IMDSv2 (or not EC2)
            token = String(decoding: body, as: UTF8.self)
        } catch let error as HTTPTransportError where error.isConnectFailure || error.code == 28 {
            return nil  // not on EC2
        }
        let headers: HTTPHeaders = ["X-aws-ec2-metadata-token": token]
        let rolesURL = "\(endpoint)/latest/meta-data/iam/security-credentials/"
        let roles = try await http.execute(HTTPRequest(.get, rolesURL, headers: headers))
        let rolesBody = try await roles.body.collect(upTo: 64 * 1024)
        guard roles.status == 200 else {
            if roles.status == 404 { return nil }  // an instance without a role
            throw AWSCredentialsError("EC2 instance metadata answered HTTP \(roles.status) for the instance role")
        }
        guard let role = String(decoding: rolesBody, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init),
              !role.isEmpty, role.utf8.allSatisfy({ PercentEncoding.isUnreserved($0) || "+=,@".utf8.contains($0) })
        else {
            throw AWSCredentialsError("EC2 instance metadata named no usable instance role")
        }
        let response = try await http.execute(HTTPRequest(.get, rolesURL + role, headers: headers))
        let body = try await response.body.collect(upTo: 64 * 1024)
        guard response.status == 200, let credentials = CredentialsDocument.credentials(in: body, source: "EC2 instance role \(role)") else {
            throw AWSCredentialsError("EC2 instance metadata gave no credentials for role \(role) (HTTP \(response.status))")
        }
        return credentials
    }
}
