import Foundation
import FreightCore
import FreightRegistry

/// Copies one image (a manifest, or an index with all its platforms) between two repositories,
/// preserving every digest: blobs the destination lacks are moved, then manifests are pushed
/// children first and the tag last, so a tag never points at something incomplete.
struct ImageCopier: Sendable {
    let source: any ImageRepository
    let destination: any ImageRepository
    /// The name events use for this repository.
    let repositoryName: String
    let mover: BlobMover
    /// The destination's tags as far as this run knows them.
    let cache: DestinationCache
    /// Pushes manifests into the destination store, each once, never racing a parent's PUT.
    let manifests: ManifestPusher
    /// Set when layers are to be recompressed (never in a dry run: that would write).
    let compressor: LayerCompressor?
    /// How destination manifests differ from the source's (`--compress`, `--format`, `--platform`).
    let rewrite: RewriteSettings
    /// Which source manifests became which destination manifests under `rewrite`.
    let mappings: ManifestMappings
    /// `--immutable-tags` with the replica record; nil with `--verify` or without the option.
    let immutable: ImmutableTags?
    /// Carries referrers (signatures, SBOMs) along; nil with `--no-referrers`.
    let referrers: ReferrerCopier?
    let events: EventBus
    /// Things said once per run (hints), whichever tag notices them first.
    let notices: Notices
    let force: Bool
    let dryRun: Bool

    private var format: ManifestFormat? { rewrite.format }

    /// Copies `job`, and with `carryReferrers` the artifacts that refer to what it copied;
    /// never throws: a failure is an outcome, and the run goes on.
    func copy(_ job: TagJob, carryReferrers: Bool = true) async -> Outcome {
        let progress = Locked(Outcome(outcome: .failed(reason: "not started"), stats: TagStats()))
        do {
            let outcome = try await copyThrowing(job, into: progress)
            progress.withLock { $0.outcome = outcome }
            if carryReferrers, referrers != nil, !rewrite.isIdentity, notices.first("referrers of rewritten images") {
                events.emit(.warning("referrers (signatures, SBOMs) are not copied with --compress, --format or --platform: "
                    + "they name the source's digests, which the rewritten images no longer have"))
            }
            if carryReferrers, let referrers, rewrite.isIdentity, !dryRun {
                let counts = try await referrers.carry(try await subjects(of: outcome, record: progress.value, referrers: referrers), with: self)
                progress.withLock { record in
                    record.stats.referrersCopied = (record.stats.referrersCopied ?? 0) + counts.copied
                    record.stats.referrersSkipped = (record.stats.referrersSkipped ?? 0) + counts.skipped
                }
            }
            return progress.value
        } catch is CancellationError {
            return progress.withLock { $0.outcome = .failed(reason: "cancelled"); return $0 }
        } catch let limit as PullLimitReached {
            return progress.withLock { $0.outcome = .failed(reason: "\(limit)"); $0.deferred = "\(limit)"; return $0 }
        } catch {
            return progress.withLock { $0.outcome = .failed(reason: "\(error)"); return $0 }
        }
    }

