import FreightCore
import Foundation

/// An HTTP client over libcurl, shared by everything that talks to a network service.
///
/// Requests never follow redirects by themselves (callers decide what may follow, e.g. that
/// credentials never go to another host) and only speak http and https. Proxies come from the
/// usual environment variables (`https_proxy`, `no_proxy`, …).
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        public var userAgent: String
        public var connectTimeoutMilliseconds: Int = 30_000
        /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTimeSeconds` is aborted
        /// (and retried as a timeout): a stalled or trickling server cannot hold a run forever.
        /// There is no total timeout: a large blob may take minutes. The environment variables
        /// `FREIGHTLINER_LOW_SPEED_LIMIT` and `FREIGHTLINER_LOW_SPEED_TIME` override them, for
        /// links slower than 1 KiB/s and for tests that provoke stalls.
        public var lowSpeedLimit: Int = 1024
        public var lowSpeedTimeSeconds: Int = 60
        public var maxConnections: Int = 64
        /// Logs each request's method, URL (without query) and status to stderr; never headers.
        public var trace = ProcessInfo.processInfo.environment["FREIGHTLINER_TRACE_HTTP"] == "1"
        /// The trust every request starts from: `SSL_CERT_FILE`, `CURL_CA_BUNDLE`, `SSL_CERT_DIR`.
        public var tls: TLSSettings
        /// Hears of every request once its response head arrived (its status) or it failed
        /// (nil): its URL and method, for metrics; never a header. The URL's query may carry a
        /// signature: a hook takes what it needs (the host) and keeps nothing else.
        public var onResponse: (@Sendable (_ url: String, _ method: String, _ status: Int?) -> Void)?

        public init(userAgent: String = "freightliner/\(FreightVersion.current)",
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            self.userAgent = userAgent
            tls = TLSSettings(environment: environment)
            if let limit = environment["FREIGHTLINER_LOW_SPEED_LIMIT"].flatMap(Int.init), limit > 0 { lowSpeedLimit = limit }
            if let time = environment["FREIGHTLINER_LOW_SPEED_TIME"].flatMap(Int.init), time > 0 { lowSpeedTimeSeconds = time }
        }
    }

    public let configuration: Configuration
    /// Requests sent, by method: how much a run asked of the registries.
    public let requestCounts = RequestCounts()
    private let loop: CurlLoop

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        loop = CurlLoop(maxConnections: configuration.maxConnections)
    }

    /// Sends `request` and returns once the response head has arrived; the body streams after.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        requestCounts.record(request.method)
        let transfer = try CurlTransfer(request: request, configuration: configuration, counts: requestCounts)
        let started = ContinuousClock.now
        do {
            let head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    transfer.headContinuation = continuation
                    loop.add(transfer)
                }
            } onCancel: {
                loop.cancel(transfer)
            }
            if configuration.trace { Self.trace(request, "\(head.status)", since: started) }
            configuration.onResponse?(request.url, request.method.rawValue, head.status)
            return HTTPResponse(head: head, body: ResponseBody(channel: transfer.response))
        } catch {
            if configuration.trace { Self.trace(request, "error: \(error)", since: started) }
            configuration.onResponse?(request.url, request.method.rawValue, nil)
            throw error
        }
    }

    private static func trace(_ request: HTTPRequest, _ result: String, since start: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - start).components
        let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        let line = "http: \(request.method.rawValue) \(HTTPTransportError.redact(request.url)) -> \(result) (\(milliseconds) ms)\n"
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}

/// Counts of requests by method, and of connections opened, safe to read while a run goes on.
public final class RequestCounts: Sendable {
    private struct Counts: Sendable {
        var methods: [String: Int] = [:]
        var connections = 0
    }

    private let counts = Locked(Counts())

    func record(_ method: HTTPRequest.Method) {
        counts.withLock { $0.methods[method.rawValue, default: 0] += 1 }
    }

    func connectionsOpened(_ count: Int) {
        guard count > 0 else { return }
        counts.withLock { $0.connections += count }
    }

    /// A snapshot: method name → requests sent.
    public var snapshot: [String: Int] { counts.withLock { $0.methods } }

    /// TCP connections opened so far (the rest of the requests reused one).
    public var connections: Int { counts.withLock { $0.connections } }
}
