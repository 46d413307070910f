import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// What a bastion host gets: the release binary and the Debian package `make test` built first
/// (`make deb`), run where the Swift toolchain is not, checked by lintian, installed from a
/// copied source tree.
@Suite("packaging", .serialized, .budget(minutes: 10))
struct PackagingTests {
    /// The directory the Swift runtime is loaded from by a binary that does not carry it: the
    /// RUNPATH entry of the debug build under test.
    static func toolchainLibraries() throws -> String {
        let dynamic = try Shell.check(["readelf", "-d", Paths.binary]).stdout
        let line = try #require(dynamic.split(separator: "\n").first { $0.contains("RUNPATH") }, "the debug build has a RUNPATH")
        let paths = line.split(separator: "[").last.map { $0.dropLast() }.map(String.init) ?? ""
        return try #require(paths.split(separator: ":").map(String.init).first { $0.hasPrefix("/") && !$0.contains("$ORIGIN") })
    }

    /// Runs `arguments` in a private mount namespace where `hidden` is an empty directory.
    static func withHidden(_ hidden: [String], _ arguments: [String], environment: [String: String] = [:]) throws -> Shell.Result {
        let empty = TemporaryDirectory("empty")
        let mounts = hidden.map { "mount --bind \(empty.path) \($0)" }.joined(separator: " && ")
        return try Shell.run(["unshare", "-m", "sh", "-c", "\(mounts) && exec \"$@\"", "sh"] + arguments, environment: environment)
    }

    /// The package's files, unpacked with `dpkg-deb -x` (as installed, under `root`).
    static func unpackedPackage() throws -> TemporaryDirectory {
        let deb = try #require(Paths.debianPackage, "no .deb: run `make deb` (make test does)")
        let root = TemporaryDirectory("deb")
        try Shell.check(["dpkg-deb", "-x", deb, root.path])
        return root
    }

