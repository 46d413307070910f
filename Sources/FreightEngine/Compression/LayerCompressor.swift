import Foundation
import FreightCore
import FreightRegistry

/// Recompresses uncompressed layers on their way to the destination, streaming: the source is
/// verified against its digest while read, gzip runs block by block on every core
/// (`ParallelGzipEncoder`), and the result is uploaded as it is produced (memory stays bounded
/// whatever the layer size). A result that saves too little is abandoned before it becomes
/// visible and the original is copied instead.
struct LayerCompressor: Sendable {
    struct Result: Sendable {
        /// The layer as the destination manifest must describe it.
        let descriptor: Descriptor
        let transfer: BlobTransferKind
        let compression: LayerCompression
        /// Learned here (to be remembered in the checkpoint), if anything was.
        let learned: LayerRewrite?
        /// Bytes uploaded for this layer.
        let uploadedBytes: Int64
    }

    let settings: CompressionSettings
    /// Blocks of one layer compressed at once (nil: every core); the bytes do not depend on it.
    let threads: Int?
    let cache: CompressionCache
    let mover: BlobMover

    /// Only layers with an uncompressed media type are candidates.
    func isCandidate(_ blob: Descriptor) -> Bool {
        settings.isEnabled && MediaType.gzipCounterpart(ofUncompressed: blob.mediaType) != nil
    }

    func transfer(_ layer: Descriptor, from source: any ImageRepository, to destination: any ImageRepository,
                  progress: @escaping @Sendable (_ read: Int64, _ sent: Int64) -> Void) async throws -> Result {
        if layer.size < settings.minimumSize {
            return try await keep(layer, .keptBelowMinimumSize, from: source, to: destination, progress: progress)
        }
        if let maximum = settings.maximumSize, layer.size > maximum {
            return try await keep(layer, .keptAboveMaximumSize, from: source, to: destination, progress: progress)
        }
        while true {
            switch await cache.claim(layer.digest, settings: settings) {
            case .known(let rewrite):
                return try await apply(rewrite, to: layer, from: source, to: destination, learned: nil, progress: progress)
            case .wait(let signal):
                await signal.wait()
            case .claimed:
                do {
                    let (rewrite, seconds, uploaded) = try await compress(layer, from: source, to: destination, keepIfBelowMinimum: true,
                                                                          progress: progress)
                    await cache.finish(layer.digest, settings: settings, rewrite: rewrite)
                    if uploaded {
                        return Result(descriptor: rewrite.compressed, transfer: .uploaded,
                                      compression: LayerCompression(original: layer, compressed: rewrite.compressed, result: .compressed,
                                                                    seconds: seconds),
                                      learned: rewrite, uploadedBytes: rewrite.compressed.size)
                    }
                    return try await apply(rewrite, to: layer, from: source, to: destination, learned: rewrite, progress: progress)
                } catch {
                    await cache.finish(layer.digest, settings: settings, rewrite: nil)
                    throw error
                }
            }
        }
    }

    /// Uses a known rewrite: keep the original if it saves too little, else make sure the
    /// compressed blob is at the destination (present, mounted, or compressed again).
    private func apply(_ rewrite: LayerRewrite, to layer: Descriptor, from source: any ImageRepository,
                       to destination: any ImageRepository, learned: LayerRewrite?,
                       progress: @escaping @Sendable (_ read: Int64, _ sent: Int64) -> Void) async throws -> Result {
        if rewrite.savingsPercent < settings.minimumSavingsPercent {
            var result = try await keep(layer, .keptSavedTooLittle(percent: rewrite.savingsPercent), from: source, to: destination,
                                        progress: progress)
            result = Result(descriptor: result.descriptor, transfer: result.transfer, compression: result.compression, learned: learned,
                            uploadedBytes: result.uploadedBytes)
            return result
        }
        let compressed = rewrite.compressed
        let uploadedBytes = Locked<Int64>(0)
        let kind = try await mover.place(compressed, in: destination) {
            // Not at the destination and no sibling has it: compress again (deterministic, so
            // the digest comes out the same) straight into an upload.
            let (again, _, _) = try await compress(layer, from: source, to: destination, keepIfBelowMinimum: false, progress: progress)
            guard again.compressed.digest == compressed.digest else {
                throw CompressionError(reason: "layer \(layer.digest) compressed to \(again.compressed.digest), not \(compressed.digest) as before (a different zlib?)")
            }
            uploadedBytes.withLock { $0 = again.compressed.size }
        }
        if kind != .uploaded { progress(layer.size, 0) }
        return Result(descriptor: compressed, transfer: kind,
                      compression: LayerCompression(original: layer, compressed: compressed, result: .compressed, seconds: 0),
                      learned: learned, uploadedBytes: uploadedBytes.value)
    }

