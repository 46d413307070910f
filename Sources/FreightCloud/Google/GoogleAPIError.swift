import Foundation

/// An error answer from a Google REST API: `{"error": {"code", "message", "status"}}`.
public struct GoogleAPIError: Error, CustomStringConvertible {
    public let operation: String
    public let httpStatus: Int
    /// `NOT_FOUND`, `PERMISSION_DENIED`, `UNAUTHENTICATED`, …
    public let status: String
    public let message: String
    /// What the request was about, e.g. `secret projects/p/secrets/s`.
    public let subject: String
    /// Where the access token came from, for auth failures.
    public let tokenSource: String?

    public init(operation: String, httpStatus: Int, status: String, message: String, subject: String, tokenSource: String?) {
        self.operation = operation
        self.httpStatus = httpStatus
        self.status = status
        self.message = message
        self.subject = subject
        self.tokenSource = tokenSource
    }

    /// Parses an error body; bodies of other shapes are quoted (shortened) as the message.
    public init(operation: String, httpStatus: Int, body: [UInt8], subject: String, tokenSource: String?) {
        struct Envelope: Decodable {
            struct Detail: Decodable {
                var code: Int?
                var message: String?
                var status: String?
            }
            var error: Detail?
        }
        let detail = (try? JSONDecoder().decode(Envelope.self, from: Data(body)))?.error
        self.operation = operation
        self.httpStatus = httpStatus
        status = detail?.status ?? Self.defaultStatus(httpStatus)
        message = detail?.message ?? String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        self.subject = subject
        self.tokenSource = tokenSource
    }

    public var isNotFound: Bool { httpStatus == 404 }
    public var isUnauthenticated: Bool { httpStatus == 401 }
    public var isTransient: Bool { httpStatus == 429 || httpStatus >= 500 }

    public var description: String {
        let explanation: String
        switch httpStatus {
        case 401:
            explanation = "Google refused the access token\(tokenSource.map { " from \($0)" } ?? "") as expired or invalid"
        case 403:
            explanation = "Google denied \(operation) on \(subject)\(tokenSource.map { " to \($0)" } ?? "")"
        case 404:
            explanation = "\(subject) does not exist (or has no such version)"
        default:
            explanation = "Google \(operation) on \(subject) failed (HTTP \(httpStatus))"
        }
        return message.isEmpty ? "\(explanation) (\(status))" : "\(explanation) (\(status)): \(message)"
    }

    private static func defaultStatus(_ code: Int) -> String {
        switch code {
        case 400: return "INVALID_ARGUMENT"
        case 401: return "UNAUTHENTICATED"
        case 403: return "PERMISSION_DENIED"
        case 404: return "NOT_FOUND"
        case 409: return "ALREADY_EXISTS"
        case 429: return "RESOURCE_EXHAUSTED"
        default: return "HTTP \(code)"
        }
    }
}
