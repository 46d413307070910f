import Foundation
import FreightCore
import FreightHTTP

/// A client for one registry's Distribution API (`/v2/`), shared by every repository of it.
///
/// It finds the endpoint (HTTPS, or plain HTTP for loopback and hosts named insecure), answers
/// auth challenges (Basic, or Bearer tokens from the registry's token service, cached per
/// scope until they expire), retries what may pass, follows redirects without ever sending
/// credentials to another host, and turns error answers into `RegistryError`s that carry the
/// registry's own message.
public final class RegistryClient: Sendable {
    /// The registry as references name it (`docker.io`, `127.0.0.1:5000`).
    public let registry: String
    /// The host that serves the API (`registry-1.docker.io` for Docker Hub).
    public let apiHost: String
    public let http: HTTPClient
    public let insecure: Bool
    public let retry: RetryPolicy
    /// Runs before the first write to each repository (creating it on ECR).
    public let preparer: (any RepositoryPreparer)?
    /// CAs and client certificate for the registry's own host (its certificate directory);
    /// other hosts it sends clients to get the HTTP client's defaults.
    public let tls: TLSSettings?
    /// Hears of every request that is tried again (what, which attempt, how long until, why).
    public let onRetry: RetryObserver?
    /// `--requests-per-second`: every request to this registry waits for a token.
    public let requestRate: TokenBucket?
    /// Hears of the pull allowance whenever the registry states it (Docker Hub's headers).
    public let onAllowance: (@Sendable (PullAllowance) -> Void)?
    private let latestAllowance = Locked<PullAllowance?>(nil)
    /// Whether the registry has the OCI 1.1 referrers API: asked once (a probe, or a PUT
    /// answered with `OCI-Subject`), however many tags want to know at once.
    private let referrersAPI = Locked<Task<Bool, any Error>?>(nil)
    let auth: AuthState
    private let prepared = Locked<[String: Task<Void, any Error>]>([:])

    public init(registry: String, http: HTTPClient, credentials: any CredentialProvider,
                insecure: Bool = false, retry: RetryPolicy = RetryPolicy(), preparer: (any RepositoryPreparer)? = nil,
                tls: TLSSettings? = nil, onRetry: RetryObserver? = nil, requestRate: TokenBucket? = nil,
                onAllowance: (@Sendable (PullAllowance) -> Void)? = nil) {
        self.registry = registry
        self.apiHost = registry == ImageReference.dockerHub ? "registry-1.docker.io" : registry
        self.http = http
        self.insecure = insecure || Self.isLoopback(registry)
        self.retry = retry
        self.preparer = preparer
        self.tls = tls
        self.onRetry = onRetry
        self.requestRate = requestRate
        self.onAllowance = onAllowance
        self.auth = AuthState(registry: registry, provider: credentials)
    }

    /// What the registry last said is left of its pull allowance; nil if it never said.
    public var allowance: PullAllowance? { latestAllowance.value }

    /// Runs the preparer for `repository` once; concurrent writers wait for the same run.
    public func prepareForWrite(_ repository: String) async throws {
        guard let preparer else { return }
        let registry = self.registry
        let task = prepared.withLock { tasks in
            if let task = tasks[repository] { return task }
            let task = Task { try await preparer.prepare(repository: repository, registry: registry) }
            tasks[repository] = task
            return task
        }
        try await task.value
    }

    /// Whether `host` (`HOST[:PORT]`) is on this machine: plain HTTP is allowed there.
    public static func isLoopback(_ host: String) -> Bool {
        let name: Substring
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            name = host[host.index(after: host.startIndex)..<close]
        } else {
            name = host.split(separator: ":", maxSplits: 1).first ?? ""
        }
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    // MARK: Requests

    /// One API call. `path` is relative to the endpoint (`/v2/…`) or an absolute URL that the
    /// registry handed out (an upload `Location`).
    public struct Request: Sendable {
        public var method: HTTPRequest.Method
        public var path: String
        public var headers: HTTPHeaders = [:]
        public var body: HTTPRequest.Body?
        public var scopes: [Scope]
        /// Statuses the caller handles itself; any other is turned into a `RegistryError`.
        public var accept: Set<Int>
        /// For messages: what is being done, e.g. `GET manifest team/app:1.0`.
        public var operation: String
        public var followRedirects = false

        public init(_ method: HTTPRequest.Method, _ path: String, scopes: [Scope], accept: Set<Int>,
                    operation: String, headers: HTTPHeaders = [:], body: HTTPRequest.Body? = nil) {
            self.method = method
            self.path = path
            self.scopes = scopes
            self.accept = accept
            self.operation = operation
            self.headers = headers
            self.body = body
        }

