import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// Registries whose certificates only a private CA vouches for, and one that requires client
    /// certificates (distribution's `http.tls.clientcas`): trusted the ways skopeo users trust them.
    @Suite("private certificate authorities", .budget(minutes: 5))
    struct PrivateCATests {
        struct Setup {
            let authority = try! TestCertificateAuthority()
            let source = try! TestRegistry.start()
            let images = try! StandardImages()

            init() throws {
                try images.push(to: source.reference("team/app"))
            }

            /// Copies the standard single image into `registry` (by its remote name).
            func copy(to registry: TestRegistry, _ extra: [String] = [], environment: [String: String] = [:]) throws -> Shell.Result {
                try CLI.run(["copy", source.reference("team/app:oci-single"), "\(registry.remoteName)/ca/app:v1"] + extra,
                            environment: environment)
            }

            func expectCopied(into registry: TestRegistry) throws {
                #expect(try Skopeo.digest(registry.reference("ca/app:v1"))
                        == (try Skopeo.digest(source.reference("team/app:oci-single"))))
            }
        }

        @Test("without trust the copy fails with a certificate message; --dest-cert-dir, SSL_CERT_FILE and SSL_CERT_DIR each make it work")
        func certificateDirectory() throws {
            let setup = try Setup()
            let registry = try TestRegistry.start(.init(authority: setup.authority))
            let refused = try setup.copy(to: registry)
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("is not trusted") && refused.output.contains("--dest-cert-dir"), "\(refused.output)")

            let directory = TemporaryDirectory("certs")
            try setup.authority.certificateDirectory(at: directory.file("certs"), client: false)
            let trusted = try setup.copy(to: registry, ["--dest-cert-dir", directory.file("certs")])
            #expect(trusted.status == 0, "\(trusted.output)")
            try setup.expectCopied(into: registry)

            let other = try TestRegistry.start(.init(authority: setup.authority))
            let file = try setup.copy(to: other, environment: ["SSL_CERT_FILE": setup.authority.certificate])
            #expect(file.status == 0, "SSL_CERT_FILE: \(file.output)")
            try setup.expectCopied(into: other)

            let third = try TestRegistry.start(.init(authority: setup.authority))
            try FileManager.default.createDirectory(atPath: directory.file("hashed"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: setup.authority.certificate, toPath: directory.file("hashed/ca.pem"))
            try Shell.check(["openssl", "rehash", directory.file("hashed")])
            let hashed = try setup.copy(to: third, environment: ["SSL_CERT_DIR": directory.file("hashed")])
            #expect(hashed.status == 0, "SSL_CERT_DIR: \(hashed.output)")
        }

        /// Found by the WAN bench (nginx in front of the registry and its token service): the
        /// certificate directory was not used for the token request, and only SSL_CERT_FILE helped.
        @Test("a token service on the registry's host is trusted through --dest-cert-dir alone")
        func tokenServiceOnTheRegistrysHost() throws {
            let setup = try Setup()
            let registry = try TestRegistry.start(.init(auth: .token(user: "robot", password: "pw-ca"), authority: setup.authority))
            let directory = TemporaryDirectory("certs")
            try setup.authority.certificateDirectory(at: directory.file("certs"), client: false)
            let copied = try setup.copy(to: registry, ["--dest-cert-dir", directory.file("certs"), "--dest-creds", "robot:pw-ca"])
            #expect(copied.status == 0, "\(copied.output)")
            // skopeo cannot resolve registry.localhost (Go's resolver asks DNS): the image is copied
            // back out through the same token service to a plain registry, and skopeo compares there.
            let back = try TestRegistry.start()
            let out = try CLI.run(["copy", "\(registry.remoteName)/ca/app:v1", back.reference("back/app:v1"),
                                   "--src-cert-dir", directory.file("certs"), "--src-creds", "robot:pw-ca"])
            #expect(out.status == 0, "\(out.output)")
            #expect(try Skopeo.digest(back.reference("back/app:v1")) == (try Skopeo.digest(setup.source.reference("team/app:oci-single"))))
        }

        @Test("/etc/containers/certs.d/HOST:PORT is used without any option (in a private mount namespace)")
        func certsD() throws {
            try #require(getuid() == 0, "needs root for a private mount namespace")
            let setup = try Setup()
            let registry = try TestRegistry.start(.init(authority: setup.authority))
            let etc = TemporaryDirectory("etc-containers")
            try setup.authority.certificateDirectory(at: etc.file("certs.d/\(registry.remoteName)"), client: false)
            try FileManager.default.createDirectory(atPath: "/etc/containers", withIntermediateDirectories: true)
            let result = try Shell.run(["unshare", "-m", "sh", "-c", "mount --bind \"$0\" /etc/containers && exec \"$@\"", etc.path,
                                        Paths.binary, "copy", setup.source.reference("team/app:oci-single"), "\(registry.remoteName)/ca/app:v1"])
            #expect(result.status == 0, "\(result.output)")
            try setup.expectCopied(into: registry)
        }

        @Test("a registry that requires client certificates: refused without one, with a hint; NAME.cert and NAME.key get in")
        func mutualTLS() throws {
            let setup = try Setup()
            let registry = try TestRegistry.start(.init(authority: setup.authority, requireClientCertificate: true))
            let directory = TemporaryDirectory("certs")
            try setup.authority.certificateDirectory(at: directory.file("ca-only"), client: false)
            let refused = try setup.copy(to: registry, ["--dest-cert-dir", directory.file("ca-only")])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("client certificate"), "\(refused.output)")

            try setup.authority.certificateDirectory(at: directory.file("client"), client: true)
            let accepted = try setup.copy(to: registry, ["--dest-cert-dir", directory.file("client")])
            #expect(accepted.status == 0, "\(accepted.output)")
            let listed = try CLI.run(["ls", "--src-cert-dir", directory.file("client"), "\(registry.remoteName)/ca/app"])
            #expect(listed.status == 0 && listed.stdout.contains("v1"), "\(listed.output)")
        }

        @Test("a sync's --dest-cert-dir is saved with the run: resume trusts the registry without it")
        func resumeKeepsCertificateDirectory() throws {
            let setup = try Setup()
            let registry = try TestRegistry.start(.init(authority: setup.authority))
            let directory = TemporaryDirectory("certs")
            try setup.authority.certificateDirectory(at: directory.file("certs"), client: false)
            // A layer the source has lost fails the tag; pushed again, a resume can finish it.
            let manifest = try ManifestDocument(bytes: try Skopeo.rawManifest(setup.source.reference("team/app:oci-single")),
                                                contentType: nil, source: "oci-single")
            guard case .image(let image) = manifest.content else { Issue.record("not an image"); return }
            let layer = image.layers[0].digest
            try FileManager.default.removeItem(atPath: "\(setup.source.storage)/docker/registry/v2/blobs/sha256/\(layer.hex.prefix(2))/\(layer.hex)/data")
            let state = TemporaryDirectory("state")
            let first = try CLI.run(["sync", setup.source.host, "\(registry.remoteName)/mirror", "--repo", "team/app", "--tags", "oci-single",
                                     "--dest-cert-dir", directory.file("certs"), "--run-id", "ca-run", "--checkpoint-dir", state.path])
            #expect(first.status == 1, "\(first.output)")
            try Fixtures.push(layout: setup.images.layout, tag: "oci-single", to: setup.source.reference("team/app:oci-single"))
            let resumed = try CLI.run(["resume", "ca-run", "--checkpoint-dir", state.path])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try Skopeo.digest(registry.reference("mirror/team/app:oci-single")) == manifest.digest)
        }

        @Test("an unusable certificate directory names the file; --dest-tls-verify=false copies with a warning")
        func badDirectoriesAndNoVerify() throws {
            let setup = try Setup()
            let registry = try TestRegistry.start(.init(authority: setup.authority))
            let directory = TemporaryDirectory("certs")
            try FileManager.default.createDirectory(atPath: directory.file("lonely"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: setup.authority.clientKey, toPath: directory.file("lonely/client.key"))
            let lonely = try setup.copy(to: registry, ["--dest-cert-dir", directory.file("lonely")])
            #expect(lonely.status == 2, "\(lonely.output)")
            #expect(lonely.stderr.contains("lonely/client.key") && lonely.stderr.contains("client.cert"), "\(lonely.stderr)")

            let missing = try setup.copy(to: registry, ["--dest-cert-dir", directory.file("nowhere")])
            #expect(missing.status == 64 || missing.status == 2, "\(missing.output)")
            #expect(missing.stderr.contains(directory.file("nowhere")), "\(missing.stderr)")

            let unverified = try setup.copy(to: registry, ["--dest-tls-verify=false"])
            #expect(unverified.status == 0, "\(unverified.output)")
            #expect(unverified.stderr.contains("warning: --dest-tls-verify=false"), "\(unverified.stderr)")
        }
    }
}
