import FreightCore

/// Which manifests this run stored in each repository of one destination store, and which are
/// being written or read by a write right now.
///
/// A registry may write a manifest's revision link non-atomically: distribution 2.8 truncates
/// and rewrites a file, so an index PUT that lands while one of its children is being PUT
/// again finds that child missing (`MANIFEST_BLOB_UNKNOWN`). So a manifest is written by one
/// request at a time per repository, never while a PUT of an index naming it is verified, and
/// never by digest again once this run stored it. A lock covers a manifest being written and
/// the children its PUT makes the registry read; both are taken at once or not at all, so two
/// PUTs can never each hold what the other waits for.
actor ManifestLocks {
    private struct Key: Hashable {
        let repository: String
        let digest: Digest
    }

    private var stored: Set<Key> = []
    private var writing: Set<Key> = []
    private var reading: [Key: Int] = [:]
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Whether this run stored (or confirmed) `digest` in `repository`.
    func isStored(_ digest: Digest, in repository: String) -> Bool {
        stored.contains(Key(repository: repository, digest: digest))
    }

    func markStored(_ digest: Digest, in repository: String) {
        stored.insert(Key(repository: repository, digest: digest))
    }

    /// Forgets that `digest` is stored, after the registry said it does not have it.
    func forget(_ digest: Digest, in repository: String) {
        stored.remove(Key(repository: repository, digest: digest))
    }

    /// Waits until `written` (if any) may be written and `read` may be read in `repository`,
    /// then holds both until `unlock` with the same arguments.
    func lock(writing written: Digest?, reading read: [Digest], in repository: String) async {
        while !isFree(writing: written, reading: read, in: repository) {
            await withCheckedContinuation { waiters.append($0) }
        }
        if let written { writing.insert(Key(repository: repository, digest: written)) }
        for digest in read { reading[Key(repository: repository, digest: digest), default: 0] += 1 }
    }

    func unlock(writing written: Digest?, reading read: [Digest], in repository: String) {
        if let written { writing.remove(Key(repository: repository, digest: written)) }
        for digest in read {
            let key = Key(repository: repository, digest: digest)
            if let count = reading[key], count > 1 { reading[key] = count - 1 } else { reading.removeValue(forKey: key) }
        }
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }

    /// A write excludes every other use of that manifest; reads share with reads.
    private func isFree(writing written: Digest?, reading read: [Digest], in repository: String) -> Bool {
        if let written {
            let key = Key(repository: repository, digest: written)
            if writing.contains(key) || reading[key] != nil { return false }
        }
        return read.allSatisfy { !writing.contains(Key(repository: repository, digest: $0)) }
    }
}
