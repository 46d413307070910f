import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// What an operator on a bastion host relies on: skopeo's option spellings, quiet and verbose
    /// output with a time on every line, visible retries, a shared rate limit, and errors that name
    /// the bad value with the right exit status.
    @Suite("operator habits", .budget(minutes: 5))
    struct OperatorHabitsTests {
        /// Whether a plain line starts with its time (`2026-12-01T10:00:00Z `).
        static func isStamped(_ line: String) -> Bool { line.prefixMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /#) != nil }

        struct Setup {
            let source = try! TestRegistry.start()
            let destination = try! TestRegistry.start()

            init() throws {
                try StandardImages().push(to: source.reference("team/app"))
            }
        }

        @Test("every plain line and every JSON event carries its time; -q keeps the summary, -v adds every blob")
        func timestampsAndVerbosity() throws {
            let setup = try Setup()
            let plain = try CLI.run(["copy", "--ui", "plain", setup.source.reference("team/app:oci-multi"), setup.destination.reference("a/app:1")])
            #expect(plain.status == 0, "\(plain.output)")
            let lines = plain.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count >= 3 && lines.allSatisfy(Self.isStamped), "\(plain.stdout)")

            let json = try CLI.run(["copy", "--ui", "json", setup.source.reference("team/app:oci-multi"), setup.destination.reference("b/app:1")])
            let events = CLI.jsonLines(json.stdout)
            #expect(!events.isEmpty && events.allSatisfy { ($0.string("time") ?? "").wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#) != nil },
                    "\(json.stdout)")

            let quiet = try CLI.run(["copy", "-q", setup.source.reference("team/app:oci-multi"), setup.destination.reference("c/app:1")])
            let quietLines = quiet.stdout.split(separator: "\n")
            #expect(quiet.status == 0 && quietLines.count == 1 && quietLines[0].contains("completed: 1 tags"), "\(quiet.stdout)")

            let verbose = try CLI.run(["copy", "--verbose", setup.source.reference("team/app:oci-multi"), setup.destination.reference("d/app:1")])
            let blobLines = verbose.stdout.split(separator: "\n").filter { $0.contains(" blob     ") }
            #expect(blobLines.count == 5, "two platforms: two configs, two own layers, one shared base: \(verbose.stdout)")
        }

        @Test("--debug traces every request on stderr, never a header, credentials included")
        func debugTrace() throws {
            let setup = try Setup()
            let locked = try TestRegistry.start(.init(auth: .htpasswd(user: "dave", password: "trace-pass-77")))
            let result = try CLI.run(["copy", "--debug", "--dest-creds", "dave:trace-pass-77", setup.source.reference("team/app:oci-single"),
                                      locked.reference("t/app:1")])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stderr.contains("http: GET http://\(setup.source.host)/v2/ -> 200"), "\(result.stderr)")
            #expect(result.stderr.contains("http: PUT http://\(locked.host)/v2/t/app/manifests/1 -> 201"), "\(result.stderr)")
            #expect(!result.stderr.contains("trace-pass-77") && !result.stderr.contains("Basic ") && !result.stderr.contains("Authorization"))
        }

        @Test("retries are visible: a retrying event and a plain line saying what, why, which attempt and how long")
        func visibleRetries() throws {
            let setup = try Setup()
            let proxy = try RegistryProxy(upstream: setup.source, faults: .init(rate: 0.3, kinds: [.error], seed: 11))
            let json = try CLI.run(["copy", "--all-tags", "--ui", "json", "--retries", "10", "\(proxy.host)/team/app", setup.destination.reference("r/app")])
            #expect(json.status == 0, "\(json.output)")
            let retries = CLI.jsonLines(json.stdout).filter { $0.string("event") == "retrying" }
            let faults = try proxy.stats().faults
            #expect(!retries.isEmpty, "faults were injected: \(faults)")
            #expect(retries.allSatisfy { $0.string("operation") != nil && $0.int("attempt") != nil && $0.double("delay_seconds") != nil
                                         && ($0.string("reason") ?? "").contains("HTTP") }, "\(retries)")

            let plain = try CLI.run(["copy", "--all-tags", "--ui", "plain", "--retries", "10", "\(proxy.host)/team/app", setup.destination.reference("p/app")])
            #expect(plain.status == 0, "\(plain.output)")
            let lines = plain.stdout.split(separator: "\n").filter { $0.contains(" retry    ") }
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("(attempt ") && $0.contains("s): ") }, "\(plain.stdout)")

            // skopeo's --retry-times 0: no second attempt at anything.
            let once = try CLI.run(["copy", "--all-tags", "--ui", "json", "--retry-times", "0", "\(proxy.host)/team/app",
                                    setup.destination.reference("o/app")])
            #expect(CLI.jsonLines(once.stdout).filter { $0.string("event") == "retrying" }.isEmpty, "\(once.stdout)")
        }

        @Test("--limit-rate holds every transfer of the run together to the rate")
        func limitRate() throws {
            let source = try TestRegistry.start(), destination = try TestRegistry.start()
            let directory = TemporaryDirectory("big")
            let builder = try LayoutBuilder(path: directory.file("l"), seed: 3)
            // Two tags of 3 MB each, copied in parallel: a per-transfer limit would double the rate.
            for tag in ["one", "two"] {
                try builder.tag(try builder.image(layers: [try builder.layer(.random(3_000_000), gzip: false)], label: tag), tag)
                try Fixtures.push(layout: directory.file("l"), tag: tag, to: source.reference("big/app:\(tag)"))
            }
            let limit = 2 << 20
            let result = try CLI.run(["copy", "--all-tags", "--limit-rate", "2M", "--ui", "json", source.reference("big/app"),
                                      destination.reference("big/app")])
            #expect(result.status == 0, "\(result.output)")
            let summary = try #require(CLI.summary(result.stdout))
            let bytes = Double(summary.int("bytes_transferred") ?? 0), seconds = summary.double("duration_seconds") ?? 0
            #expect(bytes > 6_000_000)
            let rate = bytes / max(seconds, 0.001)
            Figures.record("limit_rate.observed_over_limit", String(format: "%.3f", rate / Double(limit)))
            // Not a timing assertion: only that the average is not well above the limit.
            #expect(rate < Double(limit) * 1.25, "\(Int(rate)) bytes/s against a limit of \(limit)")
            let bad = try CLI.run(["copy", "--limit-rate", "fast", source.reference("big/app:one"), destination.reference("x/app:one")])
            #expect(bad.status == 2 && bad.stderr.contains("--limit-rate") && bad.stderr.contains("\"fast\""), "\(bad.output)")
        }

        @Test("bad input names the value and exits 2", arguments: [
            (["copy", "--jobs", "-1", "a.io/b:1", "c.io/d:1"], "--jobs must be 1-256, got -1"),
            (["sync", "--latest", "-3", "a.io", "b.io"], "--latest must be at least 1, got -3"),
            (["copy", "--retry-times", "-2", "a.io/b:1", "c.io/d:1"], "--retry-times must be 0-99, got -2"),
            (["resume", "bad id!"], "bad id! is not a valid run id"),
            (["copy", "http://127.0.0.1:5000/team/app:1", "c.io/d:1"], "a registry is named without a scheme"),
            (["sync", "oci:/tmp/layout", "b.io/mirror"], "this is an OCI layout, and a registry is needed here"),
            (["sync", "https://a.io/team", "b.io/mirror"], "\"https://a.io/team\""),
            (["copy", "--authfile", "/nonexistent/auth.json", "a.io/b:1", "c.io/d:1"], "--authfile \"/nonexistent/auth.json\": no such file"),
        ])
        func badInput(arguments: [String], message: String) throws {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }

        @Test("a checkpoint directory that is a file says so, in plain words")
        func checkpointDirectoryIsAFile() throws {
            let setup = try Setup()
            let directory = TemporaryDirectory()
            try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory.file("runs")))
            let result = try CLI.run(["sync", setup.source.host, "\(setup.destination.host)/m", "--checkpoint-dir", directory.file("runs")])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains("\(directory.file("runs")) is a file, not a directory"), "\(result.stderr)")
            #expect(!result.output.contains("NSCocoaErrorDomain"))
        }

        @Test("ls of a repository that does not exist exits 1 with the registry's NAME_UNKNOWN")
        func lsMissingRepository() throws {
            let setup = try Setup()
            let result = try CLI.run(["ls", setup.source.reference("team/nothing")])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.stderr.contains("NAME_UNKNOWN") && result.stderr.contains("team/nothing"), "\(result.stderr)")
            #expect(try CLI.run(["ls", setup.source.reference("team")]).stdout == "team/app\n", "a prefix still lists what is under it")
        }

        @Test("filters that match nothing and compression options without --compress are warned about")
        func uselessOptionsAreWarned() throws {
            let setup = try Setup()
            let state = TemporaryDirectory("state")
            let noRepository = try CLI.run(["sync", setup.source.host, "\(setup.destination.host)/m", "--include", "tema/**",
                                            "--checkpoint-dir", state.path, "--ui", "plain"])
            #expect(noRepository.stdout.contains("warning: no repository under \(setup.source.host) matches --include tema/**"),
                    "\(noRepository.output)")
            let noTag = try CLI.run(["sync", setup.source.host, "\(setup.destination.host)/m", "--tags", "v9.*",
                                     "--checkpoint-dir", state.path, "--ui", "json"])
            let warnings = CLI.jsonLines(noTag.stdout).filter { $0.string("event") == "warning" }.compactMap { $0.string("message") }
            #expect(warnings.contains { $0.contains("no tag matches --tags v9.*") }, "\(noTag.output)")
            let compression = try CLI.run(["copy", "--compress-level", "9", setup.source.reference("team/app:oci-single"),
                                           setup.destination.reference("n/app:1")])
            #expect(compression.status == 0)
            #expect(compression.stdout.contains("warning: --compress-level has no effect without --compress gzip"), "\(compression.output)")
        }
    }
}
