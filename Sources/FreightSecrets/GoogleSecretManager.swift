import Foundation
import FreightCloud
import FreightCore
import FreightHTTP

/// Google Secret Manager over REST v1, with OAuth2 access tokens from `GoogleCredentials`.
///
/// `get` accesses `versions/latest` (or the version named); `put` adds a version, creating the
/// secret (automatic replication) when it does not exist; `delete` removes the secret and all
/// its versions at once (Google has no recovery window); `list` pages through the project's
/// secrets. A token the service refuses is dropped and fetched again once.
public struct GoogleSecretManager: SecretsProvider {
    public static let defaultEndpoint = "https://secretmanager.googleapis.com"

    public let endpoint: String
    /// Which setting chose a non-default endpoint, for connection errors.
    public let endpointOrigin: String?
    public let credentials: GoogleCredentials
    private let http: HTTPClient

    public init(credentials: GoogleCredentials, http: HTTPClient, endpoint: String = defaultEndpoint, endpointOrigin: String? = nil) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        if endpoint.hasSuffix("/v1") { endpoint.removeLast(3) }
        self.endpoint = endpoint
        self.endpointOrigin = endpointOrigin
        self.credentials = credentials
        self.http = http
    }

    public var scheme: String { SecretReference.gcpScheme }

    public func get(_ reference: SecretReference) async throws -> SecretVersion {
        let (project, secret, version) = try Self.parts(reference)
        let path = "projects/\(project)/secrets/\(secret)/versions/\(version ?? "latest")"
        struct Output: Decodable {
            struct Payload: Decodable { var data: String? }
            var name: String?
            var payload: Payload?
        }
        let output = try await call(.get, "/v1/\(path):access", body: nil, as: Output.self, operation: "access", reference: reference)
        guard let encoded = output.payload?.data, let data = Data(base64Encoded: encoded) else {
            throw GoogleAPIError(operation: "access", httpStatus: 200, status: "MALFORMED_RESPONSE", message: "the answer has no base64 payload.data",
                                 subject: "secret \(reference.withoutField)", tokenSource: nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SecretsError(.unsupported, "\(reference.withoutField) holds a binary value that is not UTF-8 text; freightliner reads text secrets")
        }
        return SecretVersion(value: Secret(text), version: output.name.map(Self.lastComponent))
    }

    public func put(_ reference: SecretReference, value: Secret) async throws -> PutOutcome {
        let (project, secret, version) = try Self.parts(reference)
        guard version == nil, reference.field == nil else {
            throw SecretsError(.unsupported, "put adds a whole new version: name the secret alone (gcp-sm://projects/\(project)/secrets/\(secret)), without a version or #field")
        }
        try SecretValidation.validateValue(value)
        struct Payload: Encodable { var data: String }
        struct AddVersion: Encodable { var payload: Payload }
        struct Version: Decodable { var name: String? }
        let body = try JSONEncoder().encode(AddVersion(payload: Payload(data: Data(value.revealed.utf8).base64EncodedString())))
        let addPath = "/v1/projects/\(project)/secrets/\(secret):addVersion"
        var created = false
        do {
            let added = try await call(.post, addPath, body: Array(body), as: Version.self, operation: "addVersion", reference: reference)
            return PutOutcome(created: false, version: added.name.map(Self.lastComponent))
        } catch let error as SecretsError where error.kind == .notFound {
            struct Create: Encodable {
                struct Replication: Encodable { var automatic: [String: String] = [:] }
                var replication = Replication()
            }
            do {
                _ = try await call(.post, "/v1/projects/\(project)/secrets?secretId=\(secret)", body: Array(try JSONEncoder().encode(Create())),
                                   as: Version.self, operation: "create", reference: reference)
                created = true
            } catch let error as GoogleAPIError where error.httpStatus == 409 {
                // Created meanwhile by someone else: adding the version is all that is left.
            }
        }
        let added = try await call(.post, addPath, body: Array(body), as: Version.self, operation: "addVersion", reference: reference)
        return PutOutcome(created: created, version: added.name.map(Self.lastComponent))
    }

    public func delete(_ reference: SecretReference, force: Bool) async throws -> DeleteOutcome {
        let (project, secret, version) = try Self.parts(reference)
        guard version == nil, reference.field == nil else {
            throw SecretsError(.unsupported, "rm deletes the whole secret: name it alone (gcp-sm://projects/\(project)/secrets/\(secret)), without a version or #field")
        }
        struct Empty: Decodable {}
        _ = try await call(.delete, "/v1/projects/\(project)/secrets/\(secret)", body: nil, as: Empty.self, operation: "delete",
                           reference: reference)
        return .deleted
    }

    public func list(_ prefix: SecretPrefix) async throws -> [SecretReference] {
        guard case .gcp(let project, let namePrefix) = prefix.location else {
            throw SecretsError(.unsupported, "\(prefix) is not a Google Secret Manager prefix")
        }
        struct Page: Decodable {
            struct Entry: Decodable { var name: String? }
            var secrets: [Entry]?
            var nextPageToken: String?
        }
        var ids: [String] = []
        var token: String?
        let subject = SecretReference(location: .gcp(project: project, secret: namePrefix.isEmpty ? "*" : namePrefix + "*", version: nil))
        repeat {
            var path = "/v1/projects/\(project)/secrets?pageSize=250"
            if let token { path += "&pageToken=\(PercentEncoding.encode(token))" }
            let page = try await call(.get, path, body: nil, as: Page.self, operation: "list", reference: subject)
            ids += (page.secrets ?? []).compactMap(\.name).map(Self.lastComponent).filter { $0.hasPrefix(namePrefix) }
            token = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return ids.sorted().map { SecretReference(location: .gcp(project: project, secret: $0, version: nil)) }
    }

    private static func parts(_ reference: SecretReference) throws -> (String, String, String?) {
        guard case .gcp(let project, let secret, let version) = reference.location else {
            throw SecretsError(.unsupported, "\(reference) is not a Google Secret Manager reference")
        }
        return (project, secret, version)
    }

    private static func lastComponent(_ name: String) -> String {
        String(name.split(separator: "/").last ?? Substring(name))
    }

    /// One request with a bearer token: retried on 429/5xx and dropped connections, and once
    /// with a fresh token after a 401. A 404 becomes `SecretsError(.notFound)`.
    private func call<Output: Decodable>(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]?, as output: Output.Type,
                                         operation: String, reference: SecretReference) async throws -> Output {
        let subject = "secret \(reference.withoutField)"
        var attempt = 0
        var refreshedToken = false
        while true {
            attempt += 1
            let token = try await credentials.accessToken()
            var headers: HTTPHeaders = ["Authorization": "Bearer \(token.token.revealed)"]
            if body != nil { headers.set("Content-Type", "application/json") }
            let failure: any Error
            do {
                let response = try await http.execute(HTTPRequest(method, endpoint + path, headers: headers, body: body.map { .bytes($0) }))
                let answer = try await response.body.collect(upTo: 4 << 20)
                if (200..<300).contains(response.status) {
                    do {
                        return try JSONDecoder().decode(Output.self, from: Data(answer.isEmpty ? Array("{}".utf8) : answer))
                    } catch {
                        throw GoogleAPIError(operation: operation, httpStatus: response.status, status: "MALFORMED_RESPONSE",
                                             message: "the answer is not the JSON \(operation) returns", subject: subject,
                                             tokenSource: token.source)
                    }
                }
                let error = GoogleAPIError(operation: operation, httpStatus: response.status, body: answer, subject: subject,
                                           tokenSource: token.source)
                if error.isUnauthenticated, !refreshedToken {
                    refreshedToken = true
                    await credentials.invalidate()
                    continue
                }
                if error.isNotFound {
                    throw SecretsError(.notFound, "\(reference.withoutField) does not exist in Google Secret Manager (\(endpoint)) "
                                       + "or has no such version (\(error.status)): \(error.message)")
                }
                guard error.isTransient else { throw error }
                failure = error
            } catch let error as HTTPTransportError {
                let connection = CloudConnectionError(service: "Google Secret Manager", endpoint: endpoint, origin: endpointOrigin,
                                                      underlying: error.message)
                guard error.isTransient, !error.isConnectFailure || attempt < 2 else { throw connection }
                failure = connection
            }
            guard attempt < 3 else { throw failure }
            try await Task.sleep(for: .milliseconds(200 << attempt))
        }
    }
}
