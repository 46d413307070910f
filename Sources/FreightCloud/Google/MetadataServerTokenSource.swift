import Foundation
import FreightCore
import FreightHTTP

/// The default service account's token from the GCE metadata server
/// (`GET http://HOST/computeMetadata/v1/instance/service-accounts/default/token` with
/// `Metadata-Flavor: Google`). `GCE_METADATA_HOST` names the host.
public struct MetadataServerTokenSource: GoogleTokenSource {
    public let host: String
    private let http: HTTPClient
    private let clock: WallClock

    public init(host: String, http: HTTPClient, clock: WallClock = .system) {
        self.host = host
        self.http = http
        self.clock = clock
    }

    public var name: String { "GCE metadata server (\(host))" }

    public func fetchToken() async throws -> GoogleAccessToken {
        let url = "http://\(host)/computeMetadata/v1/instance/service-accounts/default/token"
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(.get, url, headers: ["Metadata-Flavor": "Google"]))
        } catch let error as HTTPTransportError {
            throw CloudConnectionError(service: "the GCE metadata server", endpoint: "http://\(host)", origin: "GCE_METADATA_HOST",
                                       underlying: error.message)
        }
        guard response.headers["Metadata-Flavor"] == "Google" else {
            await response.body.discard()
            throw GoogleAuthError("\(host) is not a GCE metadata server (its answer lacks Metadata-Flavor: Google)")
        }
        return try await OAuthTokenAnswer.read(response, source: "the GCE metadata server", endpoint: url, clock: clock)
    }
}
