import Foundation
import FreightCore
import FreightHTTP

/// A registry's auth state: its endpoint and challenge, its credentials (looked up once), and
/// bearer tokens cached per scope set until shortly before they expire. Concurrent requests
/// needing the same token share one fetch.
actor AuthState {
    private struct Token {
        let value: Secret
        let expires: Date
        /// The realm host our credentials were kept from (plain HTTP on another host), if any.
        var credentialsWithheldFrom: String?
    }

    let registry: String
    private let provider: any CredentialProvider
    private var endpointTask: Task<RegistryClient.Endpoint, any Error>?
    private var challenge: AuthChallenge?
    private var credentialsTask: Task<Credentials?, any Error>?
    private var tokens: [String: Token] = [:]
    private var tokenFetches: [String: Task<Token, any Error>] = [:]
    /// The token service host our credentials were kept from, for the message when the
    /// registry then refuses the anonymous token.
    private(set) var credentialsWithheldFrom: String?
    /// Scopes a registry asked for beyond ours (`insufficient_scope` challenges), per scope set.
    private var extraScopes: [String: String] = [:]

    init(registry: String, provider: any CredentialProvider) {
        self.registry = registry
        self.provider = provider
    }

    func endpoint(_ ping: @escaping @Sendable () async throws -> RegistryClient.Endpoint) async throws -> RegistryClient.Endpoint {
        if endpointTask == nil { endpointTask = Task { try await ping() } }
        do {
            let endpoint = try await endpointTask!.value
            if challenge == nil { challenge = endpoint.challenge }
            return endpoint
        } catch {
            endpointTask = nil  // let a later request try again
            throw error
        }
    }

    var hasCredentials: Bool {
        get async { (try? await credentials()) != nil }
    }

    /// The provider's answer, asked once and again only when the credentials it gave expire
    /// (an ECR or Google token, a secret due for a refresh).
    private func credentials() async throws -> Credentials? {
        if let task = credentialsTask, let expires = try? await task.value?.expires, expires <= Date(), credentialsTask == task {
            credentialsTask = nil
        }
        if credentialsTask == nil {
            let provider = self.provider, registry = self.registry
            credentialsTask = Task { try await provider.credentials(for: registry) }
        }
        return try await credentialsTask!.value
    }

    /// The `Authorization` header value for a request needing `scopes`, or nil for none.
    func authorization(for scopes: [Scope], client: RegistryClient) async throws -> String? {
        guard let challenge else { return nil }
        switch challenge.scheme {
        case .basic:
            guard let credentials = try await credentials() else { return nil }
            return Self.basic(credentials)
        case .bearer:
            let key = scopes.sorted().map(\.text).joined(separator: " ")
            if let token = tokens[key], token.expires > Date() { return "Bearer \(token.value.revealed)" }
            if let fetch = tokenFetches[key] { return "Bearer \(try await fetch.value.value.revealed)" }
            var requested = scopes.map(\.text)
            if let extra = extraScopes[key], !requested.contains(extra) { requested.append(extra) }
            let credentials = try await credentials()
            let fetch = Task { [registry] in
                try await Self.fetchToken(challenge: challenge, scopes: requested, credentials: credentials,
                                          registry: registry, client: client)
            }
            tokenFetches[key] = fetch
            defer { tokenFetches[key] = nil }
            let token = try await fetch.value
            tokens[key] = token
            if let host = token.credentialsWithheldFrom { credentialsWithheldFrom = host }
            return "Bearer \(token.value.revealed)"
        }
    }

    /// After a 401: adopt the new challenge and forget the token that was refused.
    func refresh(after newChallenge: AuthChallenge, scopes: [Scope]) {
        let key = scopes.sorted().map(\.text).joined(separator: " ")
        tokens[key] = nil
        if let scope = newChallenge.scope, !scopes.contains(where: { $0.text == scope }) { extraScopes[key] = scope }
        challenge = newChallenge
    }

    static func basic(_ credentials: Credentials) -> String {
        "Basic " + Data("\(credentials.username):\(credentials.password.revealed)".utf8).base64EncodedString()
    }

    /// The token service flow: `GET realm?service=…&scope=…`, with Basic credentials when we
    /// have them and the realm may receive them.
    private static func fetchToken(challenge: AuthChallenge, scopes: [String], credentials: Credentials?,
                                   registry: String, client: RegistryClient) async throws -> Token {
        let operation = "token for \(registry)"
        guard let realm = challenge.realm, let realmURL = URLComponents(string: realm),
              let scheme = realmURL.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let realmHost = realmURL.host?.lowercased()
        else {
            throw ProtocolError(operation: operation, reason: "the Bearer challenge has no usable realm (\(challenge.realm ?? "none"))")
        }
        var url = realm
        if let service = challenge.service { url = RegistryClient.appendingQuery(url, "service", service) }
        for scope in scopes { url = RegistryClient.appendingQuery(url, "scope", scope) }

        // Credentials go to a realm over HTTPS, or over plain HTTP only to the registry's own host.
        let registryHost = String(registry.split(separator: ":").first ?? "").lowercased()
        let mayReceiveCredentials = scheme == "https" || realmHost == registryHost
        var headers = HTTPHeaders()
        if let credentials, mayReceiveCredentials {
            headers.set("Authorization", basic(credentials))
        }
        let withheldFrom = credentials != nil && !mayReceiveCredentials ? realmHost : nil
        // Certificates are checked unless the realm is the very host named insecure: naming a
        // registry insecure says nothing about the token service it sends us to. A token service
        // on the registry's own host is trusted as the registry is (its certificate directory: a
        // private CA, a client certificate), as containers/image does; one elsewhere is not.
        let sameHost = realmHost == registryHost
        let request = HTTPRequest(.get, url, headers: headers, verifyTLS: !(client.insecure && sameHost),
                                  tls: sameHost ? client.tls : nil)
        let response = try await client.retry.run {
            let response = try await client.http.execute(request)
            if RegistryError.isTransientStatus(response.status) {
                throw await client.error(from: response, operation: operation)
            }
            // Read inside the retry: a token answer cut short is fetched again.
            let limit = response.status == 200 ? 1 << 20 : 64 * 1024
            return RegistryClient.FetchedResponse(head: response.head, body: try await response.body.collect(upTo: limit))
        }
        guard response.status == 200 else {
            let error = RegistryError(status: response.status, headers: response.headers, body: response.body, operation: operation)
            let reason: String
            if let withheldFrom {
                reason = "\(registry) sends clients to a token service at \(withheldFrom), over plain HTTP on another host, and freightliner does not send credentials there"
            } else if credentials == nil {
                reason = "\(registry) requires authentication: pass --src-creds/--dest-creds, a *-creds-secret, or log in with docker/podman"
            } else {
                reason = "the token service at \(realmHost) refused the credentials for \(registry)"
            }
            throw error.prefixingMessage(reason)
        }
        struct Answer: Decodable {
            var token: String?
            var access_token: String?
            var expires_in: Double?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)),
              let value = answer.token ?? answer.access_token, !value.isEmpty
        else {
            throw ProtocolError(operation: operation, reason: "the token service answered without a token")
        }
        // The spec's default lifetime is 60 s; renew a little early so no request races expiry.
        let lifetime = max(answer.expires_in ?? 60, 10)
        return Token(value: Secret(value), expires: Date().addingTimeInterval(lifetime * 0.9 - 2), credentialsWithheldFrom: withheldFrom)
    }
}
