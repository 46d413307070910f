import FreightCore
@testable import FreightEngine
import FreightRegistry
import FreightTestSupport

/// Distinct, deterministic blob content: `label` repeated to `size` bytes.
func content(_ label: String, size: Int = 4096) -> [UInt8] {
    let unit = Array("\(label);".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size + unit.count)
    while bytes.count < size { bytes += unit }
    return Array(bytes.prefix(size))
}

/// The blobs an image names (config first), as the engine moves them.
func blobs(of image: ManifestDocument) -> [Descriptor] {
    guard case .image(let manifest) = image.content else { return [] }
    return manifest.blobs
}

/// The bytes of every distinct blob of these images: what copying them into an empty store moves.
func size(of images: [ManifestDocument]) -> Int64 {
    var seen: Set<Digest> = []
    return images.flatMap(blobs(of:)).filter { seen.insert($0.digest).inserted }.reduce(0) { $0 + $1.size }
}

/// The copy machinery of one destination store, wired as `Replicator.schedule` wires it: one
/// blob mover (and so one record of where blobs are and which are moving), one tag cache and
/// one manifest pusher, shared by every copier into the store.
struct CopyRig {
    let events = EventBus()
    let recorded = Locked<[ReplicationEvent]>([])
    let mover: BlobMover
    let cache = DestinationCache()
    let pusher = ManifestPusher(locks: ManifestLocks())

    init(uploads: Int = 4, retry: RetryPolicy = .none) {
        mover = BlobMover(locations: BlobLocations(), uploadLane: AsyncSemaphore(permits: uploads), retry: retry, events: events,
                          dryRun: false)
        let recorded = self.recorded
        events.observe { event in recorded.withLock { $0.append(event) } }
    }

    var locations: BlobLocations { mover.locations }

    func copier(from source: any ImageRepository, to destination: any ImageRepository) -> ImageCopier {
        ImageCopier(source: source, destination: destination, repositoryName: destination.path, mover: mover, cache: cache,
                    manifests: pusher, compressor: nil, rewrite: RewriteSettings(), mappings: ManifestMappings(), immutable: nil,
                    referrers: nil, events: events, notices: Notices(), force: false, dryRun: false)
    }

    /// Moves `blob` as a copy does, reporting nothing.
    func move(_ blob: Descriptor, from source: any ImageRepository, to destination: any ImageRepository,
              destinationIsNew: Bool = false) async throws -> BlobTransferKind {
        try await mover.move(blob, from: source, to: destination, destinationIsNew: destinationIsNew) { _ in }
    }
}