    @Test("the release binary needs only Debian's shared libraries, none of the Swift toolchain's")
    func onlyDebianLibraries() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Paths.releaseBinary), "no release binary: run `make build`")
        let needed = try Shell.check(["readelf", "-d", Paths.releaseBinary]).stdout.split(separator: "\n").filter { $0.contains("NEEDED") }
        #expect(!needed.isEmpty)
        #expect(!needed.contains { $0.contains("swift") || $0.contains("Foundation") || $0.contains("dispatch") }, "\(needed)")
        let ldd = try Shell.check(["ldd", Paths.releaseBinary]).stdout
        for line in ldd.split(separator: "\n") where line.contains("=>") {
            #expect(line.contains("=> /lib/") || line.contains("=> /usr/lib/"), "a library from outside Debian's paths: \(line)")
        }
        #expect(!ldd.contains("not found"), "\(ldd)")
        for library in ["libcurl.so.4", "libcrypto.so.3", "libz.so.1", "libncursesw.so.6"] {
            #expect(ldd.contains(library), "links \(library): \(ldd)")
        }
    }

    @Test("with the Swift toolchain hidden, the release binary and the .deb's run --version and copy an image")
    func runsWithoutToolchain() throws {
        let toolchain = try Self.toolchainLibraries()
        let control = try Self.withHidden([toolchain], [Paths.binary, "--version"])
        #expect(control.status == 127 && control.stderr.contains("error while loading shared libraries"),
                "the namespace must hide the toolchain from a binary that needs it: \(control.output)")

        let package = try Self.unpackedPackage()
        let source = try TestRegistry.start(), destination = try TestRegistry.start()
        try StandardImages().push(to: source.reference("team/app"))
        for (name, binary) in [("release", Paths.releaseBinary), ("deb", package.file("usr/bin/freightliner"))] {
            let version = try Self.withHidden([toolchain], [binary, "--version"])
            #expect(version.status == 0, "\(name): \(version.output)")
            let pattern = #/^freightliner \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?, built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n$/#
            #expect(version.stdout.wholeMatch(of: pattern) != nil, "\(name): version, commit and build date: \(version.stdout)")
            let copy = try Self.withHidden([toolchain], [binary, "copy", source.reference("team/app:oci-multi"),
                                                         destination.reference("\(name)/app:oci-multi")])
            #expect(copy.status == 0, "\(name): \(copy.output)")
            #expect(try Skopeo.digest(destination.reference("\(name)/app:oci-multi")) == (try Skopeo.digest(source.reference("team/app:oci-multi"))))
        }
    }

    @Test("on a bastion host: the .deb's binary, no toolchain, a registry only a cert dir trusts, a login from an assumed AWS role")
    func bastionHost() async throws {
        let toolchain = try Self.toolchainLibraries()
        let package = try Self.unpackedPackage()
        let moto = try await MotoServer.started()
        let authority = try TestCertificateAuthority()
        let registry = try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: "bastion-pass-51"), authority: authority))
        let source = try TestRegistry.start()
        try StandardImages().push(to: source.reference("team/app"))

        // The registry login lives in Secrets Manager; the operator's profile assumes a role to read it.
        let secret = "aws-sm://bastion/registry-\(UUID().uuidString.prefix(8).lowercased())"
        let put = try CLI.run(["secrets", "put", secret], environment: moto.environment(),
                              input: #"{"username":"robot","password":"bastion-pass-51"}"#)
        try #require(put.status == 0, "\(put.output)")
        let role = try moto.createRole("bastion-\(UUID().uuidString.prefix(8).lowercased())")
        let home = TemporaryDirectory("bastion-home")
        try FileManager.default.createDirectory(atPath: home.file(".aws"), withIntermediateDirectories: true)
        try """
            [profile operator]
            aws_access_key_id = \(moto.accessKeyID)
            aws_secret_access_key = \(moto.secretAccessKey)
            [profile replicator]
            role_arn = \(role)
            source_profile = operator
            """.write(toFile: home.file(".aws/config"), atomically: true, encoding: .utf8)
        try authority.certificateDirectory(at: home.file("certs"), client: false)

        let environment = ["HOME": home.path, "AWS_PROFILE": "replicator", "AWS_REGION": moto.region, "AWS_ENDPOINT_URL": moto.endpoint,
                           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""]
        let copy = try Self.withHidden([toolchain], [package.file("usr/bin/freightliner"), "copy", "--ui", "json",
                                                     source.reference("team/app:oci-multi"), "\(registry.remoteName)/mirror/app:1",
                                                     "--dest-cert-dir", home.file("certs"), "--dest-creds-secret", secret],
                                       environment: environment)
        #expect(copy.status == 0, "\(copy.output)")
        #expect(!copy.output.contains("bastion-pass-51"))
        let statuses = CLI.jsonLines(copy.stdout).filter { $0.string("event") == "secret_status" && $0.string("reference") == secret }
        #expect(statuses.contains { $0.string("state") == "loaded" }, "\(copy.stdout)")
        #expect(try Skopeo.digest(registry.reference("mirror/app:1"), credentials: "robot:bastion-pass-51")
                == (try Skopeo.digest(source.reference("team/app:oci-multi"))))
    }

    @Test("lintian finds no error in the .deb, whose Depends names the runtime libraries and which ships man page and completions")
    func lintianClean() throws {
        let deb = try #require(Paths.debianPackage, "no .deb: run `make deb` (make test does)")
        let lintian = try Shell.run(["lintian", "--no-tag-display-limit", deb])
        let findings = lintian.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
        Figures.record("deb.lintian_warnings", findings.filter { $0.hasPrefix("W:") }.count)
        #expect(!findings.contains { $0.hasPrefix("E:") }, "\(lintian.output)")
        #expect(lintian.status == 0, "\(lintian.output)")

        let depends = try Shell.check(["dpkg-deb", "-f", deb, "Depends"]).stdout
        for package in ["libcurl4", "libssl3", "zlib1g", "libncursesw6", "libc6"] {
            #expect(depends.contains(package), "Depends names \(package): \(depends)")
        }
        let contents = try Shell.check(["dpkg-deb", "-c", deb]).stdout
        for file in ["./usr/bin/freightliner", "./usr/share/man/man1/freightliner.1.gz", "./usr/share/doc/freightliner/copyright",
                     "./usr/share/bash-completion/completions/freightliner", "./usr/share/zsh/vendor-completions/_freightliner",
                     "./usr/share/fish/vendor_completions.d/freightliner.fish", "./usr/share/freightliner/themes/light.theme"] {
            #expect(contents.contains(file), "the package holds \(file)")
        }
        let package = try Self.unpackedPackage()
        let manual = try Shell.check(["sh", "-c", "gzip -dc \"$0\" | MANWIDTH=80 man -l -", package.file("usr/share/man/man1/freightliner.1.gz")])
        #expect(manual.stdout.contains("--checkpoint-dir"), "the man page documents the options, from the command definitions")
    }

    @Test("the .deb's binary finds its themes under /usr/share/freightliner, not in a source tree")
    func packagedThemes() throws {
        let package = try Self.unpackedPackage()
        let result = try Self.withHidden(["\(Paths.root)/themes"], [package.file("usr/bin/freightliner"), "dashboard", "--theme", "no-such-theme"])
        #expect(result.status != 0)
        let installed = URL(fileURLWithPath: package.file("usr/share/freightliner/themes")).resolvingSymlinksInPath().path
        #expect(result.stderr.contains(installed), "\(result.stderr)")
        #expect(result.stderr.contains("available: default, high-contrast, light, monochrome"), "\(result.stderr)")
    }

    /// Whether the release binary is newer than every source, as `make build` leaves it.
    static func releaseBinaryIsCurrent() throws -> Bool {
        let manager = FileManager.default
        guard let built = try? manager.attributesOfItem(atPath: Paths.releaseBinary)[.modificationDate] as? Date else { return false }
        var sources = ["\(Paths.root)/Package.swift"]
        for case let file as String in manager.enumerator(atPath: "\(Paths.root)/Sources")! where !file.hasSuffix(".generated.h") {
            sources.append("\(Paths.root)/Sources/\(file)")
        }
        return try sources.allSatisfy { (try manager.attributesOfItem(atPath: $0)[.modificationDate] as? Date ?? .distantPast) <= built }
    }

    @Test("make install in a copied source tree installs the current binary without rebuilding; after a change it rebuilds there")
    func installFromCopiedTree() throws {
        try #require(try Self.releaseBinaryIsCurrent(), "the release binary is older than the sources: run `make build` (make test does)")
        let copy = TemporaryDirectory("copied-tree")
        // As tar or cp -a copy it: times kept. The debug and sanitizer builds are not needed.
        try Shell.check(["sh", "-c", "tar -C \"$0\" --exclude=./.build-asan --exclude=./.build-tsan --exclude=./.build-fuzz "
                         + "--exclude=./.build/x86_64-unknown-linux-gnu/debug --exclude=./.build/deb -cf - . | tar -C \"$1\" -xf -",
                         Paths.root, copy.path])
        let prefix = TemporaryDirectory("prefix")
        let install = try Shell.run(["make", "-C", copy.path, "install", "PREFIX=\(prefix.path)"])
        #expect(install.status == 0, "\(install.output)")
        #expect(!install.output.contains("swift build"), "a current binary is installed as it is: \(install.output)")
        #expect(try Shell.run(["cmp", Paths.releaseBinary, prefix.file("bin/freightliner")]).status == 0)
        #expect(FileManager.default.fileExists(atPath: prefix.file("share/man/man1/freightliner.1.gz")))

        try Shell.check(["touch", "\(copy.path)/Sources/freightliner/Freightliner.swift"])
        let rebuild = try Shell.run(["make", "-C", copy.path, "install", "PREFIX=\(prefix.path)"])
        #expect(rebuild.status == 0, "\(rebuild.output)")
        #expect(rebuild.output.contains("swift build"), "a changed source is rebuilt")
        let version = try Shell.run([prefix.file("bin/freightliner"), "--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("freightliner "), "\(version.output)")
    }
}
