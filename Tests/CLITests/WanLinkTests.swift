import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// The parts of `make bench`'s WAN profile, for correctness only (no timing is asserted): the
    /// link emulator (`wan_link.py`) delays and caps what it carries and says so in its counters,
    /// and nginx fronts a registry with HTTPS and HTTP/2 under a test CA.
    @Suite("WAN profile: link emulator and HTTPS front", .budget(minutes: 4))
    struct WanLinkTests {
        @Test("every chunk through the link is held half a round trip each way, and one connection carries both requests")
        func delay() throws {
            let registry = try TestRegistry.start()
            let link = try WanLink(upstreamPort: Int(registry.host.split(separator: ":").last!)!, roundTripMilliseconds: 200)
            // Two requests on one connection (curl reuses it for the second URL).
            let result = try Shell.check(["curl", "-sf", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code}\n",
                                          "http://\(link.host)/v2/", "http://\(link.host)/v2/_catalog"])
            #expect(result.stdout == "200\n200\n", "\(result.output)")
            let stats = try link.stats()
            #expect(stats.connections == 1, "\(stats)")
            #expect(stats.bytesUp > 0 && stats.bytesDown > 0, "\(stats)")
            // Each way holds every chunk at least half the round trip: a request and its answer
            // take the whole of it.
            let held = try #require(stats.minimumDelayMilliseconds, "\(stats)")
            #expect(held >= 100, "\(stats)")
            #expect(stats.chunks >= 4, "two requests and two answers: \(stats)")
        }

        @Test("through a capped link every byte arrives intact, and the link reports the chunks it held back for the cap")
        func bandwidthCap() throws {
            let source = try TestRegistry.start()
            let destination = try TestRegistry.start()
            let images = try StandardImages(seed: 17, layerSize: 256 * 1024)
            try images.push(to: source.reference("team/app"))
            let link = try WanLink(upstreamPort: Int(source.host.split(separator: ":").last!)!, roundTripMilliseconds: 20,
                                   rate: 2_000_000)
            let result = try CLI.run(["copy", "\(link.host)/team/app:oci-multi", destination.reference("capped/app:oci-multi"),
                                      "--ui", "json"])
            #expect(result.status == 0, "\(result.output)\n\(link.log)")
            // skopeo copy to a layout checks every digest of what arrived.
            let layout = TemporaryDirectory("layout")
            try Shell.check(["skopeo", "copy", "--all", "--src-tls-verify=false", "docker://\(destination.reference("capped/app:oci-multi"))",
                             "oci:\(layout.file("copy")):oci-multi"])
            #expect(try Skopeo.digest(destination.reference("capped/app:oci-multi"))
                    == (try Skopeo.digest(source.reference("team/app:oci-multi"))))
            let stats = try link.stats()
            let copied = Int64(CLI.summary(result.stdout)?.int("bytes_transferred") ?? 0)
            #expect(copied > 3 * 256 * 1024, "three layers of 256 KiB at least: \(result.stdout)")
            #expect(stats.bytesDown >= copied, "every byte copied came down the link: \(stats)")
            #expect(stats.throttledChunks > 0, "a 2 MB/s line holds back chunks that arrive faster: \(stats)")
        }

        @Test("nginx serves the registry over HTTPS with HTTP/2: curl --http2 gets h2, freightliner trusts the CA only through --dest-cert-dir and speaks HTTP/2")
        func httpsFront() throws {
            let authority = try TestCertificateAuthority()
            let source = try TestRegistry.start()
            let registry = try TestRegistry.start()
            let front = try NginxFront(upstreamPort: Int(registry.host.split(separator: ":").last!)!, authority: authority)
            let images = try StandardImages(seed: 18)
            try images.push(to: source.reference("team/app"))

            let version = try Shell.check(["curl", "-s", "-o", "/dev/null", "-w", "%{http_version}", "--http2", "--cacert",
                                           authority.certificate, "https://\(front.remoteName)/v2/"])
            #expect(version.stdout == "2", "\(version.output)\n\(front.log)")

            let arguments = ["copy", source.reference("team/app:oci-multi"), "\(front.remoteName)/front/app:oci-multi", "--ui", "json"]
            let refused = try CLI.run(arguments)
            #expect(refused.status == 1 && refused.output.contains("is not trusted"), "the CA is not trusted by default: \(refused.output)")
            let certificates = TemporaryDirectory("certs")
            try authority.certificateDirectory(at: certificates.file("front"), client: false)
            let copied = try CLI.run(arguments + ["--dest-cert-dir", certificates.file("front")])
            #expect(copied.status == 0, "\(copied.output)\n\(front.log)")
            #expect(try Skopeo.digest(registry.reference("front/app:oci-multi")) == (try Skopeo.digest(source.reference("team/app:oci-multi"))))

            let requests = front.requests().filter { $0.path.hasPrefix("/v2/front/") }
            #expect(!requests.isEmpty, "\(front.requests())")
            #expect(requests.allSatisfy { $0.protocol == "HTTP/2.0" }, "every request of the copy over HTTP/2: \(requests)")
        }
    }
}
