import Foundation
import FreightCore
import FreightHTTP

/// Calls one AWS service over the JSON protocol: `POST /` with `X-Amz-Target`, an
/// `application/x-amz-json-1.1` body, SigV4-signed with credentials from the chain.
///
/// Throttling, 5xx answers and dropped connections are tried again (three attempts, with
/// backoff); an expired-token answer drops the cached credentials and tries once more.
public struct AWSJSONClient: Sendable {
    public let service: AWSService
    public let region: String
    public let endpoint: AWSEndpoint
    public let credentials: AWSCredentialChain
    private let http: HTTPClient
    private let clock: WallClock

    public init(service: AWSService, region: String, endpoint: AWSEndpoint, credentials: AWSCredentialChain, http: HTTPClient,
                clock: WallClock = .system) {
        self.service = service
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.http = http
        self.clock = clock
    }

    /// Sends `operation` with `input`; `subject` names what it concerns in error messages.
    public func call<Input: Encodable, Output: Decodable>(_ operation: String, _ input: Input, as output: Output.Type,
                                                          subject: String? = nil) async throws -> Output {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let body = Array(try encoder.encode(input))
        let bytes = try await send(operation, body: body, subject: subject)
        do {
            return try JSONDecoder().decode(Output.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
        } catch {
            throw AWSServiceError(service: service, operation: operation, status: 200, code: "MalformedResponse",
                                  message: "the answer is not the JSON \(operation) returns", subject: subject)
        }
    }

    private func send(_ operation: String, body: [UInt8], subject: String?) async throws -> [UInt8] {
        var attempt = 0
        var refreshedCredentials = false
        while true {
            attempt += 1
            let credentials = try await self.credentials.credentials()
            var request = HTTPRequest(.post, endpoint.url + "/", headers: [
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "\(service.targetPrefix).\(operation)",
            ], body: .bytes(body))
            try SigV4Signer(service: service.signingName, region: region).sign(&request, credentials: credentials, at: clock.now())
            let failure: any Error
            do {
                let response = try await http.execute(request)
                let answer = try await response.body.collect(upTo: 16 << 20)
                if (200..<300).contains(response.status) { return answer }
                var headers: [String: String] = [:]
                for (name, value) in response.headers { headers[name.lowercased()] = value }
                let error = AWSServiceError(service: service, operation: operation, status: response.status, headers: headers,
                                            body: answer, subject: subject, accessKeyID: credentials.accessKeyID)
                if ["ExpiredToken", "ExpiredTokenException"].contains(error.code), credentials.expiration != nil, !refreshedCredentials {
                    refreshedCredentials = true
                    await self.credentials.invalidate()
                    continue
                }
                guard error.isTransient else { throw error }
                failure = error
            } catch let error as HTTPTransportError {
                let connection = CloudConnectionError(service: "AWS \(service.displayName)", endpoint: endpoint.url,
                                                      origin: endpoint.origin == "default" ? nil : endpoint.origin,
                                                      underlying: error.message)
                guard error.isTransient, !error.isConnectFailure || attempt < 2 else { throw connection }
                failure = connection
            }
            guard attempt < 3 else { throw failure }
            try await Task.sleep(for: .milliseconds(200 << attempt))
        }
    }
}
