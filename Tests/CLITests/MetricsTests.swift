import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// `--metrics-listen`: scraped with the Prometheus Python client's parser and checked against
    /// the run's own summary; `/healthz` through a failed and an overdue cycle.
    @Suite("metrics and health", .budget(minutes: 5))
    struct MetricsTests {
        /// What a scrape found: every sample, and the raw text.
        struct Scrape {
            let status: Int
            let contentType: String
            let samples: [(name: String, labels: [String: String], value: Double)]
            let families: [String: (type: String, help: String)]
            let text: String

            func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
                samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value)
            }

            func sum(_ name: String, _ labels: [String: String] = [:]) -> Double { values(name, labels).reduce(0, +) }
        }

        static func scrape(_ url: String) throws -> Scrape {
            let result = try Shell.check(["python3", "\(Paths.fixtures)/scrape_metrics.py", url])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let samples = (object["samples"] as? [[String: Any]] ?? []).map { sample in
                (name: sample["name"] as? String ?? "", labels: sample["labels"] as? [String: String] ?? [:],
                 value: (sample["value"] as? NSNumber)?.doubleValue ?? .nan)
            }
            var families: [String: (type: String, help: String)] = [:]
            for family in object["families"] as? [[String: Any]] ?? [] {
                families[family["name"] as? String ?? ""] = (family["type"] as? String ?? "", family["help"] as? String ?? "")
            }
            return Scrape(status: (object["status"] as? NSNumber)?.intValue ?? 0, contentType: object["content_type"] as? String ?? "",
                          samples: samples, families: families, text: object["text"] as? String ?? "")
        }

        /// The address a process said it serves metrics at (`metrics at http://ADDR/metrics`).
        static func address(in output: String) -> String? {
            guard let range = output.range(of: #"metrics at http://[^/]+/metrics"#, options: .regularExpression) else { return nil }
            return String(output[range].dropFirst("metrics at http://".count).dropLast("/metrics".count))
        }

        @Test("serve's /metrics, parsed by prometheus_client, rises across cycles equal to their summaries; no label carries a credential; /healthz turns 503 when the source stops")
        func agreesWithSummaries() throws {
            let moto = try MotoServer.start()
            let password = "pw-\(UUID().uuidString)"
            let source = try TestRegistry.start(), locked = try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: password)))
            let images = try StandardImages()
            try images.push(to: source.reference("team/app"))
            let directory = TemporaryDirectory("metrics")
            var variables = moto.environment()
            variables["HOME"] = directory.path
            let environment = variables
            let secret = "aws-sm://registry/metrics-\(UUID().uuidString.prefix(8))"
            _ = try CLI.run(["secrets", "put", secret], environment: environment, input: #"{"username":"robot","password":"\#(password)"}"#)
            let file = try JobFileTests.write("""
                version: 1
                defaults: { retry-times: 0 }
                registries:
                  - { host: "\(locked.host)", credentials: { secret: "\(secret)" } }
                jobs:
                  - { name: apps, source: "\(source.host)/team", destination: "\(locked.host)/mirror" }
                """, in: directory)
            let output = directory.file("out.json")
            let started = Date()
            let process = try CLI.start(["serve", file, "--every", "2s", "--ui", "json", "--checkpoint-dir", directory.file("state"),
                                         "--metrics-listen", "127.0.0.1:0"], environment: environment, output: output)
            defer { CLI.reap(process) }
            func events(_ name: String) -> [[String: Any]] { CLI.jsonLines(contents(of: output)).filter { $0["event"] as? String == name } }
            try waitUntil(timeout: 60, "the first cycle") { events("summary").count >= 1 }
            let address = try #require(Self.address(in: contents(of: output)), "\(contents(of: output))")

            /// A scrape taken between cycles (none started or ended while it ran), with the summaries before it.
            func quietScrape(after count: Int) throws -> (Scrape, [[String: Any]]) {
                var result: (Scrape, [[String: Any]])?
                try waitUntil(timeout: 60, interval: 0.05, "a scrape between cycles, after \(count) of them") {
                    let before = (events("run_started").count, events("summary"))
                    guard before.1.count >= count, before.0 == before.1.count else { return false }
                    let scrape = try Self.scrape("http://\(address)/metrics")
                    guard events("run_started").count == before.0, events("summary").count == before.1.count else { return false }
                    result = (scrape, before.1)
                    return true
                }
                return result!
            }
            func total(_ summaries: [[String: Any]], _ keys: String...) -> Double {
                summaries.reduce(0) { sum, summary in
                    var value: Any? = summary
                    for key in keys { value = (value as? [String: Any])?[key] }
                    // A method a summary never used is absent from its `requests`.
                    return sum + ((value as? NSNumber)?.doubleValue ?? 0)
                }
            }
            func agree(_ scrape: Scrape, _ summaries: [[String: Any]]) {
                #expect(scrape.sum("freightliner_tags_total", ["job": "apps", "outcome": "copied"]) == total(summaries, "session", "tags_copied"))
                #expect(scrape.sum("freightliner_tags_total", ["job": "apps", "outcome": "skipped"]) == total(summaries, "tags", "skipped"))
                #expect(scrape.sum("freightliner_tags_total", ["outcome": "failed"]) == total(summaries, "tags", "failed"))
                #expect(scrape.sum("freightliner_bytes_transferred_total", ["job": "apps"]) == total(summaries, "bytes_transferred"))
                #expect(scrape.sum("freightliner_blobs_total", ["transfer": "uploaded"]) == total(summaries, "blobs", "copied"))
                #expect(scrape.sum("freightliner_blobs_total", ["transfer": "mounted"]) == total(summaries, "blobs", "mounted"))
                #expect(scrape.sum("freightliner_blobs_total", ["transfer": "skipped"]) == total(summaries, "blobs", "skipped"))
                // Every request the summaries count, by method, is in the metrics, by registry and status.
                for method in ["GET", "HEAD", "PUT", "POST", "PATCH"] {
                    #expect(scrape.sum("freightliner_requests_total", ["method": method]) == total(summaries, "requests", method), "\(method)")
                }
                #expect(scrape.values("freightliner_run_duration_seconds_count") == [Double(summaries.count)])
                #expect(scrape.sum("freightliner_runs_total", ["status": "completed"]) == Double(summaries.count))
            }

            let (first, summaries) = try quietScrape(after: 1)
            #expect(first.status == 200 && first.contentType.hasPrefix("text/plain; version=0.0.4"), "\(first.contentType)")
            for family in ["freightliner_tags", "freightliner_bytes_transferred", "freightliner_blobs", "freightliner_requests",
                           "freightliner_run_duration_seconds", "freightliner_last_success_timestamp_seconds",
                           "freightliner_compression_saved_bytes", "freightliner_secret_refresh_failures"] {
                #expect(first.families[family]?.help.isEmpty == false, "\(family) is exposed with its help: \(first.families.keys.sorted())")
            }
            #expect(first.families["freightliner_run_duration_seconds"]?.type == "histogram")
            #expect(first.sum("freightliner_tags_total", ["outcome": "copied"]) == Double(StandardImages.tags.count))
            #expect(total(summaries, "requests", "GET") > 0 && total(summaries, "tags", "total") > 0, "the summaries have these keys")
            #expect(Set(first.samples.filter { $0.name == "freightliner_tags_total" }.map { $0.labels["repository"] ?? "" }) == ["apps/app"])
            agree(first, summaries)
            let registries = Set(first.samples.filter { $0.name == "freightliner_requests_total" }.compactMap { $0.labels["registry"] })
            #expect(registries.isSuperset(of: [source.host, locked.host]), "\(registries)")
            #expect(first.sum("freightliner_requests_total", ["registry": locked.host, "status": "401"]) >= 1, "the token dance is counted")
            let success = try #require(first.values("freightliner_last_success_timestamp_seconds", ["job": "apps"]).first)
            #expect(success >= started.timeIntervalSince1970 && success <= Date().timeIntervalSince1970)
            #expect(first.values("freightliner_secret_refresh_failures_total") == [0])

            // A tag pushed between cycles: the counters rise by the next cycles' summaries.
            try Fixtures.push(layout: images.layout, tag: "oci-single", to: source.reference("team/app:later"))
            try waitUntil(timeout: 60, "a cycle that copies the new tag") { events("summary").contains { $0.int("tags", "copied") == 1 } }
            let (later, all) = try quietScrape(after: summaries.count + 1)
            #expect(later.sum("freightliner_tags_total", ["outcome": "copied"]) == Double(StandardImages.tags.count + 1))
            #expect(later.sum("freightliner_tags_total", ["outcome": "skipped"]) > first.sum("freightliner_tags_total", ["outcome": "skipped"]))
            agree(later, all)
            for scrape in [first, later] {
                #expect(!scrape.text.contains(password) && !scrape.text.contains("robot"), "no credential in any label")
            }
            let healthy = try Self.scrape("http://\(address)/healthz")
            #expect(healthy.status == 200 && healthy.text == "ok\n", "\(healthy.text)")

            // The source registry stops: the next cycle fails, and /healthz says so.
            source.stop()
            try waitUntil(timeout: 60, interval: 0.1, "/healthz to turn 503") {
                let health = try Self.scrape("http://\(address)/healthz")
                return health.status == 503 && health.text.contains("the last run failed") && health.text.contains(source.host)
            }
            kill(process.processIdentifier, SIGTERM)
            try CLI.waitForExit(process, timeout: 30, "serve to exit")
            #expect(process.terminationStatus == 0)
        }

        @Test("/healthz is 503 naming why: a cycle that failed, then a cycle overdue behind a slow one")
        func unhealthy() throws {
            let directory = TemporaryDirectory("metrics")
            let down = try JobFileTests.write("""
                version: 1
                defaults: { retry-times: 0 }
                jobs:
                  - { source: "127.0.0.1:1/team", destination: "127.0.0.1:2/mirror" }
                """, in: directory, name: "down.yaml")
            let output = directory.file("down.out")
            let failing = try CLI.start(["serve", down, "--every", "1h", "--ui", "json", "--checkpoint-dir", directory.file("state"),
                                         "--metrics-listen", "127.0.0.1:0"], output: output)
            defer { CLI.reap(failing) }
            try waitUntil(timeout: 30, "the failed cycle") { contents(of: output).contains("cycle_failed") }
            let address = try #require(Self.address(in: contents(of: output)))
            let failed = try Self.scrape("http://\(address)/healthz")
            #expect(failed.status == 503 && failed.text.contains("the last run failed") && failed.text.contains("127.0.0.1:1"), "\(failed.text)")
            kill(failing.processIdentifier, SIGTERM)
            #expect(try CLI.waitForExit(failing, timeout: 30, "serve to exit") == 0)

            // A cycle slower than two intervals: the next is overdue while it runs.
            let upstream = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages(layerSize: 256 * 1024)
            try images.push(to: upstream.reference("team/app"))
            let source = try RegistryProxy(upstream: upstream, blobDelayMilliseconds: 1000)
            let slow = try JobFileTests.write("""
                version: 1
                defaults: { jobs: 1 }
                jobs:
                  - { source: "\(source.host)/team", destination: "\(destination.host)/mirror" }
                """, in: directory, name: "slow.yaml")
            let slowOutput = directory.file("slow.out")
            let late = try CLI.start(["serve", slow, "--every", "1s", "--ui", "json", "--checkpoint-dir", directory.file("state"),
                                      "--metrics-listen", "127.0.0.1:0"], output: slowOutput)
            defer { CLI.reap(late) }
            try waitUntil(timeout: 30, "the metrics address") { Self.address(in: contents(of: slowOutput)) != nil }
            let lateAddress = try #require(Self.address(in: contents(of: slowOutput)))
            var last = ""
            try waitUntil(timeout: 60, interval: 0.2, "/healthz to say overdue") {
                let health = try Self.scrape("http://\(lateAddress)/healthz")
                last = health.text
                return health.status == 503 && health.text.contains("a cycle is overdue")
            }
            #expect(CLI.summary(contents(of: slowOutput)) == nil, "overdue while the first cycle still runs: \(last)")
            kill(late.processIdentifier, SIGTERM)
            try CLI.waitForExit(late, timeout: 60, "serve to exit")
        }

        @Test("sync serves metrics while it runs; a public address is warned about; bad addresses are refused naming them")
        func syncAndAddresses() throws {
            let upstream = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages(layerSize: 256 * 1024)
            try images.push(to: upstream.reference("team/app"))
            let source = try RegistryProxy(upstream: upstream, blobDelayMilliseconds: 400)
            let directory = TemporaryDirectory("metrics")
            let output = directory.file("sync.out")
            let sync = try CLI.start(["sync", "\(source.host)/team", "\(destination.host)/mirror", "--jobs", "1", "--ui", "json",
                                      "--checkpoint-dir", directory.file("state"), "--metrics-listen", "0.0.0.0:0"], output: output)
            defer { CLI.reap(sync) }
            try waitUntil(timeout: 30, "a finished tag") { contents(of: output).contains("\"tag_finished\"") }
            let address = try #require(Self.address(in: contents(of: output)), "\(contents(of: output))")
            #expect(contents(of: output).contains("the metrics endpoint has no authentication"), "\(contents(of: output))")
            let port = try #require(address.split(separator: ":").last)
            let scrape = try Self.scrape("http://127.0.0.1:\(port)/metrics")
            #expect(scrape.sum("freightliner_tags_total", ["job": "sync"]) >= 1, "\(scrape.text)")
            #expect(scrape.sum("freightliner_requests_total", ["registry": source.host]) >= 1)
            #expect(try Self.scrape("http://127.0.0.1:\(port)/healthz").status == 200)
            try CLI.waitForExit(sync, timeout: 90, "the sync to finish")
            #expect(sync.terminationStatus == 0, "\(contents(of: output))")

            // The destination registry's port is taken by the registry.
            let taken = destination.host
            for (value, says) in [("nonsense", "needs a port"), ("127.0.0.1:99999", "is not a port"), ("example.com:9480", "is not an IP address"),
                                  (taken, "cannot listen")] {
                let result = try CLI.run(["sync", "127.0.0.1:1/a", "127.0.0.1:2/b", "--metrics-listen", value, "--checkpoint-dir", directory.file("s")])
                #expect(result.status == 2 && result.stderr.contains("--metrics-listen") && result.stderr.contains(says), "\(value): \(result.output)")
            }
        }
    }
}
