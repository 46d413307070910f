import FreightCore

/// Which repositories of one destination store hold which blobs, and which blobs are moving
/// right now. It lets a blob be mounted from a sibling repository instead of uploaded again,
/// and makes sure one blob is moved at most once at a time per destination store.
actor BlobLocations {
    enum Claim {
        /// The repository is known to hold the blob.
        case present
        /// Another task is moving this blob; wait, then ask again.
        case wait(OneShot)
        /// The caller now moves it; other tasks wait until `finish`.
        case claimed(holder: String?)
    }

    private var holders: [Digest: Set<String>] = [:]
    /// Repositories an earlier session placed blobs in: worth a mount, not trusted as present.
    private var hints: [Digest: String] = [:]
    private var moving: [Digest: OneShot] = [:]

    func claim(_ digest: Digest, for repository: String) -> Claim {
        if holders[digest]?.contains(repository) == true { return .present }
        if let signal = moving[digest] { return .wait(signal) }
        moving[digest] = OneShot()
        return .claimed(holder: holders[digest]?.first ?? hints[digest])
    }

    /// Records that `repository` held these blobs when an earlier session finished with them.
    func hint(_ digests: [Digest], in repository: String) {
        for digest in digests where hints[digest] == nil { hints[digest] = repository }
    }

    /// Ends a claim; on success the repository is recorded as holding the blob.
    func finish(_ digest: Digest, for repository: String, success: Bool) {
        if success { holders[digest, default: []].insert(repository) }
        moving.removeValue(forKey: digest)?.signal()
    }

    /// Records a holder found without a claim (e.g. from a checkpoint).
    func record(_ digest: Digest, in repository: String) {
        holders[digest, default: []].insert(repository)
    }

    var count: Int { holders.count }
}
