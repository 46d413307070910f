import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// Registries that ration: a source that states its pull allowance as Docker Hub does (the
    /// test proxy's `--pull-limit`, over a real registry), and `--requests-per-second`.
    @Suite("rate-limited registries", .budget(minutes: 5))
    struct RateLimitTests {
        struct Setup {
            let source = try! TestRegistry.start()
            let destination = try! TestRegistry.start()
            let state = TemporaryDirectory("state")
            static let tags = (1...8).map { "v\($0)" }

            init() throws {
                let directory = TemporaryDirectory("pulls")
                let builder = try LayoutBuilder(path: directory.file("l"), seed: 41)
                for tag in Self.tags {
                    try builder.tag(try builder.simpleImage(layerCount: 1, layerSize: 512, label: tag), tag)
                    try Fixtures.push(layout: directory.file("l"), tag: tag, to: source.reference("hub/app:\(tag)"))
                }
            }
        }

        @Test("the pull allowance runs down to 0: the run stops before a 429, saved, shows what is left, and resumes after the window")
        func pullAllowance() throws {
            let setup = try Setup()
            let proxy = try RegistryProxy(upstream: setup.source, pullLimit: 5)
            let first = try CLI.run(["sync", proxy.host, "\(setup.destination.host)/mirror", "--ui", "json", "--run-id", "hub",
                                     "--checkpoint-dir", setup.state.path])
            #expect(first.status == 3, "interrupted, resumable: \(first.output)")
            let summary = try #require(CLI.summary(first.stdout))
            #expect(summary.int("tags", "copied") == 5, "\(summary)")
            #expect(summary.int("pull_limit", "remaining") == 0 && summary.int("pull_limit", "limit") == 5, "\(summary)")
            let events = CLI.jsonLines(first.stdout)
            #expect(events.contains { $0.string("event") == "pull_allowance" && $0.int("remaining") == 4 }, "the dashboard's header hears it")
            #expect(events.contains { $0.string("event") == "stopping" && ($0.string("reason") ?? "").contains("pull limit is reached") },
                    "\(first.stdout)")
            #expect(try proxy.stats().counters["pulls_over_limit"] == nil, "not one GET beyond the allowance")

            try Shell.check(["curl", "-sf", "-X", "POST", "http://\(proxy.host)/_proxy/reset-pulls"])
            let resumed = try CLI.run(["resume", "hub", "--ui", "json", "--checkpoint-dir", setup.state.path])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(CLI.summary(resumed.stdout)?.int("session", "tags_copied") == 3)
            #expect(Set(try Skopeo.tags(setup.destination.reference("mirror/hub/app"))) == Set(Setup.tags))
        }

        @Test("--requests-per-second caps the requests to each registry")
        func requestsPerSecond() throws {
            let setup = try Setup()
            let started = Date()
            let result = try CLI.run(["sync", setup.source.host, "\(setup.destination.host)/capped", "--ui", "json",
                                      "--requests-per-second", "20", "--checkpoint-dir", setup.state.path])
            let seconds = Date().timeIntervalSince(started)
            #expect(result.status == 0, "\(result.output)")
            let requests = (CLI.summary(result.stdout)?["requests"] as? [String: Int])?.values.reduce(0, +) ?? 0
            // Not a timing assertion on the tool's speed: the cap is a lower bound on the time.
            // The source and the destination have a bucket each, with a burst of a quarter second.
            #expect(Double(requests) / 2 / max(seconds, 0.001) <= 20 * 1.3, "\(requests) requests in \(seconds) s")
            #expect(requests > 40, "enough requests for the cap to show: \(requests)")
        }
    }
}
