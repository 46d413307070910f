import Foundation
import FreightCore
@testable import FreightEngine
import FreightRegistry
import FreightTestSupport
import Testing

/// The order work gets done in: small work is not held up behind big blobs.
@Suite("scheduling", .budget(minutes: 1))
struct SchedulingTests {
    @Test("a tag of small blobs finishes while big layers hold every upload permit")
    func smallTagsNotStarved() async throws {
        // Two tags of big layers take both upload permits (`--jobs 2`) and hold them: their
        // uploads never complete until `big` opens. Only then may the small tag read its blobs.
        let big = Gate(), small = Gate()
        let source = MemoryRegistry(name: "source", blobFaults: { request, _ in
            request.kind == .blobRead && request.repository == "small/app" ? .hold(small) : nil
        })
        let bigLayers = try ["1", "2"].map { (tag: String) in
            blobs(of: try source.repository("big/app").storeImage(layers: [content("big layer \(tag)", size: 3 << 20)], tag: tag)).last!.digest
        }
        try source.repository("small/app").storeImage(layers: [content("small layer", size: 64 << 10)], tag: "1")
        let destination = MemoryRegistry(name: "destination", blobFaults: { request, _ in
            request.kind == .blobUpload && bigLayers.contains { $0.description == request.reference } ? .hold(big) : nil
        })
        let plan = [("big/app", ["1", "2"]), ("small/app", ["1"])]
        let record = RunRecord(runID: "starve", createdAt: Date(), source: "source", destination: "destination", settings: nil,
                               repositories: plan.map { path, tags in
                                   RepositoryRecord(source: path, destination: path, tags: tags.map { TagRecord(job: TagJob(source: $0, destination: $0)) })
                               })
        let events = EventBus()
        let finished = Locked<[String]>([])
        events.observe { event in
            if case .tagFinished(let repository, let tag, _, _) = event { finished.withLock { $0.append("\(repository):\(tag)") } }
        }
        let replicator = Replicator(options: ReplicationOptions(jobs: 2), events: events)
        let run = replicator.start(plan.map { path, _ in
            RepositoryJob(name: path, source: source.repository(path), destination: destination.repository(path))
        }, ledger: RunLedger(record: record, writer: nil),
           info: RunInfo(runID: "starve", source: "source", destination: "destination", startedAt: Date(), resumed: false,
                         dryRun: false, checkpointPath: nil))
        try await big.arrived(2)
        small.open()
        try await suspendUntil(timeout: 10, "the small tag to finish") { finished.value == ["small/app:1"] }
        #expect(big.holding == 2, "both big layers are still uploading")
        big.open()
        let summary = await run.summary
        #expect(summary.status == .completed)
        #expect(finished.value.first == "small/app:1" && Set(finished.value) == ["small/app:1", "big/app:1", "big/app:2"])
        for layer in bigLayers { #expect(destination.repository("big/app").contents.blobs[layer]?.count == 3 << 20) }
    }
}
