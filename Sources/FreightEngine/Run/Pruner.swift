import FreightCore
import FreightRegistry

/// Where a prune finds the destination's repositories: for `--prune-repos`, every repository
/// under the prefix (relative name and full path), and a repository by its path.
public struct PruneScope: Sendable {
    public let destinationCatalog: @Sendable () async throws -> [(name: String, path: String)]
    public let destinationRepository: @Sendable (String) throws -> any ImageRepository

    public init(destinationCatalog: @escaping @Sendable () async throws -> [(name: String, path: String)],
                destinationRepository: @escaping @Sendable (String) throws -> any ImageRepository) {
        self.destinationCatalog = destinationCatalog
        self.destinationRepository = destinationRepository
    }
}

/// `sync --prune`: once every tag of the run succeeded, deletes at the destination the tags (and
/// with `--prune-repos`, the repositories' tags) the source no longer lists. Safe by
/// construction: nothing when the source listing was not whole, nothing when more than
/// `--prune-max` would go, every deletion planned and saved in the checkpoint before the first
/// one, and each one saved as it is done, so a resume neither repeats nor forgets one.
struct Pruner: Sendable {
    /// Every repository of the run (the ledger's order); only those of `job` are pruned.
    let jobs: [RepositoryJob]
    /// The job whose prune this is (0 in a run of one job).
    let job: Int
    let ledger: RunLedger
    let scope: PruneScope
    let events: EventBus
    let control: RunControl
    let dryRun: Bool

    func run() async throws {
        guard var prune = ledger.current.prunes[job] else { return }
        if !prune.planned {
            let (entries, refusal) = await plan(prune)
            prune.planned = true
            prune.entries = refusal == nil ? entries : []
            prune.refusal = refusal
            try await ledger.updatePrune(prune, job: job)
            if let refusal { events.emit(.warning(refusal)) }
        }
        guard prune.refusal == nil else { return }
        if dryRun {
            for entry in prune.entries { events.emit(.tagPruned(repository: entry.name, tag: entry.tag, dryRun: true)) }
            return
        }
        var deletion = DeletionState()
        for index in prune.entries.indices where prune.entries[index].state == .pending {
            guard !control.isStopping else { return }
            let entry = prune.entries[index]
            switch await delete(entry, state: &deletion, planned: prune.entries) {
            case .deleted(let alsoGone):
                let gone = prune.entries.indices.filter { other in
                    prune.entries[other].state == .pending
                        && (other == index || (prune.entries[other].repository == entry.repository && alsoGone.contains(prune.entries[other].tag)))
                }
                for other in gone { prune.entries[other].state = .deleted }
                try await ledger.updatePrune(prune, job: job)
                for other in gone { events.emit(.tagPruned(repository: prune.entries[other].name, tag: prune.entries[other].tag, dryRun: false)) }
            case .failed(let reason):
                prune.entries[index].state = .failed
                prune.entries[index].error = reason
                try await ledger.updatePrune(prune, job: job)
                events.emit(.warning("\(entry.name):\(entry.tag) was not pruned: \(reason)"))
            case .refused(let reason):
                prune.refusal = reason
                for other in prune.entries.indices where prune.entries[other].state == .pending {
                    prune.entries[other].state = .failed
                    prune.entries[other].error = "not pruned: the registry refuses deletes"
                }
                try await ledger.updatePrune(prune, job: job)
                events.emit(.warning(reason))
                return
            }
        }
    }

    // MARK: Planning

    /// The deletions, or why there are none.
    private func plan(_ prune: PruneRecord) async -> ([PruneRecord.Entry], String?) {
        if !prune.incomplete.isEmpty {
            return ([], "nothing is pruned: the source listing was not whole (\(prune.incomplete.joined(separator: ", ")) "
                        + "vanished while it was listed)")
        }
        var entries: [PruneRecord.Entry] = []
        let record = ledger.current
        for (index, job) in jobs.enumerated() where record.job(of: record.repositories[index]) == self.job {
            guard let sourceTags = record.repositories[index].sourceTags else {
                return ([], "nothing is pruned: the run holds no source listing of \(job.source.displayName)")
            }
            do {
                entries += try await vanished(in: job.destination, name: job.name, keeping: Set(sourceTags))
            } catch {
                return ([], "nothing is pruned: listing \(job.destination.displayName) failed: \(error)")
            }
        }
        for listed in prune.unplanned {
            do {
                entries += try await vanished(in: try scope.destinationRepository(listed.destination), name: listed.name,
                                              keeping: Set(listed.sourceTags))
            } catch {
                return ([], "nothing is pruned: listing \(listed.destination) at the destination failed: \(error)")
            }
        }
        if prune.repositories {
            guard let sourceRepositories = prune.sourceRepositories else {
                return ([], "nothing is pruned: --prune-repos needs the source's catalog, and the repositories were named with --repo")
            }
            // Repositories other jobs of the run write are theirs, not vanished ones.
            let known = Set(sourceRepositories), planned = Set(jobs.map(\.destination.path) + prune.unplanned.map(\.destination))
            do {
                for (name, path) in try await scope.destinationCatalog() where !known.contains(name) && !planned.contains(path) {
                    entries += try await vanished(in: try scope.destinationRepository(path), name: name, keeping: [])
                }
            } catch {
                return ([], "nothing is pruned: listing the destination's repositories failed: \(error)")
            }
        }
        if entries.count > prune.maximum {
            return ([], "nothing is pruned: \(entries.count) tags would be deleted, more than --prune-max \(prune.maximum); "
                        + "pass --prune-max \(entries.count) (or more) to allow it")
        }
        return (entries, nil)
    }

