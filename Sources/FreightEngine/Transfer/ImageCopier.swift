import Foundation
import FreightCore
import FreightRegistry

/// Copies one image (a manifest, or an index with all its platforms) between two repositories,
/// preserving every digest: blobs the destination lacks are moved, then manifests are pushed
/// children first and the tag last, so a tag never points at something incomplete.
struct ImageCopier: Sendable {
    /// What copying a tag did and learned.
    struct Outcome: Sendable {
        var outcome: TagOutcome
        var stats: TagStats
        /// The source manifest's digest, when it was reached.
        var sourceDigest: Digest?
        /// Layer rewrites this copy learned, for the checkpoint.
        var rewrites: [LayerRewrite] = []
        /// The blobs the destination holds for the image once copied (nothing in a dry run).
        var blobs: [Digest] = []
    }

    let source: any ImageRepository
    let destination: any ImageRepository
    /// The name events use for this repository.
    let repositoryName: String
    let mover: BlobMover
    /// The destination's tags and manifests as far as this run knows them.
    let cache: DestinationCache
    /// Set when layers are to be recompressed (never in a dry run: that would write).
    let compressor: LayerCompressor?
    let events: EventBus
    let force: Bool
    let dryRun: Bool

    /// Copies `job`; never throws: a failure is an outcome, and the run goes on.
    func copy(_ job: TagJob) async -> Outcome {
        let progress = Locked(Outcome(outcome: .failed(reason: "not started"), stats: TagStats()))
        do {
            let outcome = try await copyThrowing(job, into: progress)
            return progress.withLock { $0.outcome = outcome; return $0 }
        } catch is CancellationError {
            return progress.withLock { $0.outcome = .failed(reason: "cancelled"); return $0 }
        } catch {
            return progress.withLock { $0.outcome = .failed(reason: "\(error)"); return $0 }
        }
    }

