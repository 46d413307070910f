import Foundation
import FreightCore
import FreightHTTP

/// An error answer from a registry, with the registry's own code and message
/// (from the Distribution API's `{"errors":[{"code","message","detail"}]}` body).
public struct RegistryError: Error, CustomStringConvertible {
    /// One entry of the error body: `{"code": …, "message": …, "detail": …}`.
    public struct Entry: Sendable, Equatable {
        public let code: String?
        public let message: String?
        /// The detail when it is a string (distribution puts the digest a manifest names but
        /// the registry lacks there); other shapes are dropped.
        public let detail: String?

        public init(code: String?, message: String?, detail: String? = nil) {
            self.code = code
            self.message = message
            self.detail = detail
        }
    }

    public let status: Int
    /// The first error code in the body, e.g. `MANIFEST_UNKNOWN`, `DENIED`; nil if there was none.
    public let code: String?
    public let message: String
    /// What was being asked for, e.g. `GET 127.0.0.1:5000/team/app manifest 1.0`.
    public let operation: String
    /// Seconds the registry asked us to wait (`Retry-After`), if any.
    public let retryAfter: Double?
    /// Every entry of the body, in order (empty when the body had none).
    public let entries: [Entry]
    /// A 429 that says the pull allowance is spent (`ratelimit-remaining: 0`): it comes back only
    /// with the next window, hours away, so trying again now is no use.
    public let pullLimitSpent: Bool

    public init(status: Int, code: String?, message: String, operation: String, retryAfter: Double? = nil,
                entries: [Entry] = [], pullLimitSpent: Bool = false) {
        self.status = status
        self.code = code
        self.message = message
        self.operation = operation
        self.retryAfter = retryAfter
        self.entries = entries
        self.pullLimitSpent = pullLimitSpent
    }

    /// Decodes an error body; falls back to the HTTP status text when the body is not JSON.
    public init(status: Int, headers: HTTPHeaders, body: [UInt8], operation: String) {
        struct Body: Decodable {
            struct Entry: Decodable {
                var code: String?
                var message: String?
                var detail: Detail?
            }
            var errors: [Entry]?
        }
        /// A detail of any JSON shape; only a string is kept.
        struct Detail: Decodable {
            var text: String?
            init(from decoder: any Decoder) throws {
                text = try? decoder.singleValueContainer().decode(String.self)
            }
        }
        let decoded = (try? JSONDecoder().decode(Body.self, from: Data(body)))?.errors ?? []
        let entries = decoded.map { Entry(code: $0.code, message: $0.message, detail: $0.detail?.text) }
        var message = entries.compactMap { entry -> String? in
            guard let text = entry.message ?? entry.code else { return nil }
            guard let detail = entry.detail, Self.isBriefDetail(detail) else { return text }
            return "\(text): \(detail)"
        }.joined(separator: "; ")
        if message.isEmpty {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty || text.contains("<") ? Self.reason(status) : text
        }
        self.init(status: status, code: entries.first?.code, message: message, operation: operation,
                  retryAfter: headers["Retry-After"].flatMap(RetryPolicy.parseRetryAfter), entries: entries,
                  pullLimitSpent: status == 429 && PullAllowance(headers: headers)?.remaining == 0)
    }

    /// The same error with `hint` put before the registry's message.
    public func prefixingMessage(_ hint: String) -> RegistryError {
        RegistryError(status: status, code: code, message: "\(hint): \(message)", operation: operation, retryAfter: retryAfter,
                      entries: entries, pullLimitSpent: pullLimitSpent)
    }

    /// What the user reads: the registry's own words, with any control characters escaped.
    public var description: String {
        var text = "\(operation): \(message) (HTTP \(status)"
        var codes: [String] = []
        for code in entries.compactMap(\.code) + [code].compactMap({ $0 }) where !codes.contains(code) { codes.append(code) }
        if !codes.isEmpty { text += " " + codes.joined(separator: ", ") }
        return (text + ")").escapingControlCharacters
    }

    /// The manifests and blobs a rejected manifest names that the registry says it does not
    /// have (`MANIFEST_BLOB_UNKNOWN`, `BLOB_UNKNOWN`, with the digest as the detail).
    public var unknownReferences: [Digest] {
        entries.compactMap { entry in
            guard entry.code == "MANIFEST_BLOB_UNKNOWN" || entry.code == "BLOB_UNKNOWN" else { return nil }
            return entry.detail.flatMap { try? Digest(parsing: $0) }
        }
    }

    /// Whether the registry refused a manifest because something it names is missing.
    public var isManifestBlobUnknown: Bool {
        entries.contains { $0.code == "MANIFEST_BLOB_UNKNOWN" } || code == "MANIFEST_BLOB_UNKNOWN"
    }

    /// A detail worth quoting inside a one-line message: short and on one line.
    private static func isBriefDetail(_ detail: String) -> Bool {
        !detail.isEmpty && detail.utf8.count <= 200 && !detail.contains("\n")
    }

    public var isNotFound: Bool { status == 404 }
    public var isUnauthorized: Bool { status == 401 || status == 403 }
    /// 408, 429 and 5xx may succeed later; everything else is permanent.
    public var isTransient: Bool { !pullLimitSpent && (status == 408 || status == 429 || (500...599).contains(status)) }

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