        var isReplayable: Bool {
            if case .stream = body { return false }
            return true
        }
    }

    /// Sends `request`, authenticating and retrying as needed; returns a response whose status
    /// is in `request.accept`.
    public func send(_ request: Request) async throws -> HTTPResponse {
        let policy = request.isReplayable ? retry : .none
        return try await policy.run(onRetry: retryReporter(request.operation)) {
            try await self.sendOnce(request)
        }
    }

    private func retryReporter(_ operation: String) -> @Sendable (Int, Double, any Error) -> Void {
        let observer = onRetry
        return { attempt, delay, error in observer?(operation, attempt, delay, error) }
    }

    /// A response read to its end: the head and the whole body.
    public struct FetchedResponse: Sendable {
        public let head: HTTPResponseHead
        public let body: [UInt8]

        public var status: Int { head.status }
        public var headers: HTTPHeaders { head.headers }
    }

    /// Sends `request` and reads its whole body (at most `limit` bytes). A body cut short (a
    /// reset, a truncation, a stall) is retried like a failed request: `send` alone cannot,
    /// since its caller reads the body after it returned. `inspect` sees the head before the
    /// body is read and may refuse it (e.g. an announced size over a cap).
    public func fetch(_ request: Request, limit: Int,
                      inspect: @escaping @Sendable (HTTPResponseHead) throws -> Void = { _ in }) async throws -> FetchedResponse {
        let policy = request.isReplayable ? retry : .none
        return try await policy.run(onRetry: retryReporter(request.operation)) {
            let response = try await self.sendOnce(request)
            do {
                try inspect(response.head)
            } catch {
                response.body.close()
                throw error
            }
            return FetchedResponse(head: response.head, body: try await response.body.collect(upTo: limit))
        }
    }

    private func sendOnce(_ request: Request) async throws -> HTTPResponse {
        let endpoint = try await auth.endpoint { try await self.ping() }
        var url = try resolve(request.path, base: endpoint.baseURL, operation: request.operation)
        var method = request.method
        var body = request.body
        var retriedAuth = false
        var redirects = 0
        while true {
            var headers = request.headers
            let sameHost = Self.hostPort(of: url) == Self.hostPort(of: endpoint.baseURL)
            if sameHost, let authorization = try await auth.authorization(for: request.scopes, client: self) {
                headers.set("Authorization", authorization)
            }
            try await requestRate?.take()
            // Only the registry itself may skip certificate checks: a redirect target on another
            // host (a CDN, object storage) was never named insecure.
            let response = try await http.execute(HTTPRequest(method, url, headers: headers, body: body,
                                                              verifyTLS: !(insecure && sameHost), tls: sameHost ? tls : nil))
            let status = response.status
            if sameHost, let allowance = PullAllowance(headers: response.headers) {
                latestAllowance.withLock { $0 = allowance }
                onAllowance?(allowance)
            }

            if status == 401, sameHost, !retriedAuth, request.isReplayable,
               let challenge = response.headers.values("WWW-Authenticate").lazy.compactMap(AuthChallenge.parse).first {
                await response.body.discard()
                retriedAuth = true
                await auth.refresh(after: challenge, scopes: request.scopes)
                continue
            }
            if request.followRedirects, [301, 302, 303, 307, 308].contains(status),
               let location = response.headers["Location"] {
                await response.body.discard()
                redirects += 1
                guard redirects <= 5 else {
                    throw ProtocolError(operation: request.operation, reason: "more than 5 redirects")
                }
                let next = try resolve(location, base: url, operation: request.operation)
                if url.hasPrefix("https:"), next.hasPrefix("http:"), !insecure {
                    throw ProtocolError(operation: request.operation,
                                        reason: "refused a redirect from HTTPS to plain HTTP (\(HTTPTransportError.redact(next)))")
                }
                url = next
                if status == 303 { method = .get; body = nil }
                continue
            }
            if request.accept.contains(status) { return response }
            throw await error(from: response, operation: request.operation, challenge: status == 401)
        }
    }

    /// Reads an error answer into a `RegistryError`, with a hint for auth failures.
    func error(from response: HTTPResponse, operation: String, challenge: Bool = false) async -> RegistryError {
        let body = (try? await response.body.collect(upTo: 64 * 1024)) ?? []
        var error = RegistryError(status: response.status, headers: response.headers, body: body, operation: operation)
        if error.status == 401 {
            let hasCredentials = await auth.hasCredentials
            let withheldFrom = await auth.credentialsWithheldFrom
            let hint = withheldFrom.map {
                "\(registry) sends clients to a token service at \($0), over plain HTTP on another host, and freightliner does not send credentials there"
            } ?? (hasCredentials
                ? "the registry refused the credentials for \(registry)"
                : "\(registry) requires authentication: pass --src-creds/--dest-creds, a *-creds-secret, or log in with docker/podman")
            error = error.prefixingMessage(hint)
        }
        return error
    }