    private func copyThrowing(_ job: TagJob, into record: Locked<Outcome>) async throws -> TagOutcome {
        // An immutable tag replicated before and still listed at the destination is current,
        // without a request of its own.
        if !force, let tag = job.destination, tag == job.source,
           let entry = immutable?.entry(source: source.path, destination: destination.path, tag: tag),
           await cache.lists(tag, in: destination) {
            record.withLock { $0.sourceDigest = entry.source }
            return .skipped(digest: entry.destination)
        }
        let root: ManifestDocument
        var existing: Descriptor?
        if !force, let tag = job.destination, !(await cache.mayHave(tag, in: destination)) {
            // The destination's tag list lacks it: nothing to compare, so read the source manifest
            // straight away (its digest comes with it) instead of a HEAD first.
            root = try await sourceManifest(job.source)
            record.withLock { $0.sourceDigest = root.digest }
        } else {
            switch try await compareWithDestination(job, record: record) {
            case .upToDate(let destinationDigest):
                return .skipped(digest: destinationDigest)
            case .copy(let sourceDigest, let fetched, let there):
                if let fetched { root = fetched } else { root = try await sourceManifest(sourceDigest.description) }
                existing = there
            }
        }
        if let reason = try await platformMismatch(root, job: job) {
            events.emit(.warning(reason))
            return .skipped(digest: root.digest)
        }
        let graph = try await ManifestGraph.load(root: root, from: source, platforms: rewrite.platforms)
        if format != nil || !rewrite.platforms.isEmpty {
            // Rewritten before a byte moves: what cannot be converted fails here, and a
            // destination that already holds the result is current.
            let planned = try ManifestRewrite(format: format, platforms: rewrite.platforms)
                .apply(to: graph, root: root, source: "\(source.displayName):\(job.source)")
            if let existing, existing.digest == planned.top.digest, !rewrite.compression.isEnabled {
                await mappings.record(root.digest, fingerprint: rewrite.fingerprint, destination: existing.digest)
                return .skipped(digest: existing.digest)
            }
        }

        let destinationIsNew = await cache.isNew(destination)
        let total = graph.blobs.reduce(Int64(0)) { $0 + $1.size }
        let progress = ProgressReporter(events: events, repository: repositoryName, tag: job.label, total: total)
        let replacements = Locked<[Digest: Descriptor]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for blob in graph.blobs {
                group.addTask {
                    if let compressor, compressor.isCandidate(blob) {
                        let result = try await compressor.transfer(blob, from: source, to: destination) { progress.add($0, sent: $1) }
                        replacements.withLock { $0[blob.digest] = result.descriptor }
                        record.withLock { record in
                            record.stats.count(result.transfer, size: 0)
                            record.stats.bytes += result.uploadedBytes
                            if let learned = result.learned { record.rewrites.append(learned) }
                            // Counted once per layer the run uploaded, like blobs: what the
                            // destination now stores.
                            if result.transfer == .uploaded {
                                if result.compression.compressed != nil {
                                    record.stats.compressedLayers += 1
                                    record.stats.originalBytes += blob.size
                                    record.stats.compressedBytes += result.descriptor.size
                                    record.stats.compressionSeconds = (record.stats.compressionSeconds ?? 0) + result.compression.seconds
                                } else {
                                    record.stats.keptLayers += 1
                                }
                            }
                        }
                        events.emit(.layerCompressed(repository: repositoryName, result.compression))
                        events.emit(.blobFinished(repository: repositoryName, digest: result.descriptor.digest,
                                                  size: result.descriptor.size, transfer: result.transfer))
                    } else {
                        let kind = try await mover.move(blob, from: source, to: destination, destinationIsNew: destinationIsNew) {
                            progress.add($0, sent: $0)
                        }
                        record.withLock { $0.stats.count(kind, size: blob.size) }
                        if kind != .uploaded { progress.add(blob.size, sent: 0) }
                        events.emit(.blobFinished(repository: repositoryName, digest: blob.digest, size: blob.size, transfer: kind))
                    }
                }
            }
            try await group.waitForAll()
        }
        progress.finish()

