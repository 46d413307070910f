import Foundation
import FreightCore
import FreightTestSupport
import Testing

extension ReliabilitySuites {
    /// The defaults an operator relies on without reading the manual: certificates are checked
    /// unless a host is named insecure, plain HTTP is never tried behind their back, files holding
    /// run state are private, no secret ever prints or lands on disk, and no option takes a secret
    /// on the command line except the two documented to.
    ///
    /// Loopback names are insecure by design (a local registry may speak plain HTTP), so the TLS
    /// tests address a loopback registry as `registry.localhost`: libcurl resolves `*.localhost` to
    /// 127.0.0.1 itself (RFC 6761), while freightliner treats only `localhost`, 127.0.0.0/8 and
    /// [::1] as loopback. The name is therefore an ordinary remote host to freightliner, with no
    /// DNS or /etc/hosts change needed.
    @Suite("security defaults", .budget(minutes: 3))
    struct SecurityDefaultsTests {
        static let layoutTag = "oci-single"

        /// A registry over HTTPS with a self-signed certificate, holding one image pushed through
        /// freightliner itself with --insecure-registry.
        struct TLSRegistry {
            let registry: TestRegistry
            let images: StandardImages
            var name: String { "registry.localhost:\(registry.host.split(separator: ":").last!)" }

            init() throws {
                registry = try TestRegistry.start(.init(tls: true))
                images = try StandardImages()
                let push = try CLI.run(["copy", "oci:\(images.layout):\(SecurityDefaultsTests.layoutTag)", "\(name)/sec/app:v1",
                                        "--insecure-registry", name])
                try #require(push.status == 0, "\(push.output)")
            }
        }

        @Test("a self-signed certificate is refused unless the host is named with --insecure-registry")
        func certificatesAreChecked() throws {
            let tls = try TLSRegistry()
            let refused = try CLI.run(["ls", "\(tls.name)/sec/app"])
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("https://\(tls.name)") && refused.stderr.lowercased().contains("certificate"), "\(refused.stderr)")
            let copy = try CLI.run(["copy", "\(tls.name)/sec/app:v1", "oci:\(TemporaryDirectory().file("out")):v1"])
            #expect(copy.status != 0, "\(copy.output)")

            let allowed = try CLI.run(["ls", "\(tls.name)/sec/app", "--insecure-registry", tls.name])
            #expect(allowed.status == 0, "\(allowed.output)")
            #expect(allowed.stdout.contains("v1"), "\(allowed.stdout)")
            // Naming another host insecure does not help this one.
            let other = try CLI.run(["ls", "\(tls.name)/sec/app", "--insecure-registry", "registry.localhost:1"])
            #expect(other.status == 2, "\(other.output)")
        }