    // MARK: Endpoint

    struct Endpoint: Sendable {
        let baseURL: String
        let challenge: AuthChallenge?
    }

    /// `GET /v2/`: finds the scheme and the auth challenge.
    func ping() async throws -> Endpoint {
        let schemes = insecure ? ["https", "http"] : ["https"]
        var lastError: (any Error)?
        for scheme in schemes {
            let base = "\(scheme)://\(apiHost)"
            do {
                // Probing HTTPS on a host that may use plain HTTP: fall back at once, no retries.
                let policy = scheme == "https" && insecure ? RetryPolicy.none : retry
                let response = try await policy.run {
                    let response = try await self.http.execute(HTTPRequest(.get, "\(base)/v2/", verifyTLS: !self.insecure, tls: self.tls))
                    if RegistryError.isTransientStatus(response.status) {
                        throw await self.error(from: response, operation: "GET \(self.registry)/v2/")
                    }
                    return response
                }
                await response.body.discard()
                switch response.status {
                case 200...299:
                    return Endpoint(baseURL: base, challenge: nil)
                case 401:
                    let challenge = response.headers.values("WWW-Authenticate").lazy.compactMap(AuthChallenge.parse).first
                    guard let challenge else {
                        throw ProtocolError(operation: "GET \(registry)/v2/",
                                            reason: "401 without a Basic or Bearer WWW-Authenticate challenge")
                    }
                    return Endpoint(baseURL: base, challenge: challenge)
                default:
                    throw ProtocolError(operation: "GET \(registry)/v2/",
                                        reason: "answered HTTP \(response.status): \(registry) does not look like a container registry")
                }
            } catch let error as HTTPTransportError where scheme == "https" && insecure && error.isConnectFailure {
                lastError = error
                continue
            } catch let error as HTTPTransportError where error.isCertificateProblem {
                throw ProtocolError(operation: error.url, reason: "\(error.message); the certificate of \(registry) is not trusted. "
                    + "Trust its CA with --src-cert-dir/--dest-cert-dir DIR (DIR/*.crt), /etc/containers/certs.d/\(registry)/, "
                    + "or SSL_CERT_FILE; --src-tls-verify=false/--dest-tls-verify=false turn the check off")
            } catch let error as HTTPTransportError where error.isHandshakeFailure {
                throw ProtocolError(operation: error.url, reason: "\(error.message); the TLS handshake with \(registry) failed. "
                    + "If it requires a client certificate, put NAME.cert and NAME.key in its certificate directory "
                    + "(--src-cert-dir/--dest-cert-dir, or /etc/containers/certs.d/\(registry)/)")
            }
        }
        throw lastError ?? ProtocolError(operation: "GET \(registry)/v2/", reason: "no usable endpoint")
    }

    // MARK: URLs

    /// Resolves a path or `Location` against `base`; only http and https URLs are accepted.
    func resolve(_ location: String, base: String, operation: String) throws -> String {
        guard let baseURL = URL(string: base), let resolved = URL(string: location, relativeTo: baseURL)?.absoluteURL,
              let scheme = resolved.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = resolved.host, !host.isEmpty
        else {
            throw ProtocolError(operation: operation, reason: "the registry gave an unusable location \"\(HTTPTransportError.redact(location))\"")
        }
        return resolved.absoluteString
    }

    /// `host:port` of a URL, with the scheme's default port made explicit.
    static func hostPort(of url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host?.lowercased() else { return "" }
        let port = components.port ?? (components.scheme?.lowercased() == "http" ? 80 : 443)
        return "\(host):\(port)"
    }

    /// Appends a query parameter to a URL that may already have a query.
    public static func appendingQuery(_ url: String, _ name: String, _ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        let encoded = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        return url + (url.contains("?") ? "&" : "?") + "\(name)=\(encoded)"
    }
}

extension RegistryError {
    static func isTransientStatus(_ status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }
}

extension RegistryClient {
    /// Whether the registry has the referrers API; the first caller asks with `probe`, the
    /// others wait for its answer (a failed probe is asked again next time).
    public func hasReferrersAPI(asking probe: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let task = referrersAPI.withLock { current in
            if let current { return current }
            let task = Task { try await probe() }
            current = task
            return task
        }
        do {
            return try await task.value
        } catch {
            referrersAPI.withLock { if $0 == task { $0 = nil } }
            throw error
        }
    }

    /// The registry said it has the API (a PUT answered with `OCI-Subject`).
    public func learnReferrersAPI() { referrersAPI.withLock { $0 = Task { true } } }
}
