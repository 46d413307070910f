import Foundation
import FreightCore
import FreightHTTP

/// An error answer from a registry, with the registry's own code and message
/// (from the Distribution API's `{"errors":[{"code","message","detail"}]}` body).
public struct RegistryError: Error, CustomStringConvertible {
    public let status: Int
    /// The first error code in the body, e.g. `MANIFEST_UNKNOWN`, `DENIED`; nil if there was none.
    public let code: String?
    public let message: String
    /// What was being asked for, e.g. `GET 127.0.0.1:5000/team/app manifest 1.0`.
    public let operation: String
    /// Seconds the registry asked us to wait (`Retry-After`), if any.
    public let retryAfter: Double?

    public init(status: Int, code: String?, message: String, operation: String, retryAfter: Double? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.operation = operation
        self.retryAfter = retryAfter
    }

    /// Decodes an error body; falls back to the HTTP status text when the body is not JSON.
    public init(status: Int, headers: HTTPHeaders, body: [UInt8], operation: String) {
        struct Body: Decodable {
            struct Entry: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Entry]?
        }
        let entries = (try? JSONDecoder().decode(Body.self, from: Data(body)))?.errors ?? []
        let code = entries.first?.code
        var message = entries.compactMap { entry -> String? in
            guard let text = entry.message ?? entry.code else { return nil }
            return text
        }.joined(separator: "; ")
        if message.isEmpty {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty || text.contains("<") ? Self.reason(status) : text
        }
        self.init(status: status, code: code, message: message, operation: operation,
                  retryAfter: headers["Retry-After"].flatMap(RetryPolicy.parseRetryAfter))
    }

    /// What the user reads: the registry's own words, with any control characters escaped.
    public var description: String {
        var text = "\(operation): \(message) (HTTP \(status)"
        if let code { text += " \(code)" }
        return (text + ")").escapingControlCharacters
    }

    public var isNotFound: Bool { status == 404 }
    public var isUnauthorized: Bool { status == 401 || status == 403 }
    /// 408, 429 and 5xx may succeed later; everything else is permanent.
    public var isTransient: Bool { status == 408 || status == 429 || (500...599).contains(status) }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "bad request"
        case 401: return "authentication required"
        case 403: return "access denied"
        case 404: return "not found"
        case 405: return "method not allowed (is the registry read-only?)"
        case 408: return "request timeout"
        case 413: return "payload too large"
        case 416: return "range not satisfiable"
        case 429: return "too many requests"
        case 500: return "internal server error"
        case 502: return "bad gateway"
        case 503: return "service unavailable"
        case 504: return "gateway timeout"
        default: return "unexpected status"
        }
    }
}

/// A registry that answered something the Distribution API does not allow.
public struct ProtocolError: Error, CustomStringConvertible {
    public let operation: String
    public let reason: String

    public init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)".escapingControlCharacters }
}

/// Content whose bytes do not hash to the digest that names them.
public struct DigestMismatchError: Error, CustomStringConvertible {
    public let what: String
    public let expected: String
    public let actual: String

    public init(what: String, expected: String, actual: String) {
        self.what = what
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        "\(what): content does not match its digest (expected \(expected), got \(actual)); nothing was written".escapingControlCharacters
    }
}
