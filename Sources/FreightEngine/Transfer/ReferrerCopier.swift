import FreightCore
import FreightRegistry

/// The artifacts that refer to a manifest (signatures, SBOMs, attestations) travel with it,
/// digests kept, recursively (a signature of an SBOM). They are found through the source's
/// OCI 1.1 referrers API where it has one, else the distribution spec's fallback tag
/// (`sha256-<hex>`, an index of the referrers), and cosign's tags (`sha256-<hex>.sig`, `.att`,
/// `.sbom`). A destination without the API gets the fallback index created or updated
/// read-modify-write (guarded with `If-Match`), merged with what is there, never dropping one.
///
/// On a registry without the API, a subject with no such tag in the repository's tag list
/// (listed once per repository per run) costs no request at all.
struct ReferrerCopier: Sendable {
    /// `--referrers-type`: only these artifact types (empty: every referrer).
    let types: Set<String>
    let sourceTags: SourceTagLists
    let fallbackLocks: KeyedMutex
    /// What earlier runs carried, and what this one learns.
    let memory: ReferrerMemory
    /// How deep referrers of referrers are followed.
    static let maximumDepth = 8

    struct Counts: Sendable {
        var copied = 0
        var skipped = 0
    }

    static let cosignSuffixes = ReferrerTags.cosignSuffixes
    static func fallbackTag(_ subject: Digest) -> String { ReferrerTags.fallbackTag(subject) }
    static func isReferrerTag(_ tag: String) -> Bool { ReferrerTags.isReferrerTag(tag) }

    /// Carries the referrers of `subjects` from `copier`'s source to its destination.
    func carry(_ subjects: [Digest], with copier: ImageCopier) async throws -> Counts {
        var counts = Counts()
        var visited = Set(subjects)
        try await carry(subjects, with: copier, depth: 0, visited: &visited, counts: &counts)
        return counts
    }

    /// Whether `subjects` could have referrers at all: the source has the API, or the
    /// repository holds fallback or cosign tags.
    func mayHaveReferrers(in source: any ImageRepository) async throws -> Bool {
        if try await source.keepsReferrers() { return true }
        return try await sourceTags.tags(of: source).contains(where: Self.isReferrerTag)
    }

    private func carry(_ subjects: [Digest], with copier: ImageCopier, depth: Int, visited: inout Set<Digest>,
                       counts: inout Counts) async throws {
        guard depth < Self.maximumDepth else { return }
        let source = copier.source, destination = copier.destination
        let pair = ReplicaRecord.key(source.path, destination.path)
        var next: [Digest] = []
        for subject in subjects {
            let tags = try await sourceTags.tags(of: source)
            let fallback = Self.fallbackTag(subject)
            let found = try await Self.listing(of: subject, in: source, tags: tags)
            let wanted = found.referrers.filter { types.isEmpty || types.contains($0.artifactType ?? "") }
            if !wanted.isEmpty {
                let fresh = wanted.filter { visited.insert($0.digest).inserted }
                // The same list carried in full before: what was carried is still there (digests
                // name it); only what the list names now is read, never the destination.
                if types.isEmpty, let digest = found.digest, await memory.carried(pair, tag: fallback, naming: digest) {
                    counts.skipped += fresh.count
                } else {
                    try await carry(fresh, of: subject, listed: wanted, verbatim: types.isEmpty ? found.fallback : nil,
                                    with: copier, counts: &counts)
                    if types.isEmpty, let digest = found.digest { await memory.remember(pair, tag: fallback, naming: digest) }
                }
                next += fresh.map(\.digest)
            }
            // cosign's own scheme: tags named after the subject, not referrers with a subject.
            for suffix in Self.cosignSuffixes where tags.contains(fallback + suffix) {
                let tag = fallback + suffix
                // Carried before: a HEAD at the source tells whether it moved (cosign adds
                // signatures to the one tag); else it is copied as any tag, both sides checked.
                if await memory.hasCarried(pair, tag: tag), let named = try await source.manifestDescriptor(tag)?.digest,
                   await memory.carried(pair, tag: tag, naming: named) {
                    counts.skipped += 1
                    continue
                }
                let outcome = await copier.copy(TagJob(source: tag, destination: tag), carryReferrers: false)
                try count(outcome, what: tag, into: &counts)
                if let named = outcome.sourceDigest { await memory.remember(pair, tag: tag, naming: named) }
            }
        }
        if !next.isEmpty { try await carry(next, with: copier, depth: depth + 1, visited: &visited, counts: &counts) }
    }

