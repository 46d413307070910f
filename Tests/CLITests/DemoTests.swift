import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// `make demo` (Tests/Fixtures/demo.sh) as a new user runs it, with `--ui json` in place of the
/// dashboard (`DEMO_UI=json`; stdin and stdout are pipes, so it never waits for a key): every
/// panel the dashboard would show has something real behind it, the sync is slow enough to
/// watch, and nothing is left running afterwards. Each demo runs on ports of its own.
@Suite("make demo", .budget(minutes: 3))
struct DemoTests {
    struct Run {
        let result: Shell.Result
        let ports: [Int]
        var events: [[String: Any]] { CLI.jsonLines(result.stdout) }
    }

    /// demo.sh with the environment given, on four free loopback ports.
    func demo(_ environment: [String: String]) async throws -> Run {
        var ports: [Int] = []
        while ports.count < 4 {
            let port = ServerProcess.freePort()
            if !ports.contains(port) { ports.append(port) }
        }
        var settings = environment
        settings["DEMO_UI"] = "json"
        settings["DEMO_SOURCE_PORT"] = "\(ports[0])"
        settings["DEMO_TARGET_PORT"] = "\(ports[1])"
        settings["DEMO_PROXY_PORT"] = "\(ports[2])"
        settings["DEMO_MOTO_PORT"] = "\(ports[3])"
        let arguments = ["sh", "\(Paths.fixtures)/demo.sh", Paths.binary]
        let finalSettings = settings
        let result = try await runBlocking { try Shell.run(arguments, environment: finalSettings) }
        return Run(result: result, ports: ports)
    }

    @Test("the live demo: a throttled source, recompressed layers, destination credentials from a moto secret; all cleaned up")
    func liveDemo() async throws {
        let run = try await demo([:])
        let output = run.result.output
        #expect(run.result.status == 0, "\(output)")
        let summary = try #require(CLI.summary(run.result.stdout), "no summary line:\n\(output)")

        // Progress: everything copied.
        #expect(summary.string("status") == "completed", "\(summary)")
        let total = try #require(summary.int("tags", "total"))
        #expect(total > 0 && summary.int("tags", "copied") == total && summary.int("tags", "failed") == 0, "\(summary)")
        let finished = Set(run.events.filter { $0.string("event") == "repository_finished" }.compactMap { $0.string("repository") })
        #expect(finished.isSuperset(of: ["legacy/reports", "legacy/batch", "team/web"]), "\(finished)")

        // Compression: the uncompressed repositories were gzipped, and saved bytes.
        let layers = try #require(summary.int("compression", "layers"))
        let original = try #require(summary.int("compression", "original_bytes"))
        let compressed = try #require(summary.int("compression", "compressed_bytes"))
        #expect(layers > 0 && compressed > 0 && compressed < original, "\(summary)")
        #expect((summary.int("compression", "kept_layers") ?? 0) >= 1, "the random layer is kept as it is: \(summary)")
        let recompressed = run.events.filter { $0.string("event") == "layer_compressed" && $0.string("result") == "compressed" }
        #expect(recompressed.contains { ($0.int("compressed_size") ?? .max) < ($0.int("original_size") ?? 0) }, "\(recompressed)")

        // Secrets: the destination's credentials came from the secret in moto, and no value leaked.
        #expect(run.events.contains {
            $0.string("event") == "secret_status" && $0.string("reference") == "aws-sm://demo/registry"
                && $0.string("provider") == "aws-sm" && $0.string("state") == "loaded"
        }, "\(output)")
        #expect(output.contains("basic auth (401 without credentials)"), "the destination refuses anonymous requests: \(output)")
        #expect(!output.contains(#""password": ""#) && !output.contains(#""password":""#), "a secret value was printed")

        // The throttle: every byte uploaded was first read through the proxy, whose bucket lets at
        // most rate × seconds + rate / 4 bytes through, so the sync cannot have been faster.
        // demo.sh says "reached through a 1900 kB/s link".
        let digits = output.components(separatedBy: "reached through a ").dropFirst().first.map { String($0.prefix(while: \.isNumber)) }
        let rate = try #require(digits.flatMap { Double($0) }, "no link rate in:\n\(output)") * 1000
        let bytes = try #require(summary.double("bytes_transferred"))
        let seconds = try #require(summary.double("duration_seconds"))
        #expect(bytes > 0 && seconds >= bytes / rate - 0.25, "\(bytes) bytes in \(seconds) s through a \(rate) B/s link")

        // Cleanup: the registries, the proxy and moto_server are gone with the script.
        for port in run.ports { #expect(!ServerProcess.accepts(port: port), "port \(port) still listening after the demo") }
    }

    @Test("DEMO_FAST=1 is the quick run: open registries, no compression, no secret")
    func fastDemo() async throws {
        let run = try await demo(["DEMO_FAST": "1"])
        #expect(run.result.status == 0, "\(run.result.output)")
        let summary = try #require(CLI.summary(run.result.stdout), "no summary line:\n\(run.result.output)")
        #expect(summary.string("status") == "completed", "\(summary)")
        #expect((summary.int("tags", "total") ?? 0) > 0 && summary.int("tags", "failed") == 0, "\(summary)")
        #expect(summary.int("compression", "layers") == 0, "\(summary)")
        #expect(!run.events.contains { $0.string("event") == "secret_status" }, "\(run.result.stdout)")
        for port in run.ports { #expect(!ServerProcess.accepts(port: port), "port \(port) still listening after the demo") }
    }
}
