import CCurl

/// A request that failed below HTTP: no connection, a reset, a timeout, a TLS failure.
public struct HTTPTransportError: Error, CustomStringConvertible {
    /// libcurl's error code.
    public let code: Int
    public let message: String
    /// The URL without its query (queries may carry signed tokens).
    public let url: String

    init(code: CURLcode, message: String, url: String) {
        self.code = Int(code.rawValue)
        self.message = message
        self.url = HTTPTransportError.redact(url)
    }

    init(message: String, url: String) {
        self.code = -1
        self.message = message
        self.url = HTTPTransportError.redact(url)
    }

    public var description: String { "\(url): \(message)" }

    /// Whether trying again may succeed: connection failures, resets and timeouts.
    public var isTransient: Bool {
        // A TLS alert (a certificate the server refuses or requires) will not pass by itself.
        if isHandshakeFailure { return false }
        switch code {
        case 7, // couldn't connect
             16, // HTTP/2 framing
             18, // partial file
             28, // timeout
             52, // got nothing
             55, 56, // send/receive error
             65, // could not rewind a body after a dropped connection
             92: // HTTP/2 stream
            return true
        default:
            return false
        }
    }

    /// Whether the host was unreachable at the TCP or TLS level (no HTTP answer at all).
    public var isConnectFailure: Bool {
        [6, 7, 35, 60].contains(code) || (code == 28 && message.contains("onnect"))
    }

    /// The server's certificate could not be verified against the trusted CAs (curl 60).
    public var isCertificateProblem: Bool { code == 60 }

    /// The TLS handshake failed otherwise: e.g. a server that requires a client certificate
    /// and got none (curl 35 and 56 with an SSL alert, 58 a bad client certificate).
    public var isHandshakeFailure: Bool {
        code == 35 || code == 58 || (code == 56 && message.contains("alert"))
    }

    /// The URL up to its query string.
    public static func redact(_ url: String) -> String {
        String(url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