    /// Copies the referrers of `subject` the destination lacks, then (without its API) adds
    /// every one listed to its fallback index; `verbatim`, the source's own fallback index,
    /// is the one written where the destination has none (its digest kept).
    private func carry(_ fresh: [Descriptor], of subject: Digest, listed: [Descriptor], verbatim: ManifestDocument?,
                       with copier: ImageCopier, counts: inout Counts) async throws {
        let destination = copier.destination
        let keeps = try await destination.keepsReferrers()
        let tag = Self.fallbackTag(subject)
        let existing = keeps ? nil : try await Self.manifestIfPresent(tag, in: destination)
        let present: Set<Digest>
        if keeps {
            present = Set(try await destination.referrers(of: subject)?.map(\.digest) ?? [])
        } else {
            present = Set(try Self.fallbackIndex(existing, at: "\(destination.displayName):\(tag)")?.manifests.map(\.digest) ?? [])
        }
        for referrer in fresh {
            if present.contains(referrer.digest) {
                counts.skipped += 1
                continue
            }
            try count(await copier.copy(TagJob(source: referrer.digest.description, destination: nil), carryReferrers: false),
                      what: "referrer \(referrer.digest.short) of \(subject.short)", into: &counts)
        }
        if !keeps, !listed.allSatisfy({ present.contains($0.digest) }) {
            try await addToFallback(listed, subject: subject, in: destination, verbatim: verbatim)
        }
    }

    /// The referrers of `subject` at the source, from its API or its fallback tag (none when
    /// the tag list has no such tag), with a digest of the list.
    private static func listing(of subject: Digest, in source: any ImageRepository,
                                tags: Set<String>) async throws -> SourceListing {
        var listing = SourceListing()
        if let listed = try await source.referrers(of: subject) {
            listing.referrers = listed
        } else if tags.contains(fallbackTag(subject)) {
            let tag = fallbackTag(subject)
            let document = try await source.manifest(tag)
            listing.referrers = try fallbackIndex(document, at: "\(source.displayName):\(tag)")?.manifests ?? []
            listing.fallback = document
        } else {
            return listing
        }
        let listed = listing.referrers.map { "\($0.digest) \($0.artifactType ?? "")" }.sorted().joined(separator: "\n")
        listing.digest = Digest.sha256(of: Array(listed.utf8))
        return listing
    }

    /// The referrers of a subject at the source.
    struct SourceListing {
        var referrers: [Descriptor] = []
        /// A digest of the list (nil: the source has neither the API nor the fallback tag).
        var digest: Digest?
        /// The fallback index they were listed by, when they were.
        var fallback: ManifestDocument?
    }

    private static func fallbackIndex(_ document: ManifestDocument?, at place: String) throws -> ImageIndex? {
        guard let document else { return nil }
        guard case .index(let index) = document.content else {
            throw ManifestError(source: place, reason: "the referrers tag is not an index")
        }
        return index
    }

    private func count(_ outcome: ImageCopier.Outcome, what: String, into counts: inout Counts) throws {
        switch outcome.outcome {
        case .copied: counts.copied += 1
        case .skipped: counts.skipped += 1
        case .failed(let reason): throw ReferrerError(what: what, reason: reason)
        }
    }

    /// Adds `referrers` to the destination's fallback index of `subject`, keeping every entry
    /// already there; nothing is written when all are listed. Read and written under a lock
    /// (one writer per index in this process), the write guarded with `If-Match`, and read
    /// back: a registry that ignores `If-Match` may let another process's write replace ours,
    /// and then the merge is done again.
    private func addToFallback(_ referrers: [Descriptor], subject: Digest, in destination: any ImageRepository,
                               verbatim: ManifestDocument?) async throws {
        let tag = Self.fallbackTag(subject)
        let key = "\(destination.storeIdentity) \(destination.path):\(tag)"
        await fallbackLocks.lock(key)
        do {
            try await merge(referrers, into: tag, in: destination, verbatim: verbatim)
            await fallbackLocks.unlock(key)
        } catch {
            await fallbackLocks.unlock(key)
            throw error
        }
    }

    private func merge(_ referrers: [Descriptor], into tag: String, in destination: any ImageRepository,
                       verbatim: ManifestDocument?) async throws {
        let place = "\(destination.displayName):\(tag)"
        for _ in 1...Self.mergeAttempts {
            let existing = try await Self.manifestIfPresent(tag, in: destination)
            if existing == nil, let verbatim {
                try await destination.replaceManifest(verbatim, tag: tag, expected: nil)
                continue
            }
            var index = try Self.fallbackIndex(existing, at: place) ?? ImageIndex(mediaType: MediaType.ociIndex, manifests: [])
            let known = Set(index.manifests.map(\.digest))
            let missing = referrers.filter { !known.contains($0.digest) }
            guard !missing.isEmpty else { return }
            index.manifests += missing
            do {
                try await destination.replaceManifest(try ManifestDocument(encoding: .index(index)), tag: tag, expected: existing?.digest)
            } catch let error as RegistryError where error.status == 412 {
                // Another writer updated it between our read and our write: read again.
            }
        }
        throw ReferrerError(what: place, reason: "the referrers index kept changing under \(Self.mergeAttempts) attempts to add to it")
    }