        @Test("a remote host is never tried over plain HTTP unless named insecure")
        func noSilentPlainHTTP() throws {
            let registry = try TestRegistry.start()
            try StandardImages().push(to: registry.reference("plain/app"))
            let name = "registry.localhost:\(registry.host.split(separator: ":").last!)"
            let refused = try CLI.run(["ls", "\(name)/plain/app"])
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("https://\(name)"), "only HTTPS was tried: \(refused.stderr)")
            let allowed = try CLI.run(["ls", "\(name)/plain/app", "--insecure-registry", name])
            #expect(allowed.status == 0, "\(allowed.output)")
            #expect(allowed.stdout.contains(Self.layoutTag), "\(allowed.stdout)")
        }

        @Test("run state is private: every directory freightliner creates is 0700 and every file 0600, whatever the umask")
        func privateRunState() throws {
            let setup = try SyncCommandTests.Setup()
            let state = TemporaryDirectory("xdg")
            // A umask of 0 would leave group and world bits on anything that relied on it.
            let result = try Shell.run(["sh", "-c", "umask 000; exec \"$0\" \"$@\"", Paths.binary, "sync", setup.proxy.host,
                                        "\(setup.destination.host)/mirror", "--run-id", "private", "--ui", "json"],
                                       environment: ["XDG_STATE_HOME": state.file("fresh/state")])
            #expect(result.status == 0, "\(result.output)")
            let root = state.file("fresh/state/freightliner")
            var checked = 0
            let manager = FileManager.default
            for directory in [state.file("fresh/state"), root, "\(root)/runs"] {
                let mode = try manager.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
                #expect(mode == 0o700, "\(directory) is \(String(mode ?? 0, radix: 8))")
                checked += 1
            }
            let enumerator = try #require(manager.enumerator(atPath: "\(root)/runs"))
            for case let relative as String in enumerator {
                let path = "\(root)/runs/\(relative)"
                let attributes = try manager.attributesOfItem(atPath: path)
                let mode = attributes[.posixPermissions] as? Int ?? 0
                let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
                #expect(mode == (isDirectory ? 0o700 : 0o600), "\(path) is \(String(mode, radix: 8))")
                checked += 1
            }
            #expect(checked >= 6, "the run directory, checkpoint, journal and lock were all looked at")
        }

        @Test("passwords never print, in any output mode, in HTTP traces, errors, or checkpoints")
        func secretsNeverLeak() throws {
            let password = "Zq9-very-secret-pw"
            let source = try TestRegistry.start(.init(auth: .htpasswd(user: "carol", password: password)))
            let destination = try TestRegistry.start(.init(auth: .htpasswd(user: "dave", password: password + "-dest")))
            try StandardImages().push(to: source.reference("sec/app"), user: "carol", password: password)
            let state = TemporaryDirectory("state")
            let secrets = [password, password + "-dest",
                           Data("carol:\(password)".utf8).base64EncodedString(), Data("dave:\(password)-dest".utf8).base64EncodedString()]
            var outputs: [String] = []
            for ui in ["json", "plain"] {
                let result = try CLI.run(["sync", "\(source.host)/sec", "\(destination.host)/\(ui)", "--ui", ui, "--run-id", ui,
                                          "--src-creds", "carol:\(password)", "--dest-creds", "dave:\(password)-dest",
                                          "--checkpoint-dir", state.file("runs")],
                                         environment: ["FREIGHTLINER_TRACE_HTTP": "1"])
                #expect(result.status == 0, "\(result.output)")
                #expect(result.stderr.contains("http: "), "the trace is on")
                outputs.append(result.output)
            }
            let wrong = try CLI.run(["ls", "\(source.host)/sec/app", "--src-creds", "carol:\(password)-wrong"],
                                    environment: ["FREIGHTLINER_TRACE_HTTP": "1"])
            #expect(wrong.status == 2 && wrong.stderr.contains("refused the credentials"), "\(wrong.output)")
            outputs.append(wrong.output)
            outputs.append(try CLI.run(["checkpoints", "show", "json", "--checkpoint-dir", state.file("runs")]).output)
            let enumerator = try #require(FileManager.default.enumerator(atPath: state.file("runs")))
            for case let relative as String in enumerator {
                if let text = try? String(contentsOfFile: state.file("runs/\(relative)"), encoding: .utf8) { outputs.append(text) }
            }
            for output in outputs {
                for secret in secrets {
                    #expect(!output.contains(secret), "a secret leaked: \(output.prefix(400))")
                }
            }
        }

        @Test("no option takes a secret on the command line, except --src-creds/--dest-creds, whose help says so")
        func noSecretsInArgv() throws {
            let dump = try CLI.run(["--experimental-dump-help"])
            #expect(dump.status == 0)
            let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
            let sensitive = try NSRegularExpression(pattern: "pass|secret|token|cred|key|auth", options: [.caseInsensitive])
            // A *-creds-secret option names where a secret lives (a REF), never the secret itself;
            // an *authfile option names a file of logins, as skopeo's does.
            let allowed: Set<String> = ["src-creds", "dest-creds", "src-creds-secret", "dest-creds-secret",
                                        "authfile", "src-authfile", "dest-authfile"]
            var seen = 0
            func walk(_ command: [String: Any], _ path: String) {
                for argument in command["arguments"] as? [[String: Any]] ?? [] {
                    for name in (argument["names"] as? [[String: Any]] ?? []).compactMap({ $0["name"] as? String }) {
                        let range = NSRange(name.startIndex..., in: name)
                        guard sensitive.firstMatch(in: name, range: range) != nil else { continue }
                        seen += 1
                        #expect(allowed.contains(name), "\(path) --\(name) looks like it takes a secret on the command line")
                        if name == "src-creds" || name == "dest-creds" {
                            let help = (argument["abstract"] as? String ?? "") + (argument["discussion"] as? String ?? "")
                            #expect(help.contains("process list"), "\(path) --\(name) must say its value is visible: \(help)")
                        }
                    }
                }
                for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                    walk(sub, "\(path) \(sub["commandName"] as? String ?? "?")")
                }
            }
            walk(try #require(root["command"] as? [String: Any]), "freightliner")
            #expect(seen > 0, "the walk found the credential options")
        }

        @Test("naming a registry insecure does not extend to the host it redirects blob reads to")
        func redirectTargetsAreVerified() throws {
            // The image, also on an HTTPS registry with a self-signed certificate as registry.localhost.
            let origin = try HostileRegistry(mode: "ok")
            let tls = try TestRegistry.start(.init(tls: true))
            let tlsName = "registry.localhost:\(tls.host.split(separator: ":").last!)"
            let seed = try CLI.run(["copy", origin.reference, "\(tlsName)/\(HostileRegistry.repository):\(HostileRegistry.tag)",
                                    "--src-creds", HostileRegistry.credentials, "--insecure-registry", tlsName])
            try #require(seed.status == 0, "\(seed.output)")

            // A loopback registry (insecure by design) whose blob reads redirect to that host.
            let redirecting = try HostileRegistry(mode: "redirect",
                                                  redirectTo: "https://\(tlsName)/v2/\(HostileRegistry.repository)/blobs")
            let destination = try TestRegistry.start()
            let result = try CLI.run(["copy", redirecting.reference, destination.reference("\(HostileRegistry.repository):\(HostileRegistry.tag)"),
                                      "--ui", "json", "--src-creds", HostileRegistry.credentials, "--retries", "1"])
            #expect(result.status == 1, "\(result.output)")
            let reasons = (CLI.summary(result.stdout)?["failures"] as? [[String: Any]] ?? []).compactMap { $0.string("reason") }
            #expect(reasons.contains { $0.contains("https://\(tlsName)") && $0.lowercased().contains("certificate") }, "\(reasons)")
            let status = try Shell.check(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                          "http://\(destination.host)/v2/\(HostileRegistry.repository)/tags/list"]).stdout
            #expect(status == "404")
        }
    }
}
