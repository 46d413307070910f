import FreightCore
@testable import FreightEngine
import FreightRegistry
import FreightTestSupport
import Testing

/// Copying one tag: what is moved, what is mounted or skipped, in which order manifests go up,
/// and what a failure or a cancellation leaves behind. In-process, against `MemoryRegistry`
/// (the destination refuses an image whose blobs are absent, as distribution does).
@Suite("image copies in memory", .budget(minutes: 1))
struct ImageCopierTests {
    let source = MemoryRegistry(name: "source")
    var app: MemoryRepository { source.repository("team/app") }
    let base = content("base", size: 50_000)
    var baseDigest: Digest { Digest.sha256(of: base) }

    func job(_ tag: String) -> TagJob { TagJob(source: tag, destination: tag) }

    /// Whether every blob upload of `registry` came before its first manifest PUT.
    func blobsBeforeManifests(_ registry: MemoryRegistry) -> Bool {
        let requests = registry.requests
        guard let lastUpload = requests.lastIndex(where: { $0.kind == .blobUpload }),
              let firstPut = requests.firstIndex(where: { $0.kind == .manifestPut }) else { return false }
        return lastUpload < firstPut
    }

    @Test("an image into a repository the run creates: each blob uploaded once, no HEAD, the tag PUT last, the digest kept")
    func newRepository() async throws {
        let image = try app.storeImage(layers: [base, content("a")], tag: "v1")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true)
        let mirror = destination.repository("mirror/app")
        let result = await CopyRig().copier(from: app, to: mirror).copy(job("v1"))
        #expect(result.outcome == .copied(bytes: size(of: [image]), digest: image.digest))
        #expect(result.stats.blobsUploaded == 3 && result.stats.blobsSkipped == 0 && result.stats.blobsMounted == 0)
        for blob in blobs(of: image) {
            #expect(destination.count(.blobUpload, of: blob.digest) == 1, "\(blob.digest)")
        }
        #expect(destination.count(.blobExists) == 0, "a repository the run creates is not asked what it holds")
        #expect(destination.requests.last?.description == "PUT manifest mirror/app:v1")
        #expect(blobsBeforeManifests(destination))
        #expect(mirror.contents.tags == ["v1": image.digest])
        #expect(mirror.contents.manifests[image.digest]?.bytes == image.bytes)
        #expect(result.blobs == blobs(of: image).map(\.digest))
    }

    @Test("an image's blobs go up at once, not one after another")
    func blobsInParallel() async throws {
        let image = try app.storeImage(layers: [base, content("a")], tag: "v1")
        let gate = Gate()
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, _ in request.kind == .blobUpload ? .hold(gate) : nil })
        let copy = Task { await CopyRig(uploads: 4).copier(from: app, to: destination.repository("mirror/app")).copy(job("v1")) }
        try await gate.arrived(3)
        #expect(gate.holding == 3 && destination.count(.manifestPut) == 0)
        gate.open()
        #expect(await copy.value.outcome == .copied(bytes: size(of: [image]), digest: image.digest))
    }

    @Test("an index: every blob first, then each child by digest, then the index under its tag")
    func indexOrder() async throws {
        let amd64 = try app.storeImage(layers: [base, content("amd64")], platform: Platform(architecture: "amd64", os: "linux"))
        let arm64 = try app.storeImage(layers: [base, content("arm64")], platform: Platform(architecture: "arm64", os: "linux"))
        let index = try app.storeIndex([amd64, arm64], tag: "v1")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true)
        let result = await CopyRig().copier(from: app, to: destination.repository("mirror/app")).copy(job("v1"))
        #expect(result.outcome == .copied(bytes: size(of: [amd64, arm64]), digest: index.digest))
        #expect(destination.manifestPuts == ["mirror/app:\(amd64.digest)", "mirror/app:\(arm64.digest)", "mirror/app:v1"])
        #expect(blobsBeforeManifests(destination))
        #expect(destination.count(.blobUpload, of: baseDigest) == 1, "a layer two platforms share goes up once")
        #expect(destination.contents(of: "mirror/app").tags == ["v1": index.digest])
        #expect(result.subjects == [index.digest, amd64.digest, arm64.digest])
    }

    @Test("two tags sharing a layer, one after the other: the second moves only what it adds, without a HEAD")
    func sharedLayerSequential() async throws {
        let v1 = try app.storeImage(layers: [base, content("a")], tag: "v1")
        let v2 = try app.storeImage(layers: [base, content("b")], tag: "v2")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true)
        let mirror = destination.repository("mirror/app")
        let rig = CopyRig()
        let first = await rig.copier(from: app, to: mirror).copy(job("v1"))
        let second = await rig.copier(from: app, to: mirror).copy(job("v2"))
        #expect(first.outcome == .copied(bytes: size(of: [v1]), digest: v1.digest))
        #expect(second.outcome == .copied(bytes: size(of: [v2]) - Int64(base.count), digest: v2.digest))
        #expect(second.stats.blobsUploaded == 2 && second.stats.blobsSkipped == 1)
        #expect(destination.count(.blobUpload, of: baseDigest) == 1)
        #expect(destination.count(.blobExists) == 0)
        #expect(source.count(.blobRead, of: baseDigest) == 1)
    }

    @Test("two tags sharing a layer at once: the layer goes up once, and the tag that waits for it is not pushed before it is there")
    func sharedLayerInFlight() async throws {
        let v1 = try app.storeImage(layers: [base, content("a")], tag: "v1")
        let v2 = try app.storeImage(layers: [base, content("b")], tag: "v2")
        let gate = Gate(), held = baseDigest.description
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true, blobFaults: { request, _ in
            request.kind == .blobUpload && request.reference == held ? .hold(gate) : nil
        })
        let mirror = destination.repository("mirror/app")
        let rig = CopyRig()
        let first = Task { await rig.copier(from: app, to: mirror).copy(job("v1")) }
        try await gate.arrived()
        let secondDone = Locked(false)
        let second = Task {
            let result = await rig.copier(from: app, to: mirror).copy(job("v2"))
            secondDone.withLock { $0 = true }
            return result
        }
        let own = blobs(of: v2).map(\.digest).filter { $0 != baseDigest }
        try await eventually("v2's own blobs uploaded while the shared one is held") {
            own.allSatisfy { mirror.contents.blobs[$0] != nil }
        }
        #expect(!secondDone.value, "v2 finished while a layer it names was still being uploaded")
        #expect(destination.count(.manifestPut) == 0)
        gate.open()
        let (one, two) = (await first.value, await second.value)
        #expect(one.outcome == .copied(bytes: size(of: [v1]), digest: v1.digest))
        #expect(two.outcome == .copied(bytes: size(of: [v2]) - Int64(base.count), digest: v2.digest))
        #expect(two.stats.blobsSkipped == 1 && two.stats.blobsUploaded == 2)
        #expect(destination.count(.uploadStart, reference: held) == 1, "the waiting tag began no upload of its own")
        #expect(Set(mirror.contents.tags.keys) == ["v1", "v2"])
    }

    @Test("a layer another repository of the destination got from this run is mounted from there, not read or uploaded again")
    func sharedLayerMounted() async throws {
        let tool = source.repository("team/tool")
        try app.storeImage(layers: [base, content("a")], tag: "v1")
        let toolImage = try tool.storeImage(layers: [base, content("t")], tag: "v1")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true)
        let rig = CopyRig()
        _ = await rig.copier(from: app, to: destination.repository("mirror/app")).copy(job("v1"))
        let result = await rig.copier(from: tool, to: destination.repository("mirror/tool")).copy(job("v1"))
        #expect(result.outcome == .copied(bytes: size(of: [toolImage]) - Int64(base.count), digest: toolImage.digest))
        #expect(result.stats.blobsMounted == 1 && result.stats.blobsUploaded == 2)
        #expect(destination.count(.blobUpload, of: baseDigest) == 1)
        #expect(destination.requests.filter { $0.kind == .blobMount }.map(\.description)
                    == ["POST mount mirror/tool:\(baseDigest) from mirror/app"])
        #expect(source.count(.blobRead, of: baseDigest) == 1)
        #expect(destination.contents(of: "mirror/tool").tags["v1"] == toolImage.digest)
    }

    @Test("a layer the destination repository already holds is found by one HEAD and not uploaded")
    func layerAlreadyThere() async throws {
        let image = try app.storeImage(layers: [base, content("a")], tag: "v1")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true)
        let mirror = destination.repository("mirror/app")
        mirror.store(blob: base)
        let result = await CopyRig().copier(from: app, to: mirror).copy(job("v1"))
        #expect(result.outcome == .copied(bytes: size(of: [image]) - Int64(base.count), digest: image.digest))
        #expect(result.stats.blobsSkipped == 1 && result.stats.blobsUploaded == 2)
        #expect(destination.count(.blobExists) == 3, "the repository existed: each blob is looked for")
        #expect(destination.count(.uploadStart, reference: baseDigest.description) == 0)
        #expect(source.count(.blobRead, of: baseDigest) == 0)
    }

    @Test("a tag the destination already has is skipped after two HEADs: nothing read, moved or pushed")
    func tagUpToDate() async throws {
        let image = try app.storeImage(layers: [base], label: "same", tag: "v1")
        let destination = MemoryRegistry(name: "destination")
        let mirror = destination.repository("mirror/app")
        try #require(try mirror.storeImage(layers: [base], label: "same", tag: "v1").digest == image.digest)
        let result = await CopyRig().copier(from: app, to: mirror).copy(job("v1"))
        #expect(result.outcome == .skipped(digest: image.digest))
        #expect(source.requests.map(\.description) == ["HEAD manifest team/app:v1"])
        #expect(Set(destination.requests.map(\.kind)) == [.tagList, .manifestExists])
    }

    @Test("a blob the destination refuses fails its tag in the registry's words, nothing of it is pushed, and a tag beside it copies")
    func failingBlob() async throws {
        let bad = content("bad")
        let badDigest = Digest.sha256(of: bad)
        try app.storeImage(layers: [base, bad], tag: "v1")
        let good = try app.storeImage(layers: [base, content("good")], tag: "v2")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true, blobFaults: { request, _ in
            request.kind == .blobUpload && request.reference == badDigest.description ? .respond(status: 403, code: "DENIED") : nil
        })
        let mirror = destination.repository("mirror/app")
        let rig = CopyRig()
        async let failing = rig.copier(from: app, to: mirror).copy(job("v1"))
        async let fine = rig.copier(from: app, to: mirror).copy(job("v2"))
        let (one, two) = await (failing, fine)
        guard case .failed(let reason) = one.outcome else {
            Issue.record("v1 did not fail: \(one.outcome)")
            return
        }
        #expect(reason.contains("HTTP 403 DENIED") && reason.contains("\(badDigest)"), "\(reason)")
        #expect(two.outcome == .copied(bytes: two.stats.bytes, digest: good.digest))
        #expect(mirror.contents.tags == ["v2": good.digest])
        #expect(!destination.manifestPuts.contains("mirror/app:v1"))
        #expect(mirror.contents.blobs[badDigest] == nil)
        #expect(destination.count(.uploadAbort, of: badDigest) == 1)
    }

    @Test("a tag missing at the source fails, saying where it was looked for")
    func missingAtSource() async throws {
        let destination = MemoryRegistry(name: "destination")
        let result = await CopyRig().copier(from: app, to: destination.repository("mirror/app")).copy(job("gone"))
        guard case .failed(let reason) = result.outcome else {
            Issue.record("copied a tag that does not exist: \(result.outcome)")
            return
        }
        #expect(reason.contains("source/team/app:gone: not found at the source"), "\(reason)")
        #expect(destination.count(.manifestPut) == 0 && destination.count(.uploadStart) == 0)
    }

    @Test("a copy cancelled while a blob never arrives ends at once as 'cancelled', leaving nothing at the destination")
    func cancelledCopy() async throws {
        let gate = Gate(), held = baseDigest.description
        let slow = MemoryRegistry(name: "slow", blobFaults: { request, _ in
            request.kind == .blobRead && request.reference == held ? .hold(gate) : nil
        })
        try slow.repository("team/app").storeImage(layers: [base, content("a")], tag: "v1")
        let destination = MemoryRegistry(name: "destination", verifiesBlobs: true)
        let mirror = destination.repository("mirror/app")
        let copy = Task { await CopyRig().copier(from: slow.repository("team/app"), to: mirror).copy(job("v1")) }
        try await gate.arrived()
        copy.cancel()
        let result = try await within(.seconds(10), "the cancelled copy") { await copy.value }
        #expect(result.outcome == .failed(reason: "cancelled"))
        #expect(destination.count(.manifestPut) == 0)
        #expect(mirror.contents.tags.isEmpty && mirror.contents.blobs[baseDigest] == nil)
        #expect(destination.count(.uploadAbort, of: baseDigest) == 1)
    }
}
