import FreightCore
@testable import FreightEngine
import FreightRegistry
import FreightTestSupport
import Testing

/// How one blob reaches a destination repository: skipped when there, mounted from a sibling,
/// uploaded otherwise, one move at a time per blob and store. In-process, against
/// `MemoryRegistry`, whose request log shows what the mover asked for.
@Suite("blob moves in memory", .budget(minutes: 1))
struct BlobMoverTests {
    let source = MemoryRegistry(name: "source")
    var app: MemoryRepository { source.repository("team/app") }

    struct Refused: Error {}

    /// The kinds of request a registry received, in order.
    func kinds(_ registry: MemoryRegistry) -> [MemoryRegistry.Request.Kind] { registry.requests.map(\.kind) }

    @Test("two moves of one blob into one repository at once: one upload; the other asks nothing and returns once the blob is there")
    func inFlightSameRepository() async throws {
        let blob = app.store(blob: content("layer"))
        let gate = Gate()
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, _ in request.kind == .blobUpload ? .hold(gate) : nil })
        let mirror = destination.repository("mirror/app")
        let rig = CopyRig()
        let first = Task { try await rig.move(blob, from: app, to: mirror) }
        try await gate.arrived()
        let asked = destination.requests.count
        let secondDone = Locked(false)
        let second = Task { () throws -> (BlobTransferKind, Bool) in
            let kind = try await rig.move(blob, from: app, to: mirror)
            secondDone.withLock { $0 = true }
            return (kind, mirror.contents.blobs[blob.digest] != nil)
        }
        // Nothing shows that the second move is waiting: give it time to get there, then check
        // it neither came back (with a blob not yet there) nor asked the registry anything.
        try await Task.sleep(for: .milliseconds(20))
        #expect(!secondDone.value, "the second move returned while the blob was still being uploaded")
        #expect(destination.requests.count == asked, "\(destination.requests.dropFirst(asked))")
        gate.open()
        #expect(try await first.value == .uploaded)
        let (kind, present) = try await second.value
        #expect(kind == .skipped)
        #expect(present, "the waiting move came back before the blob was visible")
        #expect(destination.count(.uploadStart) == 1)
        #expect(source.count(.blobRead, of: blob.digest) == 1)
    }

    @Test("a blob moving into one repository and wanted in a sibling: the sibling waits, then mounts it")
    func inFlightSiblingMounts() async throws {
        let blob = app.store(blob: content("layer"))
        let gate = Gate()
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, _ in request.kind == .blobUpload ? .hold(gate) : nil })
        let rig = CopyRig()
        let first = Task { try await rig.move(blob, from: app, to: destination.repository("mirror/app")) }
        try await gate.arrived()
        let asked = destination.requests.count
        let second = Task { try await rig.move(blob, from: app, to: destination.repository("mirror/tool")) }
        try await Task.sleep(for: .milliseconds(20))
        #expect(destination.requests.count == asked, "the sibling asked before the upload finished: \(destination.requests.dropFirst(asked))")
        gate.open()
        #expect(try await first.value == .uploaded)
        #expect(try await second.value == .mounted)
        #expect(destination.requests.dropFirst(asked).map(\.description) == ["POST mount mirror/tool:\(blob.digest) from mirror/app"])
        #expect(destination.contents(of: "mirror/tool").blobs[blob.digest] != nil)
        #expect(destination.count(.uploadStart) == 1)
    }

    @Test("an upload that never finishes holds back only uploads: a mount and a HEAD of other blobs go on")
    func uploadLaneHoldsOnlyUploads() async throws {
        let stuck = app.store(blob: content("stuck")), mounted = app.store(blob: content("mounted")), there = app.store(blob: content("there"))
        let gate = Gate(), held = stuck.digest.description
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, _ in
            request.kind == .blobUpload && request.reference == held ? .hold(gate) : nil
        })
        let mirror = destination.repository("mirror/app")
        destination.repository("mirror/other").store(blob: content("mounted"))
        mirror.store(blob: content("there"))
        let rig = CopyRig(uploads: 1)
        await rig.locations.record(mounted.digest, in: "mirror/other")
        let first = Task { try await rig.move(stuck, from: app, to: mirror) }
        try await gate.arrived()
        let others = try await within(.seconds(10), "a mount and a HEAD while the only upload permit is taken") {
            (try? await rig.move(mounted, from: app, to: mirror), try? await rig.move(there, from: app, to: mirror))
        }
        #expect(others.0 == .mounted && others.1 == .skipped)
        #expect(gate.holding == 1)
        gate.open()
        #expect(try await first.value == .uploaded)
    }

    @Test("a blob a sibling repository is known to hold is mounted: one request, nothing read, nothing uploaded")
    func knownHolderMounted() async throws {
        let blob = app.store(blob: content("layer"))
        let destination = MemoryRegistry(name: "destination")
        destination.repository("mirror/other").store(blob: content("layer"))
        let rig = CopyRig()
        await rig.locations.record(blob.digest, in: "mirror/other")
        #expect(try await rig.move(blob, from: app, to: destination.repository("mirror/app")) == .mounted)
        #expect(destination.requests.map(\.description) == ["POST mount mirror/app:\(blob.digest) from mirror/other"])
        #expect(source.requests.isEmpty)
    }

    @Test("a mount the registry declines falls back to a HEAD and an upload")
    func declinedMountUploads() async throws {
        let blob = app.store(blob: content("layer"))
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, _ in request.kind == .blobMount ? .decline : nil })
        destination.repository("mirror/other").store(blob: content("layer"))
        let rig = CopyRig()
        await rig.locations.record(blob.digest, in: "mirror/other")
        let mirror = destination.repository("mirror/app")
        #expect(try await rig.move(blob, from: app, to: mirror) == .uploaded)
        #expect(kinds(destination) == [.blobMount, .blobExists, .uploadStart, .blobUpload])
        #expect(mirror.contents.blobs[blob.digest] == content("layer"))
    }

    @Test("a repository an earlier session placed the blob in no longer has it: the mount fails and the blob is uploaded")
    func staleHintUploads() async throws {
        let blob = app.store(blob: content("layer"))
        let destination = MemoryRegistry(name: "destination")
        let rig = CopyRig()
        await rig.locations.hint([blob.digest], in: "mirror/gone")
        let mirror = destination.repository("mirror/app")
        #expect(try await rig.move(blob, from: app, to: mirror) == .uploaded)
        #expect(destination.requests.first?.description == "POST mount mirror/app:\(blob.digest) from mirror/gone")
        #expect(kinds(destination) == [.blobMount, .blobExists, .uploadStart, .blobUpload])
        #expect(mirror.contents.blobs[blob.digest] != nil)
    }

    @Test("source and destination in one registry: the blob is mounted from the source repository, never read")
    func sameStoreMountsFromSource() async throws {
        let shared = MemoryRegistry(name: "shared")
        let team = shared.repository("team/app")
        let blob = team.store(blob: content("layer"))
        let rig = CopyRig()
        #expect(try await rig.move(blob, from: team, to: shared.repository("mirror/app")) == .mounted)
        #expect(shared.requests.map(\.description) == ["HEAD blob mirror/app:\(blob.digest)",
                                                       "POST mount mirror/app:\(blob.digest) from team/app"])
    }

    @Test("a blob the destination holds costs one HEAD and no upload; in a repository new to the run, no HEAD at all")
    func presentOrNew() async throws {
        let blob = app.store(blob: content("layer"))
        let destination = MemoryRegistry(name: "destination")
        destination.repository("mirror/app").store(blob: content("layer"))
        let rig = CopyRig()
        #expect(try await rig.move(blob, from: app, to: destination.repository("mirror/app")) == .skipped)
        #expect(kinds(destination) == [.blobExists])
        #expect(source.requests.isEmpty)

        let fresh = MemoryRegistry(name: "fresh")
        #expect(try await CopyRig().move(blob, from: app, to: fresh.repository("mirror/app"), destinationIsNew: true) == .uploaded)
        #expect(kinds(fresh) == [.uploadStart, .blobUpload])
    }

    @Test("an upload refused for a while (503) is aborted and retried from the first byte, and the retry is announced")
    func transientFailureRetried() async throws {
        let blob = app.store(blob: content("layer"))
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, attempt in
            request.kind == .blobUpload && attempt == 1 ? .respond(status: 503, code: "UNAVAILABLE") : nil
        })
        let rig = CopyRig(retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.001))
        let mirror = destination.repository("mirror/app")
        #expect(try await rig.move(blob, from: app, to: mirror) == .uploaded)
        #expect(kinds(destination) == [.blobExists, .uploadStart, .blobUpload, .uploadAbort, .uploadStart, .blobUpload])
        #expect(source.count(.blobRead, of: blob.digest) == 2, "the retry reads the blob again from the start")
        #expect(mirror.contents.blobs[blob.digest] == content("layer"))
        let retries = rig.recorded.value.compactMap { event -> (Int, String)? in
            if case .retrying(_, let attempt, _, let reason) = event { return (attempt, reason) }
            return nil
        }
        #expect(retries.count == 1)
        #expect(retries.first?.0 == 1)
        #expect(retries.first?.1.contains("HTTP 503") == true, "\(retries)")
    }

    @Test("a move that fails hands the blob to the one waiting for it, which then places it itself")
    func failedMoveHandsOver() async throws {
        let blob = app.store(blob: content("layer"))
        let destination = MemoryRegistry(name: "destination")
        let mirror = destination.repository("mirror/app")
        let rig = CopyRig()
        let gate = Gate()
        let first = Task { try await rig.mover.place(blob, in: mirror) { try await gate.pass(); throw Refused() } }
        try await gate.arrived()
        let uploadsBySecond = Locked(0)
        let second = Task {
            try await rig.mover.place(blob, in: mirror) {
                uploadsBySecond.withLock { $0 += 1 }
                mirror.store(blob: content("layer"))
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        #expect(uploadsBySecond.value == 0, "the second move uploaded while the first still held the blob")
        gate.open()
        await #expect(throws: Refused.self) { try await first.value }
        #expect(try await second.value == .uploaded)
        #expect(uploadsBySecond.value == 1)
        #expect(destination.count(.blobExists, of: blob.digest) == 2, "each claim looked for itself")
    }

    @Test("a move cancelled while its read never finishes throws at once, aborts its upload, and frees the blob for the next move")
    func cancelledMove() async throws {
        let gate = Gate()
        let slow = MemoryRegistry(name: "slow", blobFaults: { request, attempt in request.kind == .blobRead && attempt == 1 ? .hold(gate) : nil })
        let app = slow.repository("team/app")
        let blob = app.store(blob: content("layer", size: 100_000))
        let destination = MemoryRegistry(name: "destination")
        let mirror = destination.repository("mirror/app")
        let rig = CopyRig()
        let move = Task { try await rig.move(blob, from: app, to: mirror) }
        try await gate.arrived()
        move.cancel()
        let result = try await within(.seconds(10), "the cancelled move") { await move.result }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(destination.count(.uploadAbort, of: blob.digest) == 1)
        #expect(destination.count(.blobUpload) == 0, "half a blob was never completed")
        #expect(mirror.contents.blobs.isEmpty)
        let again = try await within(.seconds(10), "a move after the cancelled one") { try? await rig.move(blob, from: app, to: mirror) }
        #expect(again == .uploaded)
        #expect(mirror.contents.blobs[blob.digest]?.count == 100_000)
    }
}