        // Manifests change only where a layer did; an untouched manifest keeps its exact bytes.
        let layers = replacements.value
        if !dryRun {
            let placed = graph.blobs.map { layers[$0.digest]?.digest ?? $0.digest }
            record.withLock { $0.blobs = placed }
        }
        let (children, top) = try ManifestRewrite(layers: layers, format: format, platforms: rewrite.platforms)
            .apply(to: graph, root: root, source: "\(source.displayName):\(job.source)")
        if !dryRun {
            try await manifests.push(children, top: top, tag: job.destination, to: destination)
            if let tag = job.destination { await cache.pushed(tag, in: destination.path) }
            if format == nil, destination is OCILayoutRepository,
               ([top] + children).contains(where: { $0.mediaType == MediaType.dockerManifest || $0.mediaType == MediaType.dockerManifestList }),
               notices.first("docker types into \(destination.storeIdentity)") {
                events.emit(.warning("\(destination.displayName) now holds Docker media types as the source had them; skopeo and umoci "
                    + "read only OCI ones from a layout: copy with --format oci to convert (digests change)"))
            }
        }
        if !rewrite.isIdentity, !dryRun {
            await mappings.record(root.digest, fingerprint: rewrite.fingerprint, destination: top.digest)
        }
        record.withLock { $0.subjects = [top.digest] + children.map(\.digest) }
        return .copied(bytes: record.withLock { $0.stats.bytes }, digest: top.digest)
    }

    /// The manifests whose referrers go along: those copied, or for a tag found current, its
    /// manifest and, for an index, its children (as a run once read them, else read now, only
    /// where referrers may exist).
    private func subjects(of outcome: TagOutcome, record: Outcome, referrers: ReferrerCopier) async throws -> [Digest] {
        if let subjects = record.subjects {
            if let root = subjects.first { await referrers.memory.remember(children: Array(subjects.dropFirst()), of: root) }
            return subjects
        }
        guard case .skipped(let digest) = outcome else { return [] }
        if let children = await referrers.memory.children(of: digest) { return [digest] + children }
        guard try await referrers.mayHaveReferrers(in: source) else { return [] }
        guard record.sourceMediaType.map(MediaType.isIndex) ?? true,
              case .index(let index) = try await source.manifest(digest.description).content else {
            await referrers.memory.remember(children: [], of: digest)
            return [digest]
        }
        await referrers.memory.remember(children: index.manifests.map(\.digest), of: digest)
        return [digest] + index.manifests.map(\.digest)
    }

    /// Why `root` is not copied under `--platform`, when it is not: an image of another
    /// platform (read from its config), or an index with no image of a kept platform.
    private func platformMismatch(_ root: ManifestDocument, job: TagJob) async throws -> String? {
        let selectors = rewrite.platforms
        guard !selectors.isEmpty else { return nil }
        let wanted = selectors.map(\.description).joined(separator: ", ")
        switch root.content {
        case .image(let manifest):
            guard let platform = try await ImageConfig.platform(of: manifest, in: source) else { return nil }
            guard !selectors.contains(where: { $0.matches(platform) }) else { return nil }
            return "\(repositoryName):\(job.label) skipped: it is an image for \(platform), and --platform keeps \(wanted)"
        case .index(let index):
            let kept = PlatformSelector.select(index.manifests, keeping: selectors)
            guard kept.isEmpty else { return nil }
            let platforms = index.manifests.compactMap { $0.platform?.description }
            return "\(repositoryName):\(job.label) skipped: its index holds \(platforms.isEmpty ? "no platforms" : platforms.joined(separator: ", ")), "
                + "and --platform keeps \(wanted)"
        }
    }

    /// HEADs the source and the destination (setting `record.sourceDigest`). The two lookups
    /// are independent when the destination tag is known, so they go out together: an
    /// up-to-date tag costs one round trip, not two.
    private func compareWithDestination(_ job: TagJob, record: Locked<Outcome>) async throws -> Comparison {
        async let existingByTag = destinationByTag(job)
        guard let sourceDescriptor = try await source.manifestDescriptor(job.source) else { throw notFound(job.source) }
        record.withLock {
            $0.sourceDigest = sourceDescriptor.digest
            $0.sourceMediaType = sourceDescriptor.mediaType
        }
        let existing: Descriptor?
        if job.destination != nil {
            existing = try await existingByTag
        } else {
            existing = force ? nil : try await destination.manifestDescriptor(sourceDescriptor.digest.description)
        }
        guard let existing else { return .copy(sourceDescriptor.digest, nil, existing: nil) }
        // The very bytes of the source are current, unless a --format asks for another family or
        // a --platform for fewer children.
        if existing.digest == sourceDescriptor.digest, format?.holds(sourceDescriptor.mediaType) ?? true,
           rewrite.platforms.isEmpty || !MediaType.isIndex(sourceDescriptor.mediaType) {
            return .upToDate(existing.digest)
        }
        guard !rewrite.isIdentity else { return .copy(sourceDescriptor.digest, nil, existing: existing) }
        if let rewritten = await mappings.destination(of: sourceDescriptor.digest, fingerprint: rewrite.fingerprint) {
            return existing.digest == rewritten ? .upToDate(existing.digest) : .copy(sourceDescriptor.digest, nil, existing: existing)
        }
        guard compressor != nil, rewrite.platforms.isEmpty else { return .copy(sourceDescriptor.digest, nil, existing: existing) }
        // Nothing remembers this source manifest being rewritten (a copy keeps no checkpoint; a
        // sync may use a new directory): look whether the destination holds it recompressed.
        let theirs = try await sourceManifest(sourceDescriptor.digest.description)
        guard try await holdsRecompressed(existing, of: theirs) else { return .copy(sourceDescriptor.digest, theirs, existing: existing) }
        await mappings.record(theirs.digest, fingerprint: rewrite.fingerprint, destination: existing.digest)
        return .upToDate(existing.digest)
    }

    /// Whether the destination's manifest `existing` is `theirs` (converted to `format`, if
    /// one is set) with its uncompressed layers recompressed (see `RecompressedMatch`); for an
    /// index, child by child.
    private func holdsRecompressed(_ existing: Descriptor, of theirs: ManifestDocument) async throws -> Bool {
        let ours = try await destination.manifest(existing.digest.description)
        let name = "\(source.displayName)@\(theirs.digest)"
        func converted(_ image: ImageManifest) throws -> ImageManifest {
            guard let format else { return image }
            return try FormatConversion.image(image, to: format, source: name)
        }
        switch (ours.content, theirs.content) {
        case (.image(let destinationImage), .image(let sourceImage)):
            return RecompressedMatch.image(destinationImage, isRecompressed: try converted(sourceImage))
        case (.index(let destinationIndex), .index(let sourceIndex)):
            let wanted = try format.map { try FormatConversion.index(sourceIndex, to: $0, source: name) } ?? sourceIndex
            guard let pairs = RecompressedMatch.differingChildren(destinationIndex, wanted) else { return false }
            for pair in pairs {
                guard case .image(let destinationImage) = try await destination.manifest(pair.destination.digest.description).content,
                      case .image(let sourceImage) = try await source.manifest(pair.source.digest.description).content else { return false }
                let expected = try converted(sourceImage)
                // Converted, a child with nothing to recompress differs from the source only by its types.
                guard destinationImage == expected || RecompressedMatch.image(destinationImage, isRecompressed: expected) else { return false }
            }
            return true
        default:
            return false
        }
    }

    /// The source manifest a tag or digest names; a missing one says so plainly.
    private func sourceManifest(_ reference: String) async throws -> ManifestDocument {
        do {
            return try await source.manifest(reference)
        } catch let error as RegistryError where error.isNotFound {
            throw notFound(reference)
        }
    }

    private func notFound(_ reference: String) -> RegistryError {
        RegistryError(status: 404, code: "MANIFEST_UNKNOWN", message: "not found at the source", operation: "\(source.displayName):\(reference)")
    }

    /// What the destination has under the job's tag; nil when it has nothing there, the job has
    /// no tag, or `--force` copies regardless.
    private func destinationByTag(_ job: TagJob) async throws -> Descriptor? {
        guard !force, let tag = job.destination, await cache.mayHave(tag, in: destination) else { return nil }
        return try await destination.manifestDescriptor(tag)
    }
}
