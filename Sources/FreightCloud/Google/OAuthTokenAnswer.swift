import Foundation
import FreightCore
import FreightHTTP

/// Reads an OAuth2 token endpoint's answer: `{"access_token", "expires_in"}` on success,
/// `{"error", "error_description"}` on failure.
enum OAuthTokenAnswer {
    static func read(_ response: HTTPResponse, source: String, endpoint: String, clock: WallClock) async throws -> GoogleAccessToken {
        let body = try await response.body.collect(upTo: 1 << 20)
        struct Answer: Decodable {
            var access_token: String?
            var expires_in: Double?
            var error: String?
            var error_description: String?
        }
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(body))
        guard response.status == 200, let token = answer?.access_token, !token.isEmpty else {
            let reason = [answer?.error, answer?.error_description].compactMap { $0 }.joined(separator: ": ")
            throw GoogleAuthError("the token endpoint \(HTTPTransportError.redact(endpoint)) refused \(source) (HTTP \(response.status))"
                                  + (reason.isEmpty ? "" : ": \(reason)"))
        }
        let lifetime = answer?.expires_in ?? 3600
        return GoogleAccessToken(token: Secret(token), expires: clock.now().addingTimeInterval(lifetime), source: source)
    }
}