    static let mergeAttempts = 5
}

/// What referrers earlier runs carried between this source and destination (trusted unless
/// `--verify`), and what this run learns, written to the replica record at its end.
actor ReferrerMemory {
    private let trusted: [String: [String: Digest]]
    private let knownChildren: [String: [Digest]]
    private var carried: [String: [String: Digest]] = [:]
    private var learned: [String: [Digest]] = [:]

    init(record: ReplicaRecord?, trusted: Bool) {
        self.trusted = trusted ? record?.referrers ?? [:] : [:]
        knownChildren = record?.children ?? [:]
    }

    /// Whether the referrers tag named `digest` when its referrers were last carried in full.
    func carried(_ pair: String, tag: String, naming digest: Digest) -> Bool {
        (carried[pair]?[tag] ?? trusted[pair]?[tag]) == digest
    }

    /// Whether the referrers tag was carried in full before, whatever it named.
    func hasCarried(_ pair: String, tag: String) -> Bool { (carried[pair]?[tag] ?? trusted[pair]?[tag]) != nil }

    func remember(_ pair: String, tag: String, naming digest: Digest) { carried[pair, default: [:]][tag] = digest }

    /// The children of a source index, when a run has read it.
    func children(of index: Digest) -> [Digest]? { learned[index.description] ?? knownChildren[index.description] }

    func remember(children: [Digest], of index: Digest) { learned[index.description] = children }

    /// What this run carried and learned, for the replica record.
    var memory: (referrers: [String: [String: Digest]], children: [String: [Digest]]) { (carried, learned) }
}

extension ReferrerCopier {
    /// The manifest a tag names, or nil when the store has no such tag (a registry's 404, a
    /// layout without the name).
    static func manifestIfPresent(_ tag: String, in repository: any ImageRepository) async throws -> ManifestDocument? {
        do {
            return try await repository.manifest(tag)
        } catch let error as RegistryError where error.isNotFound {
            return nil
        } catch {
            guard try await repository.manifestDescriptor(tag) != nil else { return nil }
            throw error
        }
    }
}

/// The tags referrers travel by in a registry without the referrers API.
public enum ReferrerTags {
    /// cosign's tags next to the fallback tag: signatures, attestations, SBOMs.
    public static let cosignSuffixes = [".sig", ".att", ".sbom"]

    /// The fallback tag of a subject (the distribution spec's referrers tag schema).
    public static func fallbackTag(_ subject: Digest) -> String { "\(subject.algorithm.rawValue)-\(subject.hex)" }

    /// Whether a tag is one referrers travel by (so a copy of every tag leaves it to its subject).
    public static func isReferrerTag(_ tag: String) -> Bool {
        guard tag.hasPrefix("sha256-") else { return false }
        var rest = tag.dropFirst("sha256-".count)
        for suffix in cosignSuffixes where rest.hasSuffix(suffix) { rest = rest.dropLast(suffix.count) }
        return rest.utf8.count == 64 && rest.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// A referrer that could not be carried: the tag it belongs to fails with this.
struct ReferrerError: Error, CustomStringConvertible {
    let what: String
    let reason: String
    var description: String { "\(what): \(reason)" }
}

/// Each source repository's tags, listed once per run (or taken from the plan's listing, keyed
/// `STORE-IDENTITY PATH`).
actor SourceTagLists {
    private var lists: [String: Task<Set<String>, any Error>] = [:]

    init(known: [String: [String]] = [:]) {
        for (path, tags) in known { lists[path] = Task { Set(tags) } }
    }

    func tags(of repository: any ImageRepository) async throws -> Set<String> {
        let key = "\(repository.storeIdentity) \(repository.path)"
        if let task = lists[key] { return try await task.value }
        let task = Task { Set(try await repository.tags()) }
        lists[key] = task
        return try await task.value
    }
}

/// One holder at a time per key (a fallback index's read-modify-write).
actor KeyedMutex {
    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func lock(_ key: String) async {
        while held.contains(key) { await withCheckedContinuation { waiters[key, default: []].append($0) } }
        held.insert(key)
    }

    func unlock(_ key: String) {
        held.remove(key)
        for waiter in waiters.removeValue(forKey: key) ?? [] { waiter.resume() }
    }
}
