import Foundation
import FreightCloud
import FreightCore

/// A user name and password (or token) for one registry. The password never prints.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    public let username: String
    public let password: Secret
    /// When the provider should be asked again (a token's end, a cached secret's refresh);
    /// nil for credentials that do not change during a run.
    public let expires: Date?

    public init(username: String, password: Secret, expires: Date? = nil) {
        self.username = username
        self.password = password
        self.expires = expires
    }

    /// Parses `USER:PASS` as given to `--src-creds`/`--dest-creds`. The error never repeats the
    /// text, which holds a password.
    public init(parsing text: String, option: String) throws {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw CredentialsError(reason: "\(option) expects USER:PASS (the value given has no user or no ':')")
        }
        username = String(text[..<colon])
        password = Secret(String(text[text.index(after: colon)...]))
        expires = nil
    }

    public var description: String { "\(username):\(Secret.placeholder)" }
}

/// Where credentials for a registry come from.
public protocol CredentialProvider: Sendable {
    /// Credentials for `registry` (`HOST[:PORT]`), or nil to try anonymously.
    func credentials(for registry: String) async throws -> Credentials?
}

/// The same credentials for every registry it is asked about (from `--src-creds`).
public struct StaticCredentials: CredentialProvider {
    public let value: Credentials?

    public init(_ value: Credentials?) { self.value = value }

    public func credentials(for registry: String) async throws -> Credentials? { value }
}

/// Tries each provider in order and returns the first credentials found.
public struct ChainedCredentials: CredentialProvider {
    public let providers: [any CredentialProvider]

    public init(_ providers: [any CredentialProvider]) { self.providers = providers }

    public func credentials(for registry: String) async throws -> Credentials? {
        for provider in providers {
            if let found = try await provider.credentials(for: registry) { return found }
        }
        return nil
    }
}

/// Credentials that could not be read or parsed. Never contains a secret.
public struct CredentialsError: Error, CustomStringConvertible {
    public let reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}

/// Reports, once per registry, that `provider` supplied credentials (or failed to), for the
/// secrets panel: `--src-creds` and docker's config are credentials in use too. Says which
/// registry, never what.
public struct ObservedCredentials: CredentialProvider {
    public let provider: any CredentialProvider
    /// `flag`, `docker-config`.
    public let name: String
    private let observer: CredentialObserver
    private let reported = Locked<Set<String>>([])

    public init(_ provider: any CredentialProvider, name: String, observer: @escaping CredentialObserver) {
        self.provider = provider
        self.name = name
        self.observer = observer
    }

    public func credentials(for registry: String) async throws -> Credentials? {
        do {
            guard let found = try await provider.credentials(for: registry) else { return nil }
            if reported.withLock({ $0.insert(registry).inserted }) {
                observer(CredentialStatus(provider: name, reference: registry, state: .loaded, at: Date()))
            }
            return found
        } catch {
            observer(CredentialStatus(provider: name, reference: registry, state: .failed, at: Date(), detail: "\(error)"))
            throw error
        }
    }
}
