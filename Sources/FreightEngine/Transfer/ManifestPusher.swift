import FreightCore
import FreightRegistry

/// Pushes an image's manifests into one destination repository: children first, each at most
/// once per run and repository, then the top manifest under its tag, under `ManifestLocks` so
/// that no PUT of an index is verified while a manifest it names is being written.
///
/// An index the registry still refuses for a missing child (`MANIFEST_BLOB_UNKNOWN`: another
/// client wrote that child at the wrong moment, or it went away) is retried a bounded number
/// of times, each after confirming its children again and pushing any that is really missing.
struct ManifestPusher: Sendable {
    let locks: ManifestLocks
    /// Attempts at one manifest PUT that the registry refuses for a missing child.
    var attempts = 3

    /// Stores `children` (in push order: every child before the index naming it) by digest,
    /// then `top` under `tag` (by digest only when nil).
    func push(_ children: [ManifestDocument], top: ManifestDocument, tag: String?, to destination: any ImageRepository) async throws {
        let known = Dictionary(children.map { ($0.digest, $0) }) { first, _ in first }
        for child in children {
            try await store(child, tag: nil, in: destination, known: known)
        }
        try await store(top, tag: tag, in: destination, known: known)
    }

    /// PUTs `document` unless it goes by digest only and is already stored by this run.
    private func store(_ document: ManifestDocument, tag: String?, in destination: any ImageRepository,
                       known: [Digest: ManifestDocument]) async throws {
        let repository = destination.path
        let children = Self.children(of: document)
        var attempt = 1
        while true {
            if tag == nil, await locks.isStored(document.digest, in: repository) { return }
            do {
                try await locked(writing: document.digest, reading: children, in: repository) {
                    // Checked again under the lock: a concurrent pusher of the same child may
                    // have finished while this one waited.
                    if tag == nil, await locks.isStored(document.digest, in: repository) { return }
                    try await destination.putManifest(document, tag: tag)
                    await locks.markStored(document.digest, in: repository)
                }
                return
            } catch let error as RegistryError where error.isManifestBlobUnknown && !children.isEmpty {
                let named = error.unknownReferences.filter(children.contains)
                let suspects = named.isEmpty ? children : named
                guard attempt < attempts else {
                    throw MissingChildError(operation: error.operation, children: suspects, attempts: attempt, registryError: error)
                }
                // Another client may be rewriting the child right now: give it a moment.
                try await Task.sleep(for: .milliseconds(50 * attempt))
                attempt += 1
                for digest in suspects {
                    let present = try await locked(writing: nil, reading: [digest], in: repository) {
                        try await destination.manifestDescriptor(digest.description) != nil
                    }
                    guard !present else { continue }
                    await locks.forget(digest, in: repository)
                    if let child = known[digest] { try await store(child, tag: nil, in: destination, known: known) }
                }
            }
        }
    }

    private func locked<T: Sendable>(writing written: Digest?, reading read: [Digest], in repository: String,
                                     _ body: () async throws -> T) async throws -> T {
        await locks.lock(writing: written, reading: read, in: repository)
        do {
            let value = try await body()
            await locks.unlock(writing: written, reading: read, in: repository)
            return value
        } catch {
            await locks.unlock(writing: written, reading: read, in: repository)
            throw error
        }
    }

    /// The manifests a registry must find before it accepts `document`: an index's entries.
    static func children(of document: ManifestDocument) -> [Digest] {
        guard case .index(let index) = document.content else { return [] }
        var seen: Set<Digest> = []
        return index.manifests.map(\.digest).filter { seen.insert($0).inserted }
    }
}

/// An index the registry kept refusing because it does not find children it names, although
/// they were pushed (or found present) before every attempt.
struct MissingChildError: Error, CustomStringConvertible {
    let operation: String
    let children: [Digest]
    let attempts: Int
    let registryError: RegistryError

    var description: String {
        let names = children.map(\.description).joined(separator: ", ")
        let noun = children.count == 1 ? "child manifest" : "child manifests"
        return "\(operation): the registry does not find \(noun) \(names) that the index names, though each was pushed "
            + "or found present before every attempt (HTTP \(registryError.status) MANIFEST_BLOB_UNKNOWN, \(attempts) attempts)"
    }
}
