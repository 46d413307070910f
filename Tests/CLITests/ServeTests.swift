import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// `freightliner serve JOBS.yaml`: cycles on a schedule against real registries, SIGHUP
    /// reloads, SIGTERM stops cleanly, and an interrupted cycle resumes on the next start.
    @Suite("serve", .budget(minutes: 6))
    struct ServeTests {
        static func events(_ path: String, _ name: String) -> [[String: Any]] {
            CLI.jsonLines(contents(of: path)).filter { $0["event"] as? String == name }
        }

        @Test("serve --every 2s copies a tag pushed between cycles, reloads on SIGHUP (a broken file keeps the old jobs), keeps --keep-runs cycles, exits 0 on SIGTERM")
        func cycles() throws {
            let source = try TestRegistry.start(), destination = try TestRegistry.start()
            let images = try StandardImages()
            try images.push(to: source.reference("team/app"))
            try images.push(to: source.reference("tools/cli"))
            let directory = TemporaryDirectory("serve")
            let one = """
                version: 1
                jobs:
                  - { name: apps, source: "\(source.host)/team", destination: "\(destination.host)/mirror" }
                """
            let file = try JobFileTests.write(one, in: directory)
            let state = directory.file("state"), output = directory.file("out.json")
            let process = try CLI.start(["serve", file, "--every", "2s", "--keep-runs", "2", "--ui", "json", "--checkpoint-dir", state],
                                        output: output)
            defer { CLI.reap(process) }
            func summaries() -> [[String: Any]] { Self.events(output, "summary") }

            try waitUntil(timeout: 60, "the first cycle") { summaries().count >= 1 }
            #expect(summaries()[0].int("tags", "copied") == StandardImages.tags.count, "\(contents(of: output))")
            try waitUntil(timeout: 30, "the second cycle scheduled") { Self.events(output, "cycle_scheduled").count >= 2 }
            let scheduled = Self.events(output, "cycle_scheduled")
            #expect(scheduled[0].int("in_seconds") == 0, "the first cycle starts at once")
            #expect((scheduled[1].int("in_seconds") ?? 99) <= 2)

            // A tag pushed to the source between cycles is copied by the next one, and only it.
            try Fixtures.push(layout: images.layout, tag: "oci-single", to: source.reference("team/app:pushed-later"))
            try waitUntil(timeout: 60, "a cycle that copies the new tag") {
                summaries().contains { $0.int("tags", "copied") == 1 }
            }
            #expect(try Skopeo.digest(destination.reference("mirror/app:pushed-later")) == (try Skopeo.digest(source.reference("team/app:oci-single"))))
            let quiet = summaries().filter { $0.int("tags", "copied") == 0 }
            #expect(quiet.allSatisfy { $0.int("tags", "failed") == 0 }, "\(quiet)")

            // SIGHUP with a second job: the next cycle copies it.
            _ = try JobFileTests.write(one + """

                  - { name: tools, source: "\(source.host)/tools", destination: "\(destination.host)/tools" }
                """, in: directory)
            kill(process.processIdentifier, SIGHUP)
            try waitUntil(timeout: 30, "the reload") { Self.events(output, "reloaded").count == 1 }
            #expect(Self.events(output, "reloaded")[0].int("jobs") == 2)
            try waitUntil(timeout: 60, "a cycle of both jobs") {
                summaries().contains { $0.int("repositories", "total") == 2 && $0.int("tags", "copied") == StandardImages.tags.count }
            }
            for tag in StandardImages.tags.keys {
                #expect(try Skopeo.digest(destination.reference("tools/cli:\(tag)")) == (try Skopeo.digest(source.reference("tools/cli:\(tag)"))))
            }

            // SIGHUP with a broken file: said with file and line, and the cycles go on with both jobs.
            _ = try JobFileTests.write("version: 1\njobs:\n  - { name: apps, sorce: x }\n", in: directory)
            kill(process.processIdentifier, SIGHUP)
            try waitUntil(timeout: 30, "the failed reload") { Self.events(output, "reload_failed").count == 1 }
            let failed = Self.events(output, "reload_failed")[0].string("error") ?? ""
            let path = URL(fileURLWithPath: file).standardizedFileURL.path
            #expect(failed.contains("\(path):3:") && failed.contains("sorce"), "\(failed)")
            let before = summaries().count
            try waitUntil(timeout: 60, "a cycle after the failed reload") { summaries().count > before }
            #expect(summaries().last?.int("repositories", "total") == 2, "the jobs read before still run")

            // Only the newest two cycles are kept.
            let runs = try FileManager.default.contentsOfDirectory(atPath: state).filter { !$0.hasPrefix(".") }
            #expect(runs.count <= 3, "--keep-runs 2 (and the cycle in progress): \(runs)")

            kill(process.processIdentifier, SIGTERM)
            try CLI.waitForExit(process, timeout: 60, "serve to exit")
            #expect(process.terminationStatus == 0, "\(contents(of: output))")
            #expect(Self.events(output, "serve_stopped").count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: state).filter { !$0.hasPrefix(".") }.count <= 2)
        }

        @Test("SIGTERM mid-cycle lets transfers finish, saves and exits 0; the next serve resumes that cycle; one serve per job file")
        func stopAndResume() throws {
            let jobs = try JobFileTests.HeldTwoJobs("serve")
            let state = jobs.directory.file("state"), first = jobs.directory.file("first.json")
            let arguments = ["serve", jobs.file, "--every", "1h", "--ui", "json", "--checkpoint-dir", state]
            let process = try CLI.start(arguments, output: first)
            defer { CLI.reap(process) }
            try waitUntil(timeout: 60, "two tags finished") { Self.events(first, "tag_finished").count >= 2 }

            kill(process.processIdentifier, SIGTERM)
            try CLI.waitForExit(process, timeout: 60, "serve to exit")
            #expect(process.terminationStatus == 0, "\(contents(of: first))")
            #expect(Self.events(first, "stopping").count == 1)
            let stopped = try #require(CLI.summary(contents(of: first)), "\(contents(of: first))")
            #expect(stopped.string("status") == "interrupted", "\(stopped)")
            let done = Self.events(first, "tag_finished").count
            let total = JobFileTests.HeldTwoJobs.total
            #expect(done < total, "stopped before the end")
            let cycle = try #require(stopped.string("run_id"))

            // Started again: the interrupted cycle is resumed, its finished tags not redone.
            let again = jobs.directory.file("again.json")
            let restarted = try CLI.start(arguments, output: again)
            defer { CLI.reap(restarted) }
            try waitUntil(timeout: 90, "the resumed cycle to finish") { CLI.summary(contents(of: again)) != nil }
            #expect(Self.events(again, "cycle_resumed").first?.string("run_id") == cycle, "\(contents(of: again))")
            let resumed = try #require(CLI.summary(contents(of: again)))
            #expect(resumed.string("run_id") == cycle && resumed.string("status") == "completed", "\(resumed)")
            #expect(resumed.int("tags", "copied") == total, "\(resumed)")
            #expect((resumed.int("session", "tags_copied") ?? 0) <= total - done, "finished tags are not redone: \(resumed)")
            // A second serve of the same file and directory refuses while this one waits, naming the reason.
            let second = try CLI.run(arguments)
            #expect(second.status == 2 && second.stderr.contains("in use by another `freightliner serve"), "\(second.output)")
            kill(restarted.processIdentifier, SIGINT)
            try CLI.waitForExit(restarted, timeout: 30, "serve to exit")
            #expect(restarted.terminationStatus == 0, "\(contents(of: again))")
            try jobs.verify()
        }

        @Test("a cycle that cannot plan (the source is down) is said, and the next cycle tries again")
        func failedCycle() throws {
            let destination = try TestRegistry.start()
            let directory = TemporaryDirectory("serve")
            let file = try JobFileTests.write("""
                version: 1
                defaults: { retry-times: 0 }
                jobs:
                  - { source: "127.0.0.1:1/team", destination: "\(destination.host)/mirror" }
                """, in: directory)
            let output = directory.file("out.json")
            let process = try CLI.start(["serve", file, "--every", "1s", "--ui", "json", "--checkpoint-dir", directory.file("state")],
                                        output: output)
            defer { CLI.reap(process) }
            try waitUntil(timeout: 60, "two failed cycles") { Self.events(output, "cycle_failed").count >= 2 }
            let failed = Self.events(output, "cycle_failed")[0]
            #expect(failed.string("error")?.contains("127.0.0.1:1") == true, "\(failed)")
            #expect(process.isRunning)
            kill(process.processIdentifier, SIGTERM)
            try CLI.waitForExit(process, timeout: 30, "serve to exit")
            #expect(process.terminationStatus == 0, "\(contents(of: output))")
        }

        @Test("bad schedules and counts are refused up front, naming the value")
        func badOptions() throws {
            let directory = TemporaryDirectory("serve")
            let file = try JobFileTests.write("version: 1\njobs:\n  - { source: 127.0.0.1:1/a, destination: 127.0.0.1:2/b }\n", in: directory)
            for (arguments, says) in [
                (["--every", "soon"], "\"soon\" is not a duration"),
                (["--cron", "61 * * * *"], "the minute field \"61\""),
                (["--cron", "* * *"], "needs five fields"),
                (["--every", "1m", "--cron", "0 * * * *"], "give one"),
                (["--keep-runs", "0"], "--keep-runs must be 1 or more, got 0"),
            ] {
                let result = try CLI.run(["serve", file] + arguments + ["--checkpoint-dir", directory.file("state")])
                #expect(result.status == 2 && result.stderr.contains(says), "\(arguments): \(result.output)")
            }
        }
    }
}