    private func keep(_ layer: Descriptor, _ reason: LayerCompression.Result, from source: any ImageRepository,
                      to destination: any ImageRepository, progress: @escaping @Sendable (_ read: Int64, _ sent: Int64) -> Void) async throws -> Result {
        let kind = try await mover.move(layer, from: source, to: destination) { progress($0, $0) }
        if kind != .uploaded { progress(layer.size, 0) }
        return Result(descriptor: layer, transfer: kind,
                      compression: LayerCompression(original: layer, compressed: nil, result: reason, seconds: 0),
                      learned: nil, uploadedBytes: kind == .uploaded ? layer.size : 0)
    }

    /// Streams `layer` from the source through gzip into a new upload. Returns what compressing
    /// it gives; the upload is committed only when the result is worth keeping (or
    /// `keepIfBelowMinimum` is false), and `uploaded` says whether it was.
    private func compress(_ layer: Descriptor, from source: any ImageRepository, to destination: any ImageRepository,
                          keepIfBelowMinimum: Bool,
                          progress: @escaping @Sendable (_ read: Int64, _ sent: Int64) -> Void) async throws -> (LayerRewrite, Double, Bool) {
        guard let mediaType = MediaType.gzipCounterpart(ofUncompressed: layer.mediaType) else {
            throw CompressionError(reason: "\(layer.mediaType) is not an uncompressed layer type")
        }
        let started = ContinuousClock.now
        let events = mover.events
        // A transfer cut short (a reset, a stall, a 5xx on the upload) starts over from the
        // source, as BlobMover does for plain copies; the aborted upload leaves nothing behind.
        return try await mover.retry.run(onRetry: { attempt, delay, error in
            events.emit(.retrying(operation: "compress layer \(layer.digest.short) into \(destination.displayName)",
                                  attempt: attempt, delay: delay, reason: "\(error)"))
        }) {
            try await mover.lane(for: layer).withPermit {
                let reader = try await source.openBlob(layer)
                let upload = try await destination.beginUpload(expected: nil)
                let sourceHash = SHA256Hasher(), compressedHash = SHA256Hasher()
                let encoder = try ParallelGzipEncoder(level: settings.level, threads: threads)
                var read: Int64 = 0, written: Int64 = 0
                do {
                    func send(_ bytes: [UInt8]) async throws {
                        guard !bytes.isEmpty else { return }
                        compressedHash.update(bytes)
                        written += Int64(bytes.count)
                        try await upload.write(bytes)
                        progress(0, Int64(bytes.count))
                    }
                    for try await chunk in reader {
                        try await mover.limiter?.take(chunk.count)
                        sourceHash.update(chunk)
                        read += Int64(chunk.count)
                        guard read <= layer.size else {
                            throw DigestMismatchError(what: "layer \(layer.digest) at \(source.displayName)",
                                                      expected: "\(layer.size) bytes", actual: "more than \(layer.size) bytes")
                        }
                        try await send(try await encoder.compress(chunk))
                        progress(Int64(chunk.count), 0)
                    }
                    try await send(try await encoder.finish())
                    let actual = sourceHash.finalize()
                    guard read == layer.size, actual == layer.digest else {
                        throw DigestMismatchError(what: "layer \(layer.digest) at \(source.displayName)", expected: layer.digest.description,
                                                  actual: read == layer.size ? actual.description : "\(read) bytes")
                    }
                    let compressed = Descriptor(mediaType: mediaType, digest: compressedHash.finalize(), size: written,
                                                annotations: layer.annotations)
                    let rewrite = LayerRewrite(original: layer.digest, originalSize: layer.size, algorithm: settings.algorithm,
                                               level: settings.level, compressed: compressed)
                    let seconds = Self.seconds(since: started)
                    guard !keepIfBelowMinimum || rewrite.savingsPercent >= settings.minimumSavingsPercent else {
                        await upload.abort()
                        progress(-read, -written)
                        return (rewrite, seconds, false)
                    }
                    let stored = try await upload.commit()
                    guard stored.digest == compressed.digest else {
                        throw DigestMismatchError(what: "compressed layer", expected: compressed.digest.description, actual: stored.digest.description)
                    }
                    await mover.locations.record(compressed.digest, in: destination.path)
                    return (rewrite, seconds, true)
                } catch {
                    await upload.abort()
                    progress(-read, -written)
                    throw error
                }
            }
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }
}
