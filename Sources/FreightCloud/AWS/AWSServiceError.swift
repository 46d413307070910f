import Foundation
import FreightCore

/// An error answer from an AWS service, read from either shape seen in practice: the JSON
/// protocol's `{"__type": …, "message": …}` and the XML `<Error><Code>…<Message>…` that auth
/// failures come in (moto sends those as text/html). The description says what went wrong in
/// plain words first, then the service's own code.
public struct AWSServiceError: Error, CustomStringConvertible {
    public let service: AWSService
    public let operation: String
    public let status: Int
    /// The error code without namespace: `SignatureDoesNotMatch`, `ResourceNotFoundException`.
    public let code: String
    public let message: String
    /// What the request was about, e.g. `secret prod/registry`; used in messages.
    public let subject: String?
    public let accessKeyID: String?

    public init(service: AWSService, operation: String, status: Int, code: String, message: String, subject: String? = nil,
                accessKeyID: String? = nil) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.subject = subject
        self.accessKeyID = accessKeyID
    }

    /// Parses an error response body.
    public init(service: AWSService, operation: String, status: Int, headers: [String: String], body: [UInt8], subject: String?,
                accessKeyID: String?) {
        var code = "", message = ""
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] {
            code = (object["__type"] as? String) ?? (object["code"] as? String) ?? ""
            message = (object["message"] as? String) ?? (object["Message"] as? String) ?? ""
        } else {
            let text = String(decoding: body.prefix(64 * 1024), as: UTF8.self)
            code = Self.element("Code", in: text) ?? ""
            message = Self.element("Message", in: text) ?? ""
        }
        if code.isEmpty, let header = headers["x-amzn-errortype"] { code = header }
        // `com.amazonaws.secretsmanager#ResourceNotFoundException`, `Name:http://internal…`
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
        if code.isEmpty { code = "HTTP \(status)" }
        let words = message.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        self.init(service: service, operation: operation, status: status, code: code, message: words.joined(separator: " "),
                  subject: subject, accessKeyID: accessKeyID)
    }

    /// The text of the first `<name>` element, entities decoded: enough for AWS's flat XML.
    static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    public var isNotFound: Bool { code == "ResourceNotFoundException" || code == "RepositoryNotFoundException" }
    /// Worth another try: throttling and server-side failures.
    public var isTransient: Bool {
        status >= 500 || ["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
                          "ServiceUnavailable", "InternalServiceError", "InternalFailure"].contains(code)
    }

    private var key: String { accessKeyID.map { " for access key \($0)" } ?? "" }
    private var about: String { subject.map { " (\($0))" } ?? "" }

    public var description: String {
        let explanation: String
        switch code {
        case "SignatureDoesNotMatch", "InvalidSignatureException":
            explanation = "AWS refused the request signature: the secret access key is wrong\(key)"
        case "InvalidClientTokenId", "UnrecognizedClientException":
            explanation = "AWS does not recognise the access key ID\(key.isEmpty ? "" : " \(accessKeyID!)"): check AWS_ACCESS_KEY_ID or the profile"
        case "ExpiredToken", "ExpiredTokenException":
            explanation = "the AWS session token has expired\(key): refresh the credentials"
        case "AccessDenied", "AccessDeniedException":
            explanation = "AWS denied \(operation)\(about)\(key)"
        case "ResourceNotFoundException", "RepositoryNotFoundException":
            explanation = "\(subject ?? "the resource") does not exist in \(service.displayName)"
        default:
            explanation = "\(service.displayName) \(operation)\(about) failed (HTTP \(status))"
        }
        return message.isEmpty ? "\(explanation) (\(code))" : "\(explanation) (\(code)): \(message)"
    }
}

/// A request that never got an answer from the service: no connection, a timeout.
public struct CloudConnectionError: Error, CustomStringConvertible {
    public let service: String
    public let endpoint: String
    /// Which setting chose the endpoint, when it was not the default.
    public let origin: String?
    public let underlying: String

    public init(service: String, endpoint: String, origin: String?, underlying: String) {
        self.service = service
        self.endpoint = endpoint
        self.origin = origin
        self.underlying = underlying
    }

    public var description: String {
        let hint = origin.map { " (set by \($0))" } ?? ""
        return "could not reach \(service) at \(endpoint)\(hint): \(underlying)"
    }
}
