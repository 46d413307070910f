import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// What runs freightliner on Kubernetes: the container image `make image` builds
/// (deploy/image/build.sh: FROM scratch with buildah, from the release binary) and the manifests
/// of deploy/kubernetes/. The image is pushed by the freightliner under test into a real
/// registry, read back by skopeo, and its file system run under chroot with nothing but what the
/// image holds. (`make k8s-validate` checks the manifests against the Kubernetes API schemas.)
@Suite("container image", .serialized, .budget(minutes: 10))
struct ContainerImageTests {
    static let buildScript = "\(Paths.root)/deploy/image/build.sh"
    static let manifestDirectory = "\(Paths.root)/deploy/kubernetes"
    /// The user the image runs as, as the Job's securityContext says too.
    static let user = "65532:65532"

    /// `deploy/image/build.sh` over the release binary into `directory/name`; the layout's path.
    static func buildImage(in directory: TemporaryDirectory, _ name: String = "layout",
                           environment: [String: String] = [:]) throws -> String {
        try #require(getuid() == 0, "the image is built with buildah's vfs storage in a private mount namespace: run as root")
        try #require(FileManager.default.isExecutableFile(atPath: Paths.releaseBinary), "no release binary: run `make build`")
        let layout = directory.file(name)
        let build = try Shell.run(["sh", buildScript, Paths.releaseBinary, layout], environment: environment)
        try #require(build.status == 0, "deploy/image/build.sh: \(build.output)")
        return layout
    }

