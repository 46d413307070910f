import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// A sync through proxies that inject seeded faults on both sides (resets mid-body, 408/500/503,
    /// 429 with Retry-After, stalls longer than the low-speed limit, truncated bodies): it must
    /// finish with every tag copied and every digest verified by skopeo against the real registries.
    @Suite("fault injection", .budget(minutes: 5))
    struct FaultInjectionTests {
        /// `FREIGHTLINER_FAULT_SEED` replays a run's faults; the default keeps CI reproducible.
        static var seed: UInt64 {
            ProcessInfo.processInfo.environment["FREIGHTLINER_FAULT_SEED"].flatMap(UInt64.init) ?? 8
        }

        @Test("a sync through resets, 5xx, 429, stalls and truncations on both sides finishes, every digest verified")
        func syncThroughFaults() throws {
            let source = try TestRegistry.start(.init(catalogPageSize: 2))
            let destination = try TestRegistry.start()
            _ = try SyncCorpus(pushTo: source, layerSize: 192 * 1024)
            var faults = RegistryProxy.Faults(rate: 0.1, seed: Self.seed)
            faults.stallMilliseconds = 2500
            let sourceProxy = try RegistryProxy(upstream: source, tagsPageSize: 10, faults: faults)
            faults.seed &+= 1
            let destinationProxy = try RegistryProxy(upstream: destination, faults: faults)
            let state = TemporaryDirectory("state")

            // Stalls of 2.5 s against a 2 s low-speed window: a stall is a timeout, retried.
            let started = Date()
            let result = try CLI.run(["sync", sourceProxy.host, "\(destinationProxy.host)/mirror", "--ui", "json", "--jobs", "4",
                                      "--retries", "10", "--run-id", "faults", "--checkpoint-dir", state.file("runs")],
                                     environment: ["FREIGHTLINER_LOW_SPEED_TIME": "2"])
            let seconds = Date().timeIntervalSince(started)
            let sourceStats = try sourceProxy.stats()
            let destinationStats = try destinationProxy.stats()
            #expect(result.status == 0, "seed \(Self.seed)\n\(result.output)")
            let summary = try #require(CLI.summary(result.stdout), "\(result.output)")
            #expect(summary.string("status") == "completed")
            #expect(summary.int("tags", "copied") == SyncCorpus.tagCount)
            #expect(summary.int("tags", "failed") == 0)

            var byKind: [String: Int] = [:]
            for stats in [sourceStats, destinationStats] {
                for (kind, count) in stats.faults { byKind[kind, default: 0] += count }
            }
            let total = sourceStats.faultsTotal + destinationStats.faultsTotal
            for kind in RegistryProxy.Faults.Kind.allCases {
                #expect(byKind[kind.rawValue, default: 0] > 0, "no \(kind) fault was injected (seed \(Self.seed)): \(byKind)")
            }
            #expect(destinationStats.faultsTotal > 0 && sourceStats.faultsTotal > 0)

            // Nothing lost, nothing corrupted: skopeo reads every image back from the real
            // destination registry (not through a proxy) and checks every blob's digest.
            for reference in SyncCorpus.references {
                #expect(try Skopeo.digest("\(destination.host)/mirror/\(reference)") == (try Skopeo.digest("\(source.host)/\(reference)")),
                        "\(reference)")
                let verify = TemporaryDirectory()
                try Skopeo.verifyByCopy("\(destination.host)/mirror/\(reference)", into: verify.file("layout"))
            }

            let retries = CLI.jsonLines(result.stdout).filter { $0.string("event") == "retrying" }.count
            Figures.record("faults.seed", Self.seed)
            Figures.record("faults.requests", sourceStats.requests.values.reduce(0, +) + destinationStats.requests.values.reduce(0, +))
            Figures.record("faults.injected", total)
            for kind in RegistryProxy.Faults.Kind.allCases {
                Figures.record("faults.injected.\(kind.rawValue)", byKind[kind.rawValue, default: 0])
            }
            Figures.record("faults.survived", result.status == 0 ? total : 0)
            Figures.record("faults.blob_retries_reported", retries)
            Figures.record("faults.images_verified", SyncCorpus.references.count)
            Figures.record("faults.seconds", String(format: "%.1f", seconds))
        }

        @Test("--compress gzip through faults: layers recompressed on the way end up exactly as in a clean run")
        func compressThroughFaults() throws {
            let source = try TestRegistry.start()
            let clean = try TestRegistry.start()
            let faulty = try TestRegistry.start()
            let directory = TemporaryDirectory("compress")
            let builder = try LayoutBuilder(path: directory.file("l"), seed: 11)
            for (index, tag) in ["a", "b", "c"].enumerated() {
                let image = try builder.image(layers: [
                    try builder.layer(.text(300_000 + index * 1000), gzip: false),
                    try builder.layer(.random(200_000), gzip: false),
                    try builder.layer(.text(150_000 + index), gzip: false),
                ])
                try builder.tag(image, tag)
                try Fixtures.push(layout: directory.file("l"), tag: tag, to: source.reference("app/packed:\(tag)"))
            }
            var faults = RegistryProxy.Faults(rate: 0.2, seed: Self.seed)
            faults.stallMilliseconds = 2500
            let sourceProxy = try RegistryProxy(upstream: source, faults: faults)
            faults.seed &+= 1
            let destinationProxy = try RegistryProxy(upstream: faulty, faults: faults)
            let state = TemporaryDirectory("state")
            func sync(_ from: String, _ to: String, _ runID: String) throws -> Shell.Result {
                try CLI.run(["sync", from, to, "--ui", "json", "--compress", "gzip", "--retries", "10", "--jobs", "3",
                             "--run-id", runID, "--checkpoint-dir", state.file("runs")],
                            environment: ["FREIGHTLINER_LOW_SPEED_TIME": "2"])
            }
            let reference = try sync("\(source.host)/app", "\(clean.host)/app", "clean")
            #expect(reference.status == 0, "\(reference.output)")
            let result = try sync("\(sourceProxy.host)/app", "\(destinationProxy.host)/app", "faulty")
            #expect(result.status == 0, "seed \(Self.seed)\n\(result.output)")
            let summary = try #require(CLI.summary(result.stdout), "\(result.output)")
            #expect(summary.int("tags", "copied") == 3)
            #expect((summary.int("compression", "layers") ?? 0) > 0, "\(result.stdout)")
            let injected = try sourceProxy.stats().faultsTotal + destinationProxy.stats().faultsTotal
            #expect(injected > 0)
            for tag in ["a", "b", "c"] {
                #expect(try Skopeo.digest("\(faulty.host)/app/packed:\(tag)") == (try Skopeo.digest("\(clean.host)/app/packed:\(tag)")),
                        "the recompressed image differs from a clean run's: \(tag)")
                let verify = TemporaryDirectory()
                try Skopeo.verifyByCopy("\(faulty.host)/app/packed:\(tag)", into: verify.file("layout"))
            }
            Figures.record("faults.compress.injected", injected)
            Figures.record("faults.compress.survived", result.status == 0 ? injected : 0)
        }
    }
}
