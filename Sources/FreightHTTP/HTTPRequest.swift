/// One HTTP request. Bodies are either bytes in memory or a stream produced while the request
/// is in flight (a blob being copied), so a layer never has to fit in memory.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET", head = "HEAD", put = "PUT", post = "POST", patch = "PATCH", delete = "DELETE"
    }

    public enum Body: Sendable {
        case bytes([UInt8])
        /// A stream of `length` bytes (nil: unknown, sent with chunked transfer encoding).
        case stream(ByteChannel, length: Int64?)
    }

    public var method: Method
    public var url: String
    public var headers: HTTPHeaders
    public var body: Body?
    /// Verify the server's TLS certificate (off only for hosts named insecure).
    public var verifyTLS: Bool
    /// CAs and a client certificate for this request's host, over the client's defaults.
    public var tls: TLSSettings?

    public init(_ method: Method, _ url: String, headers: HTTPHeaders = [:], body: Body? = nil,
                verifyTLS: Bool = true, tls: TLSSettings? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.verifyTLS = verifyTLS
        self.tls = tls
    }
}
