/// The pieces of an absolute http(s) URL that request signing needs, split by hand so that the
/// path and query keep exactly the bytes that go on the wire (Foundation's `URL` re-encodes).
public struct URLParts: Sendable, Equatable {
    public let scheme: String
    /// `host` or `host:port`, as it appears in the URL.
    public let authority: String
    /// The path as written, `/` when empty.
    public let path: String
    /// The query as written, without `?`; empty when there is none.
    public let query: String

    public init?(_ url: String) {
        guard let separator = url.range(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = url[separator.upperBound...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        rest = rest[authorityEnd...]
        var path = rest, query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            path = rest[..<mark]
            query = rest[rest.index(after: mark)...]
        }
        self.scheme = scheme
        self.authority = String(authority)
        self.path = path.isEmpty ? "/" : String(path)
        self.query = String(query)
    }

    /// The `Host` header value: the authority without a port that is the scheme's default.
    public var hostHeader: String {
        let lowered = authority.lowercased()
        if scheme == "https", lowered.hasSuffix(":443") { return String(lowered.dropLast(4)) }
        if scheme == "http", lowered.hasSuffix(":80") { return String(lowered.dropLast(3)) }
        return lowered
    }

    /// The host without its port, lowercase; an IPv6 address keeps its brackets (`[::1]`).
    public var host: String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") { return String(lowered[...close]) }
        return String(lowered.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// The URL up to and including the authority, e.g. `https://host:8443`.
    public var origin: String { "\(scheme)://\(authority)" }
}
