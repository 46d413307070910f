import Foundation
import FreightCloud
import FreightCore

/// Registry credentials for private ECR hosts (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`) from
/// `GetAuthorizationToken`, signed with the AWS credential chain. Other hosts get nil.
///
/// Tokens are cached per account and region and fetched again five minutes before `expiresAt`
/// (twelve hours on AWS). An expiry that is already past or about to pass when the token
/// arrives (a skewed clock; moto always says 2015) is replaced by a short fixed lifetime, so
/// such a token is neither trusted for hours nor fetched again at every request.
public struct ECRCredentials: CredentialProvider {
    public static let refreshMargin: TimeInterval = 5 * 60
    public static let fallbackLifetime: TimeInterval = 15 * 60

    private let session: @Sendable () throws -> AWSSession
    private let cache: ExpiringCache<Credentials>
    /// Registries fetched before: the next fetch for one is a refresh.
    private let fetched = Locked<Set<String>>([])
    private let clock: WallClock
    private let observer: CredentialObserver?

    /// `session` is called when an ECR host is first met, so that commands that never touch ECR
    /// never read AWS configuration.
    public init(session: @escaping @Sendable () throws -> AWSSession, clock: WallClock = .system, observer: CredentialObserver? = nil) {
        self.session = session
        self.clock = clock
        self.observer = observer
        cache = ExpiringCache(clock: clock, refreshMargin: Self.refreshMargin)
    }

    public func credentials(for registry: String) async throws -> Credentials? {
        guard let host = ECRHost(registry: registry) else { return nil }
        let session = self.session, clock = self.clock, observer = self.observer, fetched = self.fetched
        do {
            let entry = try await cache.value(for: "\(host.account)/\(host.region)") {
                let ecr = ECRClient(api: try session().client(for: .ecr, region: host.region))
                let token = try await ecr.authorizationToken(account: host.account)
                let now = clock.now()
                let expires = token.expiresAt > now.addingTimeInterval(Self.refreshMargin * 2) ? token.expiresAt
                    : now.addingTimeInterval(Self.fallbackLifetime)
                let state: CredentialStatus.State = fetched.withLock { $0.insert(registry).inserted } ? .loaded : .refreshed
                observer?(CredentialStatus(provider: "ecr", reference: registry, state: state, at: now))
                return (Credentials(username: token.username, password: token.password), expires)
            }
            // AuthState asks again once this passes; by then the cache fetches a new token.
            return Credentials(username: entry.value.username, password: entry.value.password,
                               expires: entry.expires.addingTimeInterval(-Self.refreshMargin))
        } catch is AWSCredentialsNotFound {
            return nil  // no AWS identity here: let docker's config (an ecr-login helper) try
        } catch {
            observer?(CredentialStatus(provider: "ecr", reference: registry, state: .failed, at: clock.now(), detail: "\(error)"))
            throw CredentialsError(reason: "ECR credentials for \(registry): \(error)")
        }
    }
}
