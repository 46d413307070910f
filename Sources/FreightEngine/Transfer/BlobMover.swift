import FreightCore
import FreightRegistry

/// Moves blobs into one destination store: skip what is there, mount what a sibling repository
/// holds, upload the rest streamed from the source, each blob at most once at a time.
struct BlobMover: Sendable {
    let locations: BlobLocations
    /// Bounds concurrent uploads of big blobs; HEADs and mounts do not wait behind it.
    let uploadLane: AsyncSemaphore
    /// Uploads of small blobs (configs, small layers, signatures: at most `smallBlobLimit`)
    /// have a lane of their own, so a tag of small blobs is not held up behind big layers that
    /// take every upload permit for minutes. Nil: they share `uploadLane`.
    var smallUploadLane: AsyncSemaphore? = nil
    let retry: RetryPolicy
    let events: EventBus
    let dryRun: Bool
    /// `--limit-rate`: every blob byte of the run passes through it.
    var limiter: RateLimiter?

    /// Makes `blob` present in `destination`, streamed from `source` if it must be uploaded.
    func move(_ blob: Descriptor, from source: any ImageRepository, to destination: any ImageRepository,
              destinationIsNew: Bool = false, progress: @escaping @Sendable (Int64) -> Void) async throws -> BlobTransferKind {
        try await place(blob, in: destination, sameStoreSource: source, destinationIsNew: destinationIsNew) {
            if dryRun {
                progress(blob.size)
                return
            }
            try await lane(for: blob).withPermit {
                try await upload(blob, from: source, to: destination, progress: progress)
            }
        }
    }

    /// The largest blob that takes the small-blob lane.
    static let smallBlobLimit: Int64 = 1 << 20

    func lane(for blob: Descriptor) -> AsyncSemaphore {
        blob.size <= Self.smallBlobLimit ? smallUploadLane ?? uploadLane : uploadLane
    }

    /// Makes `blob` present in `destination`: nothing if it is there, a mount if a sibling
    /// repository (or `sameStoreSource`) holds it, else `upload` (which takes its own permit
    /// of the upload lane). One blob is placed at most once at a time per destination store.
    /// `destinationIsNew`: the repository did not exist before this run, so a HEAD could only
    /// answer "absent" and is skipped.
    func place(_ blob: Descriptor, in destination: any ImageRepository, sameStoreSource: (any ImageRepository)? = nil,
               destinationIsNew: Bool = false, upload: @Sendable () async throws -> Void) async throws -> BlobTransferKind {
        while true {
            switch await locations.claim(blob.digest, for: destination.path) {
            case .present:
                return .skipped
            case .wait(let signal):
                await signal.wait()
                continue
            case .claimed(let holder):
                do {
                    let kind = try await decide(blob, in: destination, knownHolder: holder, sameStoreSource: sameStoreSource,
                                                destinationIsNew: destinationIsNew, upload: upload)
                    await locations.finish(blob.digest, for: destination.path, success: true)
                    return kind
                } catch {
                    await locations.finish(blob.digest, for: destination.path, success: false)
                    throw error
                }
            }
        }
    }

    private func decide(_ blob: Descriptor, in destination: any ImageRepository, knownHolder: String?,
                        sameStoreSource: (any ImageRepository)?, destinationIsNew: Bool,
                        upload: @Sendable () async throws -> Void) async throws -> BlobTransferKind {
        // A sibling known to hold it: one mount request, no HEAD needed (a mount of a blob the
        // repository already has succeeds too).
        if let holder = knownHolder, holder != destination.path {
            if dryRun { return .mounted }
            if try await destination.mountBlob(blob.digest, from: holder) { return .mounted }
        }
        if !destinationIsNew, try await destination.blobSize(blob.digest) != nil { return .skipped }
        if let source = sameStoreSource, source.storeIdentity == destination.storeIdentity, source.path != destination.path {
            if dryRun { return .mounted }
            if try await destination.mountBlob(blob.digest, from: source.path) { return .mounted }
        }
        try await upload()
        return .uploaded
    }

    /// Streams the blob from source to destination; the upload verifies size and digest before
    /// the destination may complete it. Retried from the start on transient failures.
    private func upload(_ blob: Descriptor, from source: any ImageRepository, to destination: any ImageRepository,
                        progress: @escaping @Sendable (Int64) -> Void) async throws {
        let events = self.events
        try await retry.run(onRetry: { attempt, delay, error in
            events.emit(.retrying(operation: "copy blob \(blob.digest.short) to \(destination.displayName)",
                                  attempt: attempt, delay: delay, reason: "\(error)"))
        }) {
            // Two independent round trips: asked together, an upload waits for one, not two.
            async let opening = source.openBlob(blob)
            async let beginning = destination.beginUpload(expected: blob)
            let reader: BlobReader
            do {
                reader = try await opening
            } catch {
                if let upload = try? await beginning { await upload.abort() }
                throw error
            }
            let upload = try await beginning  // on failure, the reader's deinit aborts the download
            var sent: Int64 = 0
            do {
                for try await chunk in reader {
                    try await limiter?.take(chunk.count)
                    try await upload.write(chunk)
                    sent += Int64(chunk.count)
                    progress(Int64(chunk.count))
                }
                _ = try await upload.commit()
            } catch {
                await upload.abort()
                progress(-sent)
                throw error
            }
        }
    }
}
