import Foundation
import FreightCore
import FreightHTTP

/// Credentials from the container credentials endpoint, as ECS tasks and EKS Pod Identity get
/// them: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on `http://169.254.170.2`) or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at
/// every refresh, since it rotates) or `AWS_CONTAINER_AUTHORIZATION_TOKEN` as the
/// `Authorization` header. A full URI over plain HTTP must be on loopback or the ECS/EKS
/// link-local addresses, as the SDKs require.
public struct ContainerCredentials: AWSCredentialsSource {
    public let url: String?
    private let environment: [String: String]
    private let http: HTTPClient

    public init(environment: [String: String], http: HTTPClient) {
        self.environment = environment
        self.http = http
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            url = full
        } else {
            url = nil
        }
    }

    public var name: String { url.map { "container credentials (\($0))" } ?? "container credentials (not configured)" }

    public func resolve() async throws -> AWSCredentials? {
        guard let url else { return nil }
        guard let parts = URLParts(url) else {
            throw AWSCredentialsError("AWS_CONTAINER_CREDENTIALS_FULL_URI \"\(url)\" is not an http:// or https:// URL")
        }
        if parts.scheme == "http", !Self.allowedPlainHosts.contains(parts.host), !parts.host.hasPrefix("127.") {
            throw AWSCredentialsError("the container credentials endpoint \(HTTPTransportError.redact(url)) is plain HTTP on "
                                      + "\(parts.host), which is neither loopback nor the ECS/EKS address: refused")
        }
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token = try authorizationToken() { headers.set("Authorization", token.revealed) }
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(.get, url, headers: headers))
        } catch let error as HTTPTransportError {
            throw CloudConnectionError(service: "the AWS container credentials endpoint", endpoint: HTTPTransportError.redact(url),
                                       origin: environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] != nil
                                           ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                       underlying: error.message)
        }
        let body = try await response.body.collect(upTo: 64 * 1024)
        guard response.status == 200 else {
            throw AWSCredentialsError("the container credentials endpoint \(HTTPTransportError.redact(url)) answered HTTP \(response.status)"
                                      + (response.status == 401 || response.status == 403 ? ": the authorization token was refused" : ""))
        }
        guard let credentials = CredentialsDocument.credentials(in: body, source: "container credentials") else {
            throw AWSCredentialsError("the container credentials endpoint \(HTTPTransportError.redact(url)) gave no credentials")
        }
        return credentials
    }

    static let allowedPlainHosts: Set<String> = ["localhost", "::1", "[::1]", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    private func authorizationToken() throws -> Secret? {
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw AWSCredentialsError("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file) cannot be read")
            }
            return try Self.checked(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                                    origin: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
        }
        if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            return try Self.checked(token, origin: "AWS_CONTAINER_AUTHORIZATION_TOKEN")
        }
        return nil
    }

    private static func checked(_ token: String, origin: String) throws -> Secret {
        guard !token.contains("\r"), !token.contains("\n") else { throw AWSCredentialsError("\(origin) holds a line break: refused") }
        return Secret(token)
    }
}