    /// The tags of `repository` not in `keeping`, with the manifest each names now. Referrers
    /// tags are never among them: a fallback index may list referrers only the destination has.
    private func vanished(in repository: any ImageRepository, name: String, keeping: Set<String>) async throws -> [PruneRecord.Entry] {
        let tags: [String]
        do {
            tags = try await repository.tags()
        } catch let error as RegistryError where error.isNotFound {
            return []
        }
        var entries: [PruneRecord.Entry] = []
        for tag in tags.sorted() where !keeping.contains(tag) && !ReferrerTags.isReferrerTag(tag) {
            entries.append(PruneRecord.Entry(repository: repository.path, name: name, tag: tag,
                                             digest: try await repository.manifestDescriptor(tag)?.digest))
        }
        return entries
    }

    // MARK: Deleting

    private enum Deletion {
        /// Gone, with the other tags of the repository that named the same manifest.
        case deleted(alsoGone: Set<String>)
        case failed(String)
        /// The registry deletes nothing: stop, and say so once.
        case refused(String)
    }

    /// What deleting learned on the way: whether the registry deletes by tag at all, and the
    /// manifests of each repository's tags that stay.
    private struct DeletionState {
        var byTag = true
        var keptDigests: [String: [Digest: String]] = [:]
    }

    /// Deletes one tag: by tag where the registry can, else (distribution 2.8 deletes manifests,
    /// not tags) by digest, unless a tag that stays names the same manifest.
    private func delete(_ entry: PruneRecord.Entry, state: inout DeletionState, planned: [PruneRecord.Entry]) async -> Deletion {
        do {
            let repository = try scope.destinationRepository(entry.repository)
            if state.byTag {
                do {
                    try await repository.deleteManifest(entry.tag)
                    return .deleted(alsoGone: [])
                } catch let error as RegistryError where Self.refusesDeletes(error) {
                    return .refused(Self.refusal(error))
                } catch let error as RegistryError where error.status == 400 || error.status == 404 {
                    // No deleting by tag here (asked once): delete manifests, where nothing kept shares them.
                    state.byTag = false
                }
            }
            guard let digest = entry.digest else { return .deleted(alsoGone: []) }
            if state.keptDigests[entry.repository] == nil {
                let pruned = Set(planned.filter { $0.repository == entry.repository }.map(\.tag))
                var kept: [Digest: String] = [:]
                for tag in try await repository.tags() where !pruned.contains(tag) {
                    if let found = try await repository.manifestDescriptor(tag)?.digest { kept[found] = tag }
                }
                state.keptDigests[entry.repository] = kept
            }
            if let keeper = state.keptDigests[entry.repository]?[digest] {
                return .failed("tag \(keeper), which stays, names the same manifest \(digest.short), and this registry deletes "
                               + "manifests, not tags")
            }
            do {
                try await repository.deleteManifest(digest.description)
            } catch let error as RegistryError where error.isNotFound {
                // Gone already (a session killed after its deletion, before saving it).
            } catch let error as RegistryError where Self.refusesDeletes(error) {
                return .refused(Self.refusal(error))
            }
            let sharing = planned.filter { $0.repository == entry.repository && $0.digest == digest }.map(\.tag)
            return .deleted(alsoGone: Set(sharing))
        } catch {
            return .failed("\(error)")
        }
    }

    static func refusesDeletes(_ error: RegistryError) -> Bool {
        error.status == 405 || error.code == "UNSUPPORTED"
    }

    static func refusal(_ error: RegistryError) -> String {
        "the destination refuses deletes (\(error)): nothing more is pruned; allow deletes there "
            + "(distribution: storage.delete.enabled) or leave out --prune"
    }
}