    private func copyThrowing(_ job: TagJob, into record: Locked<Outcome>) async throws -> TagOutcome {
        let root: ManifestDocument
        if !force, let tag = job.destination, !(await cache.mayHave(tag, in: destination)) {
            // The destination's tag list lacks it: nothing to compare, so read the source manifest
            // straight away (its digest comes with it) instead of a HEAD first.
            root = try await sourceManifest(job.source)
            record.withLock { $0.sourceDigest = root.digest }
        } else {
            switch try await compareWithDestination(job, record: record) {
            case .upToDate(let destinationDigest):
                return .skipped(digest: destinationDigest)
            case .copy(let sourceDigest, let fetched):
                if let fetched { root = fetched } else { root = try await sourceManifest(sourceDigest.description) }
            }
        }
        let graph = try await ManifestGraph.load(root: root, from: source)

        let destinationIsNew = await cache.isNew(destination)
        let total = graph.blobs.reduce(Int64(0)) { $0 + $1.size }
        let progress = ProgressReporter(events: events, repository: repositoryName, tag: job.label, total: total)
        let replacements = Locked<[Digest: Descriptor]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for blob in graph.blobs {
                group.addTask {
                    if let compressor, compressor.isCandidate(blob) {
                        let result = try await compressor.transfer(blob, from: source, to: destination) { progress.add($0) }
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
                            progress.add($0)
                        }
                        record.withLock { $0.stats.count(kind, size: blob.size) }
                        if kind != .uploaded { progress.add(blob.size) }
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
        var rewritten: [Digest: ManifestDocument] = [:]
        var children: [ManifestDocument] = []
        for child in graph.children {
            let updated = try Self.rewrite(child, layers: layers, children: rewritten)
            rewritten[child.digest] = updated
            children.append(updated)
        }
        let top = try Self.rewrite(root, layers: layers, children: rewritten)
        if !dryRun {
            for child in children where !(await cache.hasManifest(child.digest, in: destination.path)) {
                try await destination.putManifest(child, tag: nil)
                await cache.storedManifest(child.digest, in: destination.path)
            }
            try await destination.putManifest(top, tag: job.destination)
            await cache.storedManifest(top.digest, in: destination.path)
            if let tag = job.destination { await cache.pushed(tag, in: destination.path) }
        }
        if let compressor {
            await compressor.cache.recordManifest(root.digest, settings: compressor.settings, destination: top.digest)
        }
        return .copied(bytes: record.withLock { $0.stats.bytes }, digest: top.digest)
    }

    private enum Comparison {
        /// The destination has what this tag must become (its digest, rewritten or not).
        case upToDate(Digest)
        /// Copy the source manifest with this digest (already read, if it was).
        case copy(Digest, ManifestDocument?)
    }

    /// HEADs the source and the destination (setting `record.sourceDigest`). The two lookups
    /// are independent when the destination tag is known, so they go out together: an
    /// up-to-date tag costs one round trip, not two.
    private func compareWithDestination(_ job: TagJob, record: Locked<Outcome>) async throws -> Comparison {
        async let existingByTag = destinationByTag(job)
        guard let sourceDescriptor = try await source.manifestDescriptor(job.source) else { throw notFound(job.source) }
        record.withLock { $0.sourceDigest = sourceDescriptor.digest }
        let existing: Descriptor?
        if job.destination != nil {
            existing = try await existingByTag
        } else {
            existing = force ? nil : try await destination.manifestDescriptor(sourceDescriptor.digest.description)
        }
        guard let existing else { return .copy(sourceDescriptor.digest, nil) }
        if existing.digest == sourceDescriptor.digest { return .upToDate(existing.digest) }
        guard let compressor else { return .copy(sourceDescriptor.digest, nil) }
        if let rewritten = await compressor.cache.rewrittenManifest(sourceDescriptor.digest, settings: compressor.settings) {
            return existing.digest == rewritten ? .upToDate(existing.digest) : .copy(sourceDescriptor.digest, nil)
        }
        // Nothing remembers this source manifest being rewritten (a copy keeps no checkpoint; a
        // sync may use a new directory): look whether the destination holds it recompressed.
        let theirs = try await sourceManifest(sourceDescriptor.digest.description)
        guard try await holdsRecompressed(existing, of: theirs) else { return .copy(sourceDescriptor.digest, theirs) }
        await compressor.cache.recordManifest(theirs.digest, settings: compressor.settings, destination: existing.digest)
        return .upToDate(existing.digest)
    }

    /// Whether the destination's manifest `existing` is `theirs` with its uncompressed layers
    /// recompressed (see `RecompressedMatch`); for an index, child by child.
    private func holdsRecompressed(_ existing: Descriptor, of theirs: ManifestDocument) async throws -> Bool {
        let ours = try await destination.manifest(existing.digest.description)
        switch (ours.content, theirs.content) {
        case (.image(let destinationImage), .image(let sourceImage)):
            return RecompressedMatch.image(destinationImage, isRecompressed: sourceImage)
        case (.index(let destinationIndex), .index(let sourceIndex)):
            guard let pairs = RecompressedMatch.differingChildren(destinationIndex, sourceIndex) else { return false }
            for pair in pairs {
                guard case .image(let destinationImage) = try await destination.manifest(pair.destination.digest.description).content,
                      case .image(let sourceImage) = try await source.manifest(pair.source.digest.description).content,
                      RecompressedMatch.image(destinationImage, isRecompressed: sourceImage) else { return false }
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

    /// `document` with replaced layers and rewritten children; the same document when nothing
    /// in it changed.
    static func rewrite(_ document: ManifestDocument, layers: [Digest: Descriptor],
                        children: [Digest: ManifestDocument]) throws -> ManifestDocument {
        switch document.content {
        case .image(var manifest):
            var changed = false
            manifest.layers = manifest.layers.map { layer in
                guard let replacement = layers[layer.digest], replacement.digest != layer.digest else { return layer }
                changed = true
                var updated = layer
                updated.digest = replacement.digest
                updated.size = replacement.size
                updated.mediaType = replacement.mediaType
                return updated
            }
            return changed ? try ManifestDocument(encoding: .image(manifest)) : document
        case .index(var index):
            var changed = false
            index.manifests = index.manifests.map { entry in
                guard let child = children[entry.digest], child.digest != entry.digest else { return entry }
                changed = true
                var updated = entry
                updated.digest = child.digest
                updated.size = Int64(child.bytes.count)
                return updated
            }
            return changed ? try ManifestDocument(encoding: .index(index)) : document
        }
    }
}

/// An image's manifests and blobs: child manifests in push order (children before parents),
/// and every blob once.
struct ManifestGraph: Sendable {
    var children: [ManifestDocument] = []
    var blobs: [Descriptor] = []

    static func load(root: ManifestDocument, from source: any ImageRepository) async throws -> ManifestGraph {
        var graph = ManifestGraph()
        var seenBlobs: Set<Digest> = []
        var seenManifests: Set<Digest> = [root.digest]
        try await graph.visit(root, isRoot: true, from: source, seenBlobs: &seenBlobs, seenManifests: &seenManifests)
        return graph
    }

    private mutating func visit(_ document: ManifestDocument, isRoot: Bool, from source: any ImageRepository,
                                seenBlobs: inout Set<Digest>, seenManifests: inout Set<Digest>) async throws {
        switch document.content {
        case .image(let manifest):
            for blob in manifest.blobs where Self.isDistributable(blob) && seenBlobs.insert(blob.digest).inserted {
                blobs.append(blob)
            }
        case .index(let index):
            let children = try await withThrowingTaskGroup(of: (Int, ManifestDocument).self) { group in
                for (position, child) in index.manifests.enumerated() where seenManifests.insert(child.digest).inserted {
                    guard MediaType.isManifest(child.mediaType) else {
                        throw ManifestError(source: "\(source.displayName)@\(document.digest)",
                                            reason: "index entry \(child.digest) has media type \"\(child.mediaType)\", not a manifest")
                    }
                    group.addTask { (position, try await source.manifest(child.digest.description)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
            }
            for child in children {
                try await visit(child, isRoot: false, from: source, seenBlobs: &seenBlobs, seenManifests: &seenManifests)
            }
        }
        if !isRoot { self.children.append(document) }
    }

    /// Foreign (non-distributable) layers live elsewhere by design and are not copied.
    static func isDistributable(_ blob: Descriptor) -> Bool {
        !(blob.mediaType.contains("foreign") || blob.mediaType.contains("nondistributable"))
    }
}

/// Turns byte counts into `tagProgress` events, at most four a second per tag.
final class ProgressReporter: Sendable {
    private let events: EventBus
    private let repository: String
    private let tag: String
    private let total: Int64
    private let state = Locked<(done: Int64, lastEmit: ContinuousClock.Instant?)>((0, nil))

    init(events: EventBus, repository: String, tag: String, total: Int64) {
        self.events = events
        self.repository = repository
        self.tag = tag
        self.total = total
    }

    func add(_ bytes: Int64) {
        let now = ContinuousClock.now
        let emit = state.withLock { state -> Int64? in
            state.done += bytes
            if let last = state.lastEmit, now - last < .milliseconds(250) { return nil }
            state.lastEmit = now
            return state.done
        }
        if let done = emit {
            events.emit(.tagProgress(repository: repository, tag: tag, bytesDone: min(done, total), bytesTotal: total))
        }
    }

    func finish() {
        let done = state.withLock { $0.done }
        events.emit(.tagProgress(repository: repository, tag: tag, bytesDone: min(done, total), bytesTotal: total))
    }
}
