import Foundation
import FreightCore
import FreightRegistry
import Synchronization

/// Copies one image (a manifest, or an index with all its platforms) between two repositories,
/// preserving every digest: blobs the destination lacks are moved, then manifests are pushed
/// children first and the tag last, so a tag never points at something incomplete.
struct ImageCopier: Sendable {
    let source: any ImageRepository
    let destination: any ImageRepository
    /// The name events use for this repository.
    let repositoryName: String
    let mover: BlobMover
    let events: EventBus
    let force: Bool
    let dryRun: Bool

    /// Copies `job`; never throws: a failure is an outcome, and the run goes on.
    func copy(_ job: TagJob) async -> (TagOutcome, TagStats) {
        let stats = Locked(TagStats())
        do {
            let outcome = try await copyThrowing(job, stats: stats)
            return (outcome, stats.value)
        } catch is CancellationError {
            return (.failed(reason: "cancelled"), stats.value)
        } catch {
            return (.failed(reason: "\(error)"), stats.value)
        }
    }

    private func copyThrowing(_ job: TagJob, stats: Locked<TagStats>) async throws -> TagOutcome {
        guard let sourceDescriptor = try await source.manifestDescriptor(job.source) else {
            throw RegistryError(status: 404, code: "MANIFEST_UNKNOWN", message: "not found at the source",
                                operation: "\(source.displayName):\(job.source)")
        }
        if !force, let existing = try await destination.manifestDescriptor(job.destination ?? sourceDescriptor.digest.description),
           existing.digest == sourceDescriptor.digest {
            return .skipped(digest: existing.digest)
        }
        let root = try await source.manifest(sourceDescriptor.digest.description)
        let graph = try await ManifestGraph.load(root: root, from: source)

        let total = graph.blobs.reduce(Int64(0)) { $0 + $1.size }
        let progress = ProgressReporter(events: events, repository: repositoryName, tag: job.label, total: total)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for blob in graph.blobs {
                group.addTask {
                    let kind = try await mover.move(blob, from: source, to: destination) { progress.add($0) }
                    stats.withLock { $0.count(kind, size: blob.size) }
                    if kind != .uploaded { progress.add(blob.size) }
                    events.emit(.blobFinished(repository: repositoryName, digest: blob.digest, size: blob.size, transfer: kind))
                }
            }
            try await group.waitForAll()
        }
        progress.finish()

        if !dryRun {
            for child in graph.children {
                try await destination.putManifest(child, tag: nil)
            }
            try await destination.putManifest(root, tag: job.destination)
        }
        return .copied(bytes: stats.withLock { $0.bytes }, digest: root.digest)
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
    private let state = Mutex<(done: Int64, lastEmit: ContinuousClock.Instant?)>((0, nil))

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