    /// The manifest digest a layout's `org.opencontainers.image.ref.name` names (index.json).
    static func layoutDigest(_ layout: String, name: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(layout)/index.json"))
        let index = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let manifests = index["manifests"] as? [[String: Any]] ?? []
        let entry = try #require(manifests.first { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == name },
                                 "\(layout) names \(name)")
        return try #require(entry["digest"] as? String)
    }

    /// The absolute paths `ldd` resolves for `binary`: every library, and the dynamic loader.
    static func loadedLibraries(_ binary: String) throws -> [String] {
        try Shell.check(["ldd", binary]).stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let arrow = fields.firstIndex(of: "=>") {
                return arrow + 1 < fields.count && fields[arrow + 1].hasPrefix("/") ? String(fields[arrow + 1]) : nil
            }
            return fields.first.flatMap { $0.hasPrefix("/") ? String($0) : nil }
        }
    }

    /// One entry of a layer's tar: its path (without a leading `./` or `/`, or a trailing `/`),
    /// its type as `tar --verbose` shows it (`-` file, `d` directory, `l` symbolic link, `h` hard
    /// link) and whether its owner may execute it.
    struct LayerEntry {
        let path: String
        let type: Character
        let executable: Bool
    }

    static func layerEntries(_ layer: String) throws -> [LayerEntry] {
        try Shell.check(["tar", "--list", "--verbose", "--gzip", "--file", layer]).stdout.split(separator: "\n").compactMap { line -> LayerEntry? in
            // PERMISSIONS OWNER/GROUP SIZE DATE TIME PATH [-> TARGET]
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let type = fields[0].first else { return nil }
            var path = fields[5]
            while path.hasPrefix("./") { path = path.dropFirst(2) }
            while path.hasPrefix("/") { path = path.dropFirst() }
            while path.hasSuffix("/") { path = path.dropLast() }
            guard !path.isEmpty else { return nil }
            return LayerEntry(path: String(path), type: type, executable: fields[0].dropFirst(3).first == "x")
        }
    }

    /// Runs `arguments` in `rootfs` as the image's user, in mount and PID namespaces of their own
    /// with a fresh /proc: what a container runtime gives an image (the Swift runtime finds the
    /// command line through /proc/self/maps, so under a bare chroot it sees no arguments).
    static func runInImage(_ rootfs: String, _ arguments: [String]) throws -> Shell.Result {
        try Shell.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc=\(rootfs)/proc",
                       "/usr/sbin/chroot", "--userspec=\(user)", rootfs] + arguments,
                      environment: ["HOME": "/var/lib/freightliner"])
    }

    /// `default`, then the other themes of the source tree, as `--theme` lists them.
    static func themeNames() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(Paths.root)/themes")
            .filter { $0.hasSuffix(".theme") }.map { String($0.dropLast(".theme".count)) }
        return ["default"] + names.filter { $0 != "default" }.sorted()
    }

    @Test("FROM scratch: the binary, the libraries it loads, the CA bundle and the themes, no shell; pushed by freightliner, it runs")
    func imageRunsWithWhatItHolds() throws {
        let work = TemporaryDirectory("container-image")
        let layout = try Self.buildImage(in: work)
        let version = FreightVersion.current
        #expect(try Self.layoutDigest(layout, name: "latest") == (try Self.layoutDigest(layout, name: version)))

        let registry = try TestRegistry.start()
        let push = try CLI.run(["copy", "--all-tags", "oci:\(layout)", registry.reference("tools/freightliner")])
        try #require(push.status == 0, "\(push.output)")
        #expect(Set(try Skopeo.tags(registry.reference("tools/freightliner"))) == [version, "latest"])
        let reference = registry.reference("tools/freightliner:\(version)")

        let inspected = try Shell.check(["skopeo", "inspect", "--tls-verify=false", "--config", "docker://\(reference)"]).stdout
        let image = try #require(try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any], "\(inspected)")
        let config = try #require(image["config"] as? [String: Any], "\(inspected)")
        #expect((config["Entrypoint"] as? [String]) == ["/usr/bin/freightliner"], "\(inspected)")
        let user = config["User"] as? String ?? ""
        let uid = user.split(separator: ":").first.map(String.init) ?? ""
        #expect(!uid.isEmpty && uid != "0" && uid != "root", "the image runs as a user, not root: \(inspected)")
        #expect(user == Self.user, "\(inspected)")
        let labels = config["Labels"] as? [String: String] ?? [:]
        #expect(labels["org.opencontainers.image.title"] == "freightliner", "\(inspected)")
        #expect(labels["org.opencontainers.image.version"] == version, "\(inspected)")

        // The layer as the registry serves it, fetched by skopeo (a `dir:` keeps blobs as they are).
        let pulled = work.file("pulled")
        try Shell.check(["skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://\(reference)", "dir:\(pulled)"])
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(Skopeo.rawManifest(reference))) as? [String: Any])
        let layers = manifest["layers"] as? [[String: Any]] ?? []
        try #require(layers.count == 1, "one layer, FROM scratch: \(manifest)")
        let layerDigest = try #require(layers[0]["digest"] as? String)
        let layer = "\(pulled)/\(layerDigest.dropFirst("sha256:".count))"

        let entries = try Self.layerEntries(layer)
        let files = Set(entries.filter { $0.type == "-" }.map(\.path))
        for file in ["usr/bin/freightliner", "etc/ssl/certs/ca-certificates.crt", "etc/nsswitch.conf"] {
            #expect(files.contains(file), "the layer holds /\(file)")
        }
        #expect(files.contains { $0.hasPrefix("usr/share/freightliner/themes/") && $0.hasSuffix(".theme") }, "the layer holds the themes")
        for library in try Self.loadedLibraries(Paths.releaseBinary) {
            #expect(files.contains(String(library.dropFirst())), "\(library), which the binary loads, is a file in the layer")
        }
        let forbidden: Set<String> = ["sh", "bash", "dash", "ash", "busybox", "env", "apt", "apt-get", "dpkg"]
        let found = entries.filter { forbidden.contains(String($0.path.split(separator: "/").last ?? "")) }.map(\.path)
        #expect(found.isEmpty, "no shell, no package manager: \(found)")
        let programs = entries.filter { $0.type == "-" && $0.executable && !$0.path.contains(".so") }.map(\.path)
        #expect(programs == ["usr/bin/freightliner"], "freightliner is the only program: \(programs)")
        let links = entries.filter { $0.type == "l" || $0.type == "h" }.map(\.path)
        #expect(links.isEmpty, "real files at the paths the loader looks up, no links: \(links)")

        // Only what the image holds: no host library, no toolchain, no /etc of the host.
        let rootfs = work.file("rootfs")
        try FileManager.default.createDirectory(atPath: "\(rootfs)/proc", withIntermediateDirectories: true)
        try Shell.check(["tar", "--extract", "--gzip", "--file", layer, "--directory", rootfs])
        let printed = try Self.runInImage(rootfs, ["/usr/bin/freightliner", "--version"])
        #expect(printed.status == 0 && printed.stdout.hasPrefix("freightliner \(version) ("), "\(printed.output)")
        let help = try Self.runInImage(rootfs, ["/usr/bin/freightliner", "copy", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: freightliner copy"), "\(help.output)")
        let listed = try Self.runInImage(rootfs, ["/usr/bin/freightliner", "ls", registry.reference("tools/freightliner")])
        #expect(listed.status == 0 && listed.stdout.contains(version), "libcurl and what it loads reach a registry: \(listed.output)")
        let themes = try Self.runInImage(rootfs, ["/usr/bin/freightliner", "dashboard", "--theme", "no-such-theme"])
        let available = try Self.themeNames().joined(separator: ", ")
        #expect(themes.status != 0 && themes.stderr.contains("/usr/share/freightliner/themes") && themes.stderr.contains("available: \(available)"),
                "the installed themes are found: \(themes.stderr)")
    }

    @Test("the same binary gives the same image: the created time and every file time are the commit's (SOURCE_DATE_EPOCH wins)")
    func reproducible() throws {
        let work = TemporaryDirectory("container-image")
        let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]
        let first = try Self.buildImage(in: work, "first", environment: epoch)
        let second = try Self.buildImage(in: work, "second", environment: epoch)
        let version = FreightVersion.current
        #expect(try Self.layoutDigest(first, name: version) == (try Self.layoutDigest(second, name: version)))
        let inspected = try Shell.check(["skopeo", "inspect", "--config", "oci:\(first):\(version)"]).stdout
        let image = try #require(try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any], "\(inspected)")
        #expect((image["created"] as? String) == "2023-11-14T22:13:20Z", "\(inspected)")
    }

    /// A manifest of deploy/kubernetes/ and its lines.
    struct Manifest {
        let name: String
        let lines: [String]

        /// The lines that are not YAML comments.
        var content: [String] { lines.filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") } }
    }

    static func manifests() throws -> [Manifest] {
        try FileManager.default.contentsOfDirectory(atPath: manifestDirectory).filter { $0.hasSuffix(".yaml") }.sorted().map { name -> Manifest in
            let text = try String(contentsOfFile: "\(manifestDirectory)/\(name)", encoding: .utf8)
            return Manifest(name: name, lines: text.components(separatedBy: "\n"))
        }
    }

    static func manifest(_ name: String) throws -> Manifest {
        try #require(try manifests().first { $0.name == name }, "deploy/kubernetes/\(name)")
    }

    @Test("no manifest holds a secret value: registry credentials are secret references the pods read with their own identity")
    func manifestsKeepNoSecrets() throws {
        let manifests = try Self.manifests()
        #expect(Set(manifests.map(\.name)).isSuperset(of: ["configmap.yaml", "job.yaml", "pvc.yaml", "serviceaccount.yaml"]))
        let secretKey = #/^\s*-?\s*"?(password|passwd|token|auth|auths|src-creds|dest-creds|aws_secret_access_key|aws_session_token|private_key|client_secret)"?\s*:/#
            .ignoresCase()
        let secretValue = #/aws_secret_access_key|aws_session_token|AKIA[0-9A-Z]{16}|-----BEGIN/#.ignoresCase()
        let reference = #/(?:^|[\s{,])(?:secret|credentials-secret|src-creds-secret|dest-creds-secret)\s*:\s*([^\s,}]+)/#
        var references: [String] = []
        for manifest in manifests {
            for (number, line) in manifest.lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                let place = "\(manifest.name):\(number + 1): \(line)"
                #expect(!line.contains(secretKey), "a secret's key in a manifest: \(place)")
                #expect(!line.contains(secretValue), "a secret's value in a manifest: \(place)")
                #expect(!line.contains(#/^\s*kind:\s*Secret\s*$/#), "a Secret holds values in the cluster: \(place)")
                if let match = line.firstMatch(of: reference) {
                    references.append(String(match.1))
                    #expect(match.1.hasPrefix("aws-sm://") || match.1.hasPrefix("gcp-sm://"), "a secret is named by reference: \(place)")
                }
            }
        }
        #expect(!references.isEmpty, "the job file logs in to its registries with secret references")
    }

    @Test("the Indexed Job tells freightliner the shard count: JOB_COMPLETIONS equals spec.completions; Kubernetes sets the index")
    func jobCompletionsAgree() throws {
        let job = try Self.manifest("job.yaml").content
        #expect(job.contains { $0.contains(#/^kind:\s*Job\s*$/#) })
        #expect(job.contains { $0.contains(#/^\s*completionMode:\s*Indexed\s*$/#) }, "Indexed: each pod gets JOB_COMPLETION_INDEX")
        let completions = job.compactMap { line in line.wholeMatch(of: #/\s*completions:\s*(\d+)\s*/#).flatMap { Int($0.1) } }
        try #require(completions.count == 1, "one spec.completions: \(completions)")
        let name = try #require(job.firstIndex { $0.contains(#/^\s*-\s*name:\s*JOB_COMPLETIONS\s*$/#) }, "JOB_COMPLETIONS in the container's env")
        let value = job[(name + 1)...].first.flatMap { $0.wholeMatch(of: #/\s*value:\s*"?(\d+)"?\s*/#) }.flatMap { Int($0.1) }
        #expect(value == completions[0], "JOB_COMPLETIONS (\(value.map { "\($0)" } ?? "no value")) must equal spec.completions (\(completions[0]))")
        #expect(!job.contains { $0.contains(#/name:\s*JOB_COMPLETION_INDEX\b/#) },
                "Kubernetes sets JOB_COMPLETION_INDEX per pod; an env entry would give every pod the same shard")
    }

    @Test("the ConfigMap's job file passes `freightliner run --check`, and the Job runs that file")
    func configMapJobFileChecks() throws {
        let configMap = try Self.manifest("configmap.yaml")
        let start = try #require(configMap.lines.firstIndex { $0.contains(#/^\s+jobs\.yaml:\s*\|\s*$/#) }, "a jobs.yaml key holding a block")
        let keyIndent = configMap.lines[start].prefix(while: { $0 == " " }).count
        var body: [String] = []
        for line in configMap.lines[(start + 1)...] {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { body.append(""); continue }
            guard line.prefix(while: { $0 == " " }).count > keyIndent else { break }
            body.append(line)
        }
        let indent = body.filter { !$0.isEmpty }.map { line in line.prefix(while: { $0 == " " }).count }.min() ?? 0
        let directory = TemporaryDirectory("k8s-jobs")
        try (body.map { String($0.dropFirst(indent)) }.joined(separator: "\n") + "\n")
            .write(toFile: directory.file("jobs.yaml"), atomically: true, encoding: .utf8)
        let check = try CLI.run(["run", "--check", directory.file("jobs.yaml")])
        #expect(check.status == 0 && check.stdout.contains("valid"), "\(check.output)")

        let job = try Self.manifest("job.yaml").content
        #expect(job.contains { $0.contains(#/^\s*-\s*/etc/freightliner/jobs\.yaml\s*$/#) }, "the Job runs /etc/freightliner/jobs.yaml")
        #expect(job.contains { $0.contains(#/^\s*mountPath:\s*/etc/freightliner\s*$/#) }, "where the ConfigMap is mounted")
        #expect(job.contains { $0.contains(#/^\s*name:\s*freightliner-jobs\s*$/#) }, "the ConfigMap the Job mounts")
    }
}
