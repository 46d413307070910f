import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// Start a sync, SIGKILL it at a random moment, resume, and again, until a session completes;
    /// then verify every image with skopeo. Every tag announced as finished must be in the next
    /// session's plan as done (and never copied again), and the bytes uploaded beyond a clean run's
    /// must fit in what can be in flight at a kill.
    ///
    /// `make test` runs one round of at most `shortKills` kills. `make soak` sets
    /// `FREIGHTLINER_SOAK_SECONDS` and rounds repeat, each on a fresh destination, until the time
    /// is up. `FREIGHTLINER_SOAK_SEED` replays the kill moments of an earlier run.
    @Suite("kill soak", .budget(minutes: 5))
    struct KillSoakTests {
        static let layerSize = 256 * 1024
        static let jobs = 2
        static let shortKills = 5
        static let soakKills = 8

        static var soakSeconds: Double? {
            ProcessInfo.processInfo.environment["FREIGHTLINER_SOAK_SECONDS"].flatMap(Double.init)
        }

        static var seed: UInt64 {
            ProcessInfo.processInfo.environment["FREIGHTLINER_SOAK_SEED"].flatMap(UInt64.init)
                ?? UInt64(Date().timeIntervalSince1970 * 1000)
        }

        /// A fresh destination behind a proxy that counts the bytes uploaded through it (an upload
        /// killed half way counts what it sent), and a checkpoint directory.
        struct Destination {
            let registry: TestRegistry
            let proxy: RegistryProxy
            let state = TemporaryDirectory("soak")

            init() throws {
                registry = try TestRegistry.start()
                proxy = try RegistryProxy(upstream: registry)
            }

            var runs: String { state.file("runs") }

            func syncArguments(from source: RegistryProxy) -> [String] {
                ["sync", source.host, "\(proxy.host)/mirror", "--ui", "json", "--jobs", "\(KillSoakTests.jobs)", "--run-id", "soak",
                 "--checkpoint-dir", runs]
            }
        }

        /// What one round of kills and resumes did.
        struct Round {
            var kills = 0
            var sessions = 0
            var uploadedBytes: Int64 = 0
            var reuploadsOfPlaced = 0
            var summary: [String: Any] = [:]
        }

        @Test("SIGKILL at random moments, resume until complete: every image verified, only work in flight redone")
        func killSoak() throws {
            let seed = Self.seed
            var random = SeededRandom(seed: seed)
            let source = try TestRegistry.start(.init(catalogPageSize: 2))
            _ = try SyncCorpus(pushTo: source, layerSize: Self.layerSize)
            // Blob reads held 60 ms each: the run lasts long enough for kills to land in every phase.
            let sourceProxy = try RegistryProxy(upstream: source, tagsPageSize: 10, blobDelayMilliseconds: 60)

            // A clean run: how many bytes an uninterrupted sync uploads, and how long it takes.
            let clean = try Destination()
            let cleanStart = Date()
            let cleanRun = try CLI.run(clean.syncArguments(from: sourceProxy))
            let cleanSeconds = Date().timeIntervalSince(cleanStart)
            #expect(cleanRun.status == 0, "\(cleanRun.output)")
            let cleanBytes = try clean.proxy.stats().requestBodyBytes
            let cleanSummaryBytes = CLI.summary(cleanRun.stdout)?.int("bytes_transferred") ?? 0
            // What a kill can make a resume redo: the uploads in flight (one per job, each at most
            // the largest blob, the shared base layer of two layers' worth), the manifests of the
            // tags in flight (two per job), and the blobs those tags had finished, which no
            // checkpoint records: each shared one (the two base layers, three layers' worth) may
            // be uploaded into the next repository that needs it instead of mounted.
            let largestBlob = Int64(2 * Self.layerSize + 64 * 1024)
            let inFlightBound = Int64(Self.jobs) * largestBlob + Int64(2 * Self.jobs) * 16 * 1024
                + Int64(3 * Self.layerSize + 128 * 1024)

            let deadline = Self.soakSeconds.map { Date().addingTimeInterval($0) }
            let maxKills = deadline == nil ? Self.shortKills : Self.soakKills
            var rounds = 0, kills = 0, sessions = 0
            var recopied: Int64 = 0, worstRoundRecopied: Int64 = 0
            var runBytes: Int64 = 0, lastSessionBytes: Int64 = 0, reuploads = 0
            repeat {
                let destination = try Destination()
                let round = try run(destination, from: sourceProxy, maxKills: maxKills, cleanSeconds: cleanSeconds, random: &random)
                rounds += 1
                kills += round.kills
                sessions += round.sessions
                let extra = round.uploadedBytes - cleanBytes
                #expect(extra <= Int64(round.kills) * inFlightBound,
                        "seed \(seed): \(extra) bytes uploaded again after \(round.kills) kills; at most \(inFlightBound) per kill may be redone")
                recopied += max(0, extra)
                worstRoundRecopied = max(worstRoundRecopied, extra)
                reuploads += round.reuploadsOfPlaced
                runBytes += Int64(round.summary.int("bytes_transferred") ?? 0)
                lastSessionBytes += Int64(round.summary.int("session", "bytes_transferred") ?? 0)
                try verify(destination, against: source)
            } while deadline.map { Date() < $0 } ?? false
            #expect(kills > 0, "seed \(seed): no kill landed before the run completed")

            Figures.record("soak.seed", seed)
            Figures.record("soak.rounds", rounds)
            Figures.record("soak.kill_cycles", kills)
            Figures.record("soak.sessions", sessions)
            Figures.record("soak.clean_run_seconds", String(format: "%.2f", cleanSeconds))
            Figures.record("soak.clean_upload_bytes_per_round", cleanBytes)
            Figures.record("soak.clean_summary_bytes_transferred", cleanSummaryBytes)
            Figures.record("soak.recopied_bytes_total", recopied)
            Figures.record("soak.recopied_bytes_worst_round", worstRoundRecopied)
            Figures.record("soak.recopied_bytes_bound_per_kill", inFlightBound)
            Figures.record("soak.checkpointed_blobs_uploaded_again", reuploads)
            Figures.record("soak.summary_bytes_transferred_total", runBytes)
            Figures.record("soak.summary_last_session_bytes_transferred_total", lastSessionBytes)
            Figures.record("soak.images_verified", rounds * SyncCorpus.references.count)
        }

        @Test("a run killed before its first checkpoint: resume says to start it again, and the same sync starts it")
        func killedBeforeFirstCheckpoint() throws {
            let setup = try SyncCommandTests.Setup()
            // What a process killed between taking the run's lock and writing its first snapshot
            // leaves behind: the directory, an empty journal and the lock file.
            let run = setup.state.file("runs/early")
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            for name in ["journal", "lock"] { _ = FileManager.default.createFile(atPath: "\(run)/\(name)", contents: nil) }

            let resume = try CLI.run(["resume", "early"] + setup.checkpoints)
            #expect(resume.status == 2)
            #expect(resume.stderr.contains("before its first checkpoint") && resume.stderr.contains("--run-id early"), "\(resume.stderr)")
            let again = try setup.sync(["--run-id", "early"])
            #expect(again.status == 0, "\(again.output)")
            #expect(CLI.summary(again.stdout)?.int("tags", "copied") == SyncCorpus.tagCount)
            let twice = try setup.sync(["--run-id", "early"])
            #expect(twice.status == 2 && twice.stderr.contains("already exists"), "a run with a checkpoint is never started over: \(twice.output)")
        }

        /// Sessions until one completes, killing each of the first `maxKills` at a random moment
        /// within the time the work left would take (a clean run's time, scaled by the share of
        /// tags not yet done), so kills keep landing while less and less is left.
        private func run(_ destination: Destination, from source: RegistryProxy, maxKills: Int, cleanSeconds: Double,
                         random: inout SeededRandom) throws -> Round {
            var round = Round()
            var done: Set<String> = []
            var copied: Set<String> = []
            while true {
                let output = destination.state.file("session-\(round.sessions).out")
                // Killed before its first checkpoint, a run is started again as it was.
                let saved = FileManager.default.fileExists(atPath: "\(destination.runs)/soak/checkpoint")
                let arguments = saved ? ["resume", "soak", "--ui", "json", "--checkpoint-dir", destination.runs]
                                      : destination.syncArguments(from: source)
                // Blobs the checkpoint knows are placed: this session must mount or skip them, never
                // upload them again.
                let placed = saved ? try SavedRun(directory: "\(destination.runs)/soak").placedBlobs : []
                let process = try CLI.start(arguments, output: output)
                round.sessions += 1
                var killed = false
                if round.kills < maxKills {
                    // The kill moment is the point of the test: a random time, not a condition.
                    let left = Double(SyncCorpus.tagCount - done.count) / Double(SyncCorpus.tagCount)
                    // 0.7: a session is at times faster than the clean run it is scaled from.
                    let window = max(0.05, cleanSeconds * left * 0.7)
                    let moment = Date().addingTimeInterval(Double.random(in: 0.02...window, using: &random))
                    while process.isRunning, Date() < moment { usleep(2_000) }
                    if process.isRunning {
                        kill(process.processIdentifier, SIGKILL)
                        killed = true
                        round.kills += 1
                    }
                }
                process.waitUntilExit()
                let text = contents(of: output)
                let lines = CLI.jsonLines(text)
                if saved, let planned = lines.first(where: { $0.string("event") == "planned" }) {
                    let inPlan = (planned["repositories"] as? [[String: Any]] ?? []).reduce(0) { $0 + (($1["done"] as? Int) ?? 0) }
                    #expect(inPlan >= done.count, "a tag announced as finished was not in the checkpoint: \(inPlan) < \(done.count)")
                }
                let uploadedAgain = lines.filter {
                    $0.string("event") == "blob_finished" && $0.string("transfer") == "uploaded" && placed.contains($0.string("digest") ?? "")
                }
                #expect(uploadedAgain.isEmpty, "blobs the checkpoint had as placed were uploaded again: \(uploadedAgain)")
                round.reuploadsOfPlaced += uploadedAgain.count
                for line in lines where line.string("event") == "tag_finished" {
                    let key = "\(line.string("repository") ?? ""):\(line.string("tag") ?? "")"
                    switch line.string("status") {
                    case "copied":
                        #expect(!copied.contains(key), "\(key) was copied again after it was announced as copied")
                        copied.insert(key)
                        done.insert(key)
                    case "skipped":
                        done.insert(key)
                    default:
                        Issue.record("\(key) failed: \(line)")
                    }
                }
                guard killed else {
                    #expect(process.terminationStatus == 0, "\(text)")
                    round.summary = try #require(CLI.summary(text), "\(text)")
                    #expect(round.summary.string("status") == "completed")
                    // Every tag is done. Not every one need have been announced: a session can be
                    // killed after a tag's journal record is synced and before its event is out
                    // (announced implies durable, not the converse), so the run's totals decide.
                    let finished = (round.summary.int("tags", "copied") ?? 0) + (round.summary.int("tags", "skipped") ?? 0)
                    #expect(finished == SyncCorpus.tagCount && round.summary.int("tags", "failed") == 0, "\(round.summary)")
                    #expect(done.count <= SyncCorpus.tagCount)
                    round.uploadedBytes = try destination.proxy.stats().requestBodyBytes
                    return round
                }
            }
        }

        /// Every image at the destination has the source's digest and reads back whole in skopeo.
        private func verify(_ destination: Destination, against source: TestRegistry) throws {
            for reference in SyncCorpus.references {
                #expect(try Skopeo.digest("\(destination.registry.host)/mirror/\(reference)") == (try Skopeo.digest("\(source.host)/\(reference)")),
                        "\(reference)")
                let layout = TemporaryDirectory()
                try Skopeo.verifyByCopy("\(destination.registry.host)/mirror/\(reference)", into: layout.file("layout"))
            }
        }
    }
}
