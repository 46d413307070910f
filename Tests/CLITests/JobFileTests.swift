import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// `freightliner run JOBS.yaml`: several syncs as one run, against real registries (one behind
    /// htpasswd, its credentials in a moto secret), verified with skopeo; every kind of mistake in
    /// a file named with its line and key; the command line winning over the file.
    @Suite("job files", .budget(minutes: 6))
    struct JobFileTests {
        static func write(_ text: String, in directory: TemporaryDirectory, name: String = "jobs.yaml") throws -> String {
            let path = directory.file(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        @Test("three jobs over two registries, one behind htpasswd with its credentials in a secret, as one run, verified")
        func threeJobs() async throws {
            let moto = try await MotoServer.started()
            let password = "pw-\(UUID().uuidString)"
            let (source, locked) = try await runBlocking {
                (try TestRegistry.start(), try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: password))))
            }
            let images = try await runBlocking { try StandardImages() }
            try await runBlocking {
                try images.push(to: source.reference("team/app"))
                try images.push(to: source.reference("tools/cli"))
            }
            let directory = TemporaryDirectory("jobs")
            var variables = moto.environment()
            variables["HOME"] = directory.path
            let environment = variables
            let secret = "aws-sm://registry/jobs-\(UUID().uuidString.prefix(8))"
            let stored = try await runBlocking {
                try CLI.run(["secrets", "put", secret], environment: environment, input: #"{"username":"robot","password":"\#(password)"}"#)
            }
            #expect(stored.status == 0, "\(stored.output)")
            let file = try Self.write("""
                version: 1
                defaults:
                  jobs: 4
                registries:
                  - host: \(locked.host)
                    credentials: { secret: "\(secret)" }
                    requests-per-second: 500
                jobs:
                  - name: apps
                    source: \(source.host)/team
                    destination: \(locked.host)/mirror/team
                    tags: { include: 'oci-.*' }
                  - name: tools
                    source: \(source.host)/tools
                    destination: \(locked.host)/mirror/tools
                  - name: local
                    source: \(source.host)/team
                    destination: \(source.host)/copies
                    tags: { exclude: 'docker-.*' }
                """, in: directory)
            let state = directory.file("state")
            let result = try await runBlocking {
                try CLI.run(["run", file, "--ui", "json", "--checkpoint-dir", state], environment: environment)
            }
            #expect(result.status == 0, "\(result.output)")
            let summary = try #require(CLI.summary(result.stdout), "\(result.output)")
            let ociTags = StandardImages.tags.keys.filter { $0.hasPrefix("oci-") }.sorted()
            #expect(summary.int("tags", "copied") == ociTags.count + StandardImages.tags.count + ociTags.count, "\(summary)")
            #expect(summary.int("repositories", "total") == 3)
            // The one scheduler deduplicates across jobs: team/app's blobs go to the same
            // registry for copies/ by mount or not at all, never twice over the wire to one repository.
            #expect((summary.int("blobs", "mounted") ?? 0) > 0, "tools/cli shares every blob with team/app: \(summary)")
            let statuses = CLI.jsonLines(result.stdout).filter { $0["event"] as? String == "secret_status" }
            #expect(statuses.contains { $0.string("reference") == secret && $0.string("state") == "loaded" }, "\(statuses)")
            try await runBlocking {
                for tag in ociTags {
                    #expect(try Skopeo.digest(locked.reference("mirror/team/app:\(tag)"), credentials: "robot:\(password)")
                            == (try Skopeo.digest(source.reference("team/app:\(tag)"))))
                    #expect(try Skopeo.digest(source.reference("copies/app:\(tag)")) == (try Skopeo.digest(source.reference("team/app:\(tag)"))))
                }
                for tag in StandardImages.tags.keys {
                    #expect(try Skopeo.digest(locked.reference("mirror/tools/cli:\(tag)"), credentials: "robot:\(password)")
                            == (try Skopeo.digest(source.reference("tools/cli:\(tag)"))))
                }
                let layout = TemporaryDirectory()
                try Skopeo.verifyByCopy(locked.reference("mirror/team/app:oci-multi"), into: layout.file("l"), credentials: "robot:\(password)")
            }
            #expect(!result.output.contains(password))
            for entry in FileManager.default.enumerator(atPath: state)?.compactMap({ $0 as? String }) ?? [] {
                let contents = FileManager.default.contents(atPath: "\(state)/\(entry)") ?? Data()
                #expect(contents.range(of: Data(password.utf8)) == nil, "the password is in \(entry)")
            }

            // Again: every tag is current, and the run says which job each repository is of.
            let again = try await runBlocking {
                try CLI.run(["run", file, "--ui", "json", "--checkpoint-dir", state], environment: environment)
            }
            let noop = try #require(CLI.summary(again.stdout), "\(again.output)")
            #expect(noop.int("tags", "copied") == 0 && noop.int("tags", "skipped") == summary.int("tags", "copied"), "\(noop)")
            let runID = try #require(noop.string("run_id"))
            let shown = try await runBlocking { try CLI.run(["checkpoints", "show", runID, "--checkpoint-dir", state]) }
            for name in ["apps", "tools", "local"] { #expect(shown.stdout.contains("job:         \(name): "), "\(shown.stdout)") }
        }

        /// Two jobs of the standard images (team/app to apps, tools/cli to tools) from a source
        /// whose blob reads are held, so a kill or a signal lands with tags finished and in flight.
        struct HeldTwoJobs {
            let upstream: TestRegistry, destination: TestRegistry, source: RegistryProxy
            let directory: TemporaryDirectory
            let file: String
            static let total = 2 * StandardImages.tags.count

            init(_ name: String) throws {
                upstream = try TestRegistry.start()
                destination = try TestRegistry.start()
                let images = try StandardImages(layerSize: 256 * 1024)
                try images.push(to: upstream.reference("team/app"))
                try images.push(to: upstream.reference("tools/cli"))
                source = try RegistryProxy(upstream: upstream, blobDelayMilliseconds: 250)
                directory = TemporaryDirectory(name)
                file = try JobFileTests.write("""
                    version: 1
                    defaults: { jobs: 1 }
                    jobs:
                      - { name: apps, source: "\(source.host)/team", destination: "\(destination.host)/apps" }
                      - { name: tools, source: "\(source.host)/tools", destination: "\(destination.host)/tools" }
                    """, in: directory)
            }

            /// Every tag of both jobs is at the destination with the source's digest.
            func verify() throws {
                for (from, to) in [("team/app", "apps/app"), ("tools/cli", "tools/cli")] {
                    for tag in StandardImages.tags.keys {
                        #expect(try Skopeo.digest(destination.reference("\(to):\(tag)")) == (try Skopeo.digest(upstream.reference("\(from):\(tag)"))))
                    }
                }
            }
        }

        @Test("a job file's run killed half way resumes with `resume`: finished tags are not redone, every job completes")
        func killedAndResumed() throws {
            let jobs = try HeldTwoJobs("jobs")
            let state = jobs.directory.file("state"), output = jobs.directory.file("out.json")
            let process = try CLI.start(["run", jobs.file, "--ui", "json", "--checkpoint-dir", state, "--run-id", "half"], output: output)
            try waitUntil(timeout: 60, "two tags finished") {
                CLI.jsonLines(contents(of: output)).filter { $0["event"] as? String == "tag_finished" }.count >= 2
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let before = CLI.jsonLines(contents(of: output)).filter { $0["event"] as? String == "tag_finished" }.count
            let total = HeldTwoJobs.total
            #expect(before < total, "killed before the end")

            let resumed = try CLI.run(["resume", "half", "--ui", "json", "--checkpoint-dir", state])
            #expect(resumed.status == 0, "\(resumed.output)")
            let summary = try #require(CLI.summary(resumed.stdout), "\(resumed.output)")
            #expect(summary.int("tags", "copied") == total, "\(summary)")
            #expect((summary.int("session", "tags_copied") ?? 0) <= total - before, "finished tags are not redone: \(summary)")
            try jobs.verify()
        }

        /// A file with one mistake, where it is, and what the message must say.
        struct Mistake: Sendable, CustomStringConvertible {
            let yaml: String
            let place: String
            let says: String
            var description: String { says }
        }

        static let job = "  - source: 127.0.0.1:1/team\n    destination: 127.0.0.1:2/mirror\n"
        static let named = "  - name: same\n    source: 127.0.0.1:1/team\n    destination: 127.0.0.1:2/mirror\n"
        static let mistakes: [Mistake] = [
            Mistake(yaml: "version: 1\njobs:\n" + job + "  tags: [a\n", place: ":5:3: ", says: "not YAML"),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    inclde: ['**']\n", place: ":5:5: jobs[0].inclde: ", says: "did you mean \"include\""),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    tags: { include: '(' }\n", place: ":5:11: jobs[0].tags: ",
                    says: "not a valid regular expression"),
            Mistake(yaml: "version: 1\njobs:\n  - source: 'https://127.0.0.1:1/team'\n    destination: 127.0.0.1:2/m\n",
                    place: ":3:13: jobs[0].source: ", says: "without a scheme"),
            Mistake(yaml: "version: 1\nregistries:\n  - host: 127.0.0.1:2\n    credentials: { secret: 'vault://x' }\njobs:\n" + job,
                    place: ":4:18: registries[0].credentials: ", says: "is not a secret reference"),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    jobs: 3\n", place: ":5:11: jobs[0].jobs: ", says: "set it under defaults"),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    compress-threads: 2\n", place: ":5:23: jobs[0].compress-threads: ",
                    says: "set it under defaults"),
            Mistake(yaml: "version: 1\ndefaults:\n  compress-threads: 0\njobs:\n" + job, place: ":3:21: defaults.compress-threads: ",
                    says: "must be 1-256, got 0"),
            Mistake(yaml: "version: 1\njobs:\n" + named + named, place: ":6:11: jobs[1].name: ", says: "also the name of jobs[0]"),
            Mistake(yaml: "version: 1\njobs:\n  - source: 127.0.0.1:1/team\n", place: ":3:5: jobs[0]: ", says: "destination: is missing"),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    src-creds: 'a:b'\n", place: ":5:16: jobs[0].src-creds: ", says: "password in the file"),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    latest: 0\n", place: ":5:13: jobs[0].latest: ", says: "--latest must be at least 1"),
            Mistake(yaml: "version: 1\njobs:\n" + job + "    prune-repos: true\n", place: ":5:18: jobs[0].prune-repos: ", says: "goes with --prune"),
            Mistake(yaml: "version: 1\ndefaults:\n  compress: { algorithm: gzip, level: 12 }\njobs:\n" + job,
                    place: ":3:13: defaults.compress: ", says: "must be 1-9, got 12"),
            Mistake(yaml: "version: 1\nregistries:\n  - host: 127.0.0.1:2\n    cert-dir: /no/such/dir\njobs:\n" + job,
                    place: ":4:15: registries[0].cert-dir: ", says: "not a directory"),
            Mistake(yaml: "version: 2\njobs: []\n", place: ":1:10: version: ", says: "only version 1"),
        ]

        @Test("every mistake exits 2 naming the file, line, column and key, before any network request", arguments: mistakes)
        func mistakesAreNamed(_ mistake: Mistake) throws {
            let directory = TemporaryDirectory("jobs")
            let file = try Self.write(mistake.yaml, in: directory)
            for command in [["run", "--check", file], ["run", file, "--checkpoint-dir", directory.file("state")]] {
                let result = try CLI.run(command)
                #expect(result.status == 2, "\(result.output)")
                #expect(result.stderr.contains("freightliner: \(file)\(mistake.place)"), "\(result.stderr)")
                #expect(result.stderr.contains(mistake.says), "\(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: directory.file("state")), "nothing is written for a bad file")
        }

        @Test("the README's example job file is valid as it stands (its paths made real)")
        func readmeExample() throws {
            let readme = try String(contentsOfFile: "\(Paths.root)/README.md", encoding: .utf8)
            let section = try #require(readme.range(of: "### run: job files"), "the README has the section")
            let rest = readme[section.upperBound...]
            let start = try #require(rest.range(of: "```yaml\n")), end = try #require(rest.range(of: "\n```", range: start.upperBound..<rest.endIndex))
            let directory = TemporaryDirectory("jobs")
            try FileManager.default.createDirectory(atPath: directory.file("certs"), withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.file("auth.json")))
            let example = String(rest[start.upperBound..<end.lowerBound])
                .replacingOccurrences(of: "/etc/freightliner/certs/internal", with: directory.file("certs"))
                .replacingOccurrences(of: "/etc/freightliner/old-auth.json", with: directory.file("auth.json"))
            let file = try Self.write(example, in: directory)
            let checked = try CLI.run(["run", "--check", file])
            #expect(checked.status == 0, "\(checked.output)")
            #expect(checked.stdout.contains("hub: docker.io/library -> registry.internal:5000/hub"), "\(checked.stdout)")
        }

        @Test("every sync option has its job-file spelling, or is said to be the command line's")
        func everyOptionIsSpelled() throws {
            let help = try Shell.check([Paths.binary, "sync", "--experimental-dump-help"]).stdout
            let tool = try #require(try JSONSerialization.jsonObject(with: Data(help.utf8)) as? [String: Any])
            let arguments = try #require((tool["command"] as? [String: Any])?["arguments"] as? [[String: Any]])
            let names = arguments.flatMap { ($0["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" } }
                .compactMap { $0["name"] as? String }.filter { $0 != "help" && $0 != "version" }
            #expect(names.count > 40, "\(names)")
            let directory = TemporaryDirectory("jobs")
            for name in names {
                let file = try Self.write("version: 1\njobs:\n" + Self.job + "    \(name): 'x'\n", in: directory)
                let result = try CLI.run(["run", "--check", file])
                #expect(!result.stderr.contains("unknown key"), "\(name): \(result.stderr)")
            }
        }

        @Test("the command line wins over the file; --dry-run prints the whole plan and writes nothing; --check needs no network")
        func commandLineWins() throws {
            let source = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages()
            try images.push(to: source.reference("team/app"))
            let directory = TemporaryDirectory("jobs")
            let file = try Self.write("""
                version: 1
                defaults: { jobs: 6 }
                jobs:
                  - name: one
                    source: \(source.host)/team
                    destination: \(destination.host)/a
                  - name: two
                    source: \(source.host)/team
                    destination: \(destination.host)/b
                    tags: 'oci-single'
                """, in: directory)
            let state = directory.file("state")

            let dry = try CLI.run(["run", file, "--dry-run", "--ui", "plain", "--checkpoint-dir", state])
            #expect(dry.status == 0, "\(dry.output)")
            for line in ["one/app:oci-single", "one/app:docker-list", "two/app:oci-single"] { #expect(dry.stdout.contains(line), "\(line): \(dry.stdout)") }
            #expect(!dry.stdout.contains("two/app:docker-list"), "\(dry.stdout)")
            #expect((try? Skopeo.tags(destination.reference("a/team/app")))?.isEmpty ?? true, "a dry run writes nothing")

            let first = try CLI.run(["run", file, "--jobs", "1", "--ui", "json", "--checkpoint-dir", state, "--run-id", "first"])
            #expect(CLI.summary(first.stdout)?.int("tags", "copied") == StandardImages.tags.count + 1, "\(first.output)")
            let shown = try CLI.run(["checkpoints", "show", "first", "--checkpoint-dir", state])
            #expect(shown.stdout.contains("one: \(source.host)/team -> \(destination.host)/a (jobs 1"), "\(shown.stdout)")

            let forced = try CLI.run(["run", file, "--force", "--ui", "json", "--checkpoint-dir", state])
            #expect(CLI.summary(forced.stdout)?.int("tags", "copied") == StandardImages.tags.count + 1, "--force copies again: \(forced.output)")

            // --check reads only the file: the registries may be gone.
            source.stop()
            destination.stop()
            let checked = try CLI.run(["run", "--check", file])
            #expect(checked.status == 0 && checked.stdout.contains("valid, 2 jobs"), "\(checked.output)")
        }
    }
}
