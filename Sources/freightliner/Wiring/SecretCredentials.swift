import FreightCore
import FreightRegistry
import FreightSecrets

/// Registry credentials read from a secret (`--src-creds-secret`, `--dest-creds-secret`)
/// through the process's secret cache: a rotated secret is picked up when the cache refreshes.
struct SecretCredentials: CredentialProvider {
    let reference: SecretReference
    /// The option that named it, for messages.
    let option: String
    let cache: SecretCache

    func credentials(for registry: String) async throws -> Credentials? {
        let source = "\(option) \(reference)"
        let cached: SecretCache.Cached
        do {
            cached = try await cache.value(reference)
        } catch {
            throw CredentialsError(reason: "\(source): \(error)")
        }
        return try CredentialsDocument.credentials(from: cached.value, for: registry, source: source, expires: cached.expires)
    }
}
