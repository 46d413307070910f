import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// Copies from (and to) a hostile registry into a real one: each misbehaviour fails cleanly,
    /// with a message that says what was wrong, leaves no partial image at the destination, and no
    /// credential goes to a host it does not belong to.
    @Suite("hostile registries", .budget(minutes: 3))
    struct HostileRegistryTests {
        /// The stalled-transfer window, shortened so a slowloris is caught in seconds.
        static let environment = ["FREIGHTLINER_LOW_SPEED_TIME": "2"]

        struct Outcome {
            let result: Shell.Result
            let seconds: Double
            var summary: [String: Any]? { CLI.summary(result.stdout) }
            /// The failures the summary lists, or stderr for a run that did not get that far.
            var reasons: String {
                let failures = (summary?["failures"] as? [[String: Any]] ?? []).compactMap { $0.string("reason") }
                return failures.joined(separator: "\n") + result.stderr
            }
        }

        func copy(_ hostile: HostileRegistry, to destination: TestRegistry, _ extra: [String] = []) throws -> Outcome {
            let started = Date()
            let result = try CLI.run(["copy", hostile.reference, destination.reference("\(HostileRegistry.repository):\(HostileRegistry.tag)"),
                                      "--ui", "json", "--src-creds", HostileRegistry.credentials, "--retries", "2"] + extra,
                                     environment: Self.environment)
            return Outcome(result: result, seconds: Date().timeIntervalSince(started))
        }

        /// The destination has no trace of the repository: no tag, no manifest.
        func expectNoImage(_ destination: TestRegistry, _ context: Outcome) throws {
            let status = try Shell.check(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                          "http://\(destination.host)/v2/\(HostileRegistry.repository)/tags/list"]).stdout
            #expect(status == "404", "the destination has the repository: \(context.result.output)")
        }

        func blobStatus(_ destination: TestRegistry, _ digest: String) throws -> String {
            try Shell.check(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-I",
                             "http://\(destination.host)/v2/\(HostileRegistry.repository)/blobs/\(digest)"]).stdout
        }

        @Test("the well-behaved mode copies (so the failures below are the hostility's doing)")
        func baseline() throws {
            let hostile = try HostileRegistry(mode: "ok")
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 0, "\(outcome.result.output)")
            #expect(try Skopeo.digest(destination.reference("\(HostileRegistry.repository):\(HostileRegistry.tag)"))
                    == (try Skopeo.digest(hostile.reference, credentials: HostileRegistry.credentials)))
        }

        @Test("a manifest over the 4 MiB cap, announced or chunked, is refused before it is read whole",
              arguments: ["big-manifest", "big-manifest-chunked"])
        func oversizedManifest(mode: String) throws {
            let hostile = try HostileRegistry(mode: mode)
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 1, "\(outcome.result.output)")
            #expect(outcome.reasons.contains("over the 4194304-byte limit"), "\(outcome.reasons)")
            #expect(outcome.reasons.contains("\(hostile.host)/\(HostileRegistry.repository)"), "the message names the source: \(outcome.reasons)")
            try expectNoImage(destination, outcome)
        }

        @Test("a blob whose bytes do not match its digest fails the copy; the blob never lands")
        func corruptBlob() throws {
            let hostile = try HostileRegistry(mode: "bad-blob")
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 1, "\(outcome.result.output)")
            #expect(outcome.reasons.contains("does not match its digest"), "\(outcome.reasons)")
            try expectNoImage(destination, outcome)
            let manifest = try ManifestDocument(bytes: try Skopeo.rawManifest(hostile.reference, credentials: HostileRegistry.credentials),
                                                contentType: nil, source: "hostile")
            guard case .image(let image) = manifest.content else { Issue.record("expected an image manifest"); return }
            for layer in image.layers {
                #expect(try blobStatus(destination, layer.digest.description) == "404", "the corrupt layer reached the destination")
            }
        }

        @Test("a redirect to another host is followed without the credentials")
        func redirectToAnotherHost() throws {
            let hostile = try HostileRegistry(mode: "redirect")
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 0, "\(outcome.result.output)")
            let collected = try hostile.collectorLog()
            #expect(!collected.isEmpty, "the blobs came from the other host")
            for request in collected {
                #expect(request["authorization"] as? Bool == false, "credentials followed a redirect to \(hostile.collectorHost): \(request)")
            }
            #expect(try hostile.registryLog().contains { $0["authorization"] as? Bool == true }, "the registry itself got them")
            #expect(try Skopeo.digest(destination.reference("\(HostileRegistry.repository):\(HostileRegistry.tag)"))
                    == (try Skopeo.digest(hostile.reference, credentials: HostileRegistry.credentials)))
        }

        @Test("an upload Location on another host receives the blob but not the credentials")
        func uploadLocationOnAnotherHost() throws {
            let source = try TestRegistry.start()
            try StandardImages().push(to: source.reference("std/images"))
            let hostile = try HostileRegistry(mode: "upload-location")
            let result = try CLI.run(["copy", source.reference("std/images:oci-single"), hostile.reference, "--ui", "json",
                                      "--dest-creds", HostileRegistry.credentials, "--retries", "2"], environment: Self.environment)
            let uploads = try hostile.collectorLog().filter { ($0["path"] as? String)?.hasPrefix("/upload/") == true }
            #expect(!uploads.isEmpty, "the blobs went to the Location the registry gave: \(result.output)")
            for request in uploads {
                #expect(request["authorization"] as? Bool == false, "credentials followed an upload Location to another host: \(request)")
            }
            #expect(try hostile.registryLog().contains { $0["method"] as? String == "POST" && $0["authorization"] as? Bool == true })
        }

        @Test("a token realm over plain HTTP on another host gets no credentials, and the failure says why")
        func tokenRealmOnAnotherHost() throws {
            let hostile = try HostileRegistry(mode: "token-realm")
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 1, "\(outcome.result.output)")
            #expect(outcome.reasons.contains("does not send credentials there"), "\(outcome.reasons)")
            #expect(outcome.reasons.contains(hostile.collectorHost.split(separator: ":")[0]), "the message names the realm host: \(outcome.reasons)")
            let tokenRequests = try hostile.collectorLog().filter { ($0["path"] as? String)?.hasPrefix("/token") == true }
            #expect(!tokenRequests.isEmpty)
            for request in tokenRequests {
                #expect(request["authorization"] as? Bool == false, "credentials went to a plain-HTTP realm on another host: \(request)")
            }
            #expect(!outcome.result.output.contains(HostileRegistry.password))
            try expectNoImage(destination, outcome)
        }

        @Test("endless tag pagination (a self link, a two-page cycle, a registry ignoring 'last') is refused",
              arguments: [("link-loop", "pagination loops back"), ("link-cycle", "pagination loops back"),
                          ("link-stuck", "pagination does not advance")])
        func endlessTagPagination(mode: String, message: String) throws {
            let hostile = try HostileRegistry(mode: mode)
            let destination = try TestRegistry.start()
            let started = Date()
            let result = try CLI.run(["copy", "--all-tags", "\(hostile.host)/\(HostileRegistry.repository)",
                                      destination.reference(HostileRegistry.repository), "--src-creds", HostileRegistry.credentials],
                                     environment: Self.environment)
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains(message) && result.stderr.contains("list tags of \(hostile.host)/\(HostileRegistry.repository)"),
                    "\(result.stderr)")
            #expect(Date().timeIntervalSince(started) < 30)
            #expect(try hostile.registryLog().filter { ($0["path"] as? String)?.hasSuffix("/tags/list") == true }.count < 10,
                    "gave up after a few pages")
            try expectNoImage(destination, Outcome(result: result, seconds: 0))

            let listing = try CLI.run(["ls", "\(hostile.host)/\(HostileRegistry.repository)", "--src-creds", HostileRegistry.credentials])
            #expect(listing.status == 2 && listing.stderr.contains(message), "\(listing.output)")
        }

        @Test("an endless catalog is refused by sync before anything is copied")
        func endlessCatalog() throws {
            let hostile = try HostileRegistry(mode: "catalog-loop")
            let destination = try TestRegistry.start()
            let state = TemporaryDirectory("state")
            let result = try CLI.run(["sync", hostile.host, "\(destination.host)/mirror", "--src-creds", HostileRegistry.credentials,
                                      "--checkpoint-dir", state.file("runs")], environment: Self.environment)
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains("pagination loops back"), "\(result.stderr)")
            let catalog = try Shell.check(["curl", "-s", "http://\(destination.host)/v2/_catalog"]).stdout
            #expect(catalog.contains(#""repositories":[]"#), "\(catalog)")
        }

        @Test("a 1 MiB header line, or 300 KiB of small ones, is refused, naming the limit",
              arguments: [("huge-header", "a response header line is larger than the 100 KiB libcurl accepts"),
                          ("many-headers", "the response headers exceed 262144 bytes")])
        func hugeHeaders(mode: String, message: String) throws {
            let hostile = try HostileRegistry(mode: mode)
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 1, "\(outcome.result.output)")
            #expect(outcome.reasons.contains(message), "\(outcome.reasons)")
            try expectNoImage(destination, outcome)
        }

        @Test("a slowloris answer is cut off by the low-speed limit and fails in bounded time")
        func slowloris() throws {
            let hostile = try HostileRegistry(mode: "slowloris")
            let destination = try TestRegistry.start()
            let outcome = try copy(hostile, to: destination)
            #expect(outcome.result.status == 1, "\(outcome.result.output)")
            #expect(outcome.reasons.contains("too slow"), "\(outcome.reasons)")
            // Two attempts of a 2 s window and a backoff, not the minutes the trickle would take.
            #expect(outcome.seconds < 20, "took \(outcome.seconds) s")
            try expectNoImage(destination, outcome)
            Figures.record("hostile.slowloris_seconds", String(format: "%.1f", outcome.seconds))
        }

        @Test("listed names that are paths ('..' in a repository, a tag like ../../x/manifests/y) are refused before any request uses them",
              arguments: [("evil-catalog", "invalid repository name"), ("evil-tags", "invalid tag")])
        func namesThatArePaths(mode: String, message: String) throws {
            let hostile = try HostileRegistry(mode: mode)
            let destination = try TestRegistry.start()
            let state = TemporaryDirectory("state")
            let result = try CLI.run(["sync", hostile.host, "\(destination.host)/mirror", "--src-creds", HostileRegistry.credentials,
                                      "--checkpoint-dir", state.file("runs")])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains(message) && result.stderr.contains("../"), "\(result.stderr)")
            let catalog = try Shell.check(["curl", "-s", "http://\(destination.host)/v2/_catalog"]).stdout
            #expect(catalog.contains(#""repositories":[]"#), "nothing reached the destination, least of all outside mirror/: \(catalog)")
            #expect(try hostile.registryLog().allSatisfy { !(($0["path"] as? String) ?? "").contains("escape") },
                    "no request was made for a listed path")
        }

        @Test("a registry's error message cannot drive the terminal: control characters are escaped in every output",
              arguments: ["plain", "json"])
        func escapeSequencesInErrors(ui: String) throws {
            let hostile = try HostileRegistry(mode: "escape-error")
            let destination = try TestRegistry.start()
            let result = try CLI.run(["copy", hostile.reference, destination.reference("\(HostileRegistry.repository):\(HostileRegistry.tag)"),
                                      "--ui", ui, "--src-creds", HostileRegistry.credentials])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("bad manifest"), "the registry's message is shown: \(result.output)")
            let bytes = Array(result.output.utf8)
            #expect(!bytes.contains(0x1B) && !bytes.contains(0x07), "raw escape sequences reached the output")
            #expect(!result.output.unicodeScalars.contains("\u{9B}"), "a raw C1 CSI reached the output")
        }
    }
}
