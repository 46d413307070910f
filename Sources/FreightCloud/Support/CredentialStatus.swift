import Foundation

/// A change in the state of one credential source (a secret, an ECR or Google token), for the
/// dashboard's secrets panel and the event stream. It never carries a value.
public struct CredentialStatus: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// Fetched for the first time.
        case loaded
        /// Fetched again after its cached copy aged out.
        case refreshed
        /// A fetch failed; `detail` says why.
        case failed
    }

    /// `aws-sm`, `gcp-sm`, `ecr`, `gcr`, `flag` (`--src-creds`/`--dest-creds`), `docker-config`.
    public let provider: String
    /// The secret reference or registry it is for.
    public let reference: String
    public let state: State
    public let at: Date
    public let detail: String?

    public init(provider: String, reference: String, state: State, at: Date, detail: String? = nil) {
        self.provider = provider
        self.reference = reference
        self.state = state
        self.at = at
        self.detail = detail
    }
}

/// Receives credential status changes; must be quick and must not block.
public typealias CredentialObserver = @Sendable (CredentialStatus) -> Void
