import Foundation
import FreightCore
import FreightHTTP

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for requests with an in-memory body.
///
/// Signs every header present when `sign` is called, plus `Host`, `X-Amz-Date` and, for
/// temporary credentials, `X-Amz-Security-Token`, which it adds. Header values are trimmed and
/// inner runs of spaces collapsed; repeated headers are joined with commas; the query is sorted
/// by encoded name then value; path and query are percent-encoded once with the RFC 3986
/// unreserved set (services other than S3 sign the path as sent).
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public let service: String
    public let region: String

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    /// The intermediate results, exposed so tests can compare each step with AWS's test suite.
    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signedHeaders: String
        public let signature: String
        public let authorization: String
    }

    /// Adds the signing headers and `Authorization` to `request`.
    public func sign(_ request: inout HTTPRequest, credentials: AWSCredentials, at date: Date) throws {
        guard let url = URLParts(request.url) else {
            throw AWSConfigurationError("cannot sign a request to \"\(HTTPTransportError.redact(request.url))\": not an http(s) URL")
        }
        let body: [UInt8]
        switch request.body {
        case nil: body = []
        case .bytes(let bytes): body = bytes
        case .stream: throw AWSConfigurationError("SigV4 signing needs the whole body in memory; a streamed body cannot be signed")
        }
        request.headers.remove("Authorization")
        if request.headers["Host"] == nil { request.headers.set("Host", url.hostHeader) }
        request.headers.set("X-Amz-Date", Self.timestamp(date))
        if let token = credentials.sessionToken { request.headers.set("X-Amz-Security-Token", token.revealed) }
        let result = signature(method: request.method.rawValue, url: url, headers: request.headers, body: body,
                               credentials: credentials, date: date)
        request.headers.set("Authorization", result.authorization)
    }

    /// Computes the signature of a request as it stands (no headers are added).
    public func signature(method: String, url: URLParts, headers: HTTPHeaders, body: [UInt8], credentials: AWSCredentials,
                          date: Date) -> Signature {
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))

        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard lowered != "authorization" else { continue }
            grouped[lowered, default: []].append(Self.canonicalValue(value))
        }
        let names = grouped.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            method.uppercased(),
            Self.canonicalPath(url.path),
            Self.canonicalQuery(url.query),
            canonicalHeaders,
            signedHeaders,
            Digest.sha256(of: body).hex,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [Self.algorithm, timestamp, scope, Digest.sha256(of: Array(canonicalRequest.utf8)).hex]
            .joined(separator: "\n")

        var key = HMACSHA256.authenticate(day, key: Array("AWS4\(credentials.secretAccessKey.revealed)".utf8))
        for part in [region, service, "aws4_request"] { key = HMACSHA256.authenticate(part, key: key) }
        let signature = Hex.encode(HMACSHA256.authenticate(stringToSign, key: key))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
                         signature: signature, authorization: authorization)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day) + "T" + two(c.hour) + two(c.minute) + two(c.second) + "Z"
    }

    /// Trims the value and collapses each run of spaces and tabs to one space.
    static func canonicalValue(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in value {
            if character == " " || character == "\t" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(character)
            }
        }
        return out
    }

    static func canonicalPath(_ path: String) -> String {
        PercentEncoding.encode(PercentEncoding.decode(Substring(path)), keeping: [UInt8(ascii: "/")])
    }

    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: true).map { component -> (String, String) in
            let parts = component.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentEncoding.encode(PercentEncoding.decode(parts[0]))
            let value = parts.count > 1 ? PercentEncoding.encode(PercentEncoding.decode(parts[1])) : ""
            return (name, value)
        }
        return pairs.sorted { lhs, rhs in
            lhs.0 == rhs.0 ? Array(lhs.1.utf8).lexicographicallyPrecedes(Array(rhs.1.utf8))
                : Array(lhs.0.utf8).lexicographicallyPrecedes(Array(rhs.0.utf8))
        }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}
