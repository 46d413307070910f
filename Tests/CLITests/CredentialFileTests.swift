import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// Registry credentials from docker's config.json, containers' auth.json and credential helpers.
@Suite("credential files and helpers", .budget(minutes: 5))
struct CredentialFileTests {
    struct Setup {
        let open = try! TestRegistry.start()
        let locked = try! TestRegistry.start(.init(auth: .htpasswd(user: "dana", password: "helper-pw-123")))
        let home = TemporaryDirectory("home")

        init() throws {
            try StandardImages().push(to: open.reference("pub/app"))
        }

        /// A docker config.json in `directory` with an `auth` entry for the locked registry.
        func writeDockerConfig(in directory: String) throws {
            let auth = Data("dana:helper-pw-123".utf8).base64EncodedString()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try #"{"auths":{"\#(locked.host)":{"auth":"\#(auth)"}}}"#.write(toFile: "\(directory)/config.json",
                                                                        atomically: true, encoding: .utf8)
        }

        /// A copy into the locked registry with no credential flags: only files may supply them.
        func copy(_ environment: [String: String], tag: String = "v1", arguments: [String] = []) throws -> Shell.Result {
            try CLI.run(["copy", open.reference("pub/app:oci-single"), locked.reference("priv/app:\(tag)")] + arguments,
                        environment: ["HOME": home.path, "DOCKER_CONFIG": "", "REGISTRY_AUTH_FILE": "", "XDG_RUNTIME_DIR": ""]
                            .merging(environment) { $1 })
        }
    }

    @Test("an auths entry in config.json ($DOCKER_CONFIG)")
    func dockerConfig() throws {
        let setup = try Setup()
        try setup.writeDockerConfig(in: setup.home.file("docker"))
        let result = try setup.copy(["DOCKER_CONFIG": setup.home.file("docker")], arguments: ["--ui", "json"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("helper-pw-123"))
        // The secrets panel lists it as a credential in use: where from and for which registry.
        let statuses = CLI.jsonLines(result.stdout).filter { $0.string("event") == "secret_status" }
        #expect(statuses.contains { $0.string("provider") == "docker-config" && $0.string("reference") == setup.locked.host
            && $0.string("state") == "loaded" }, "\(statuses)")
    }

    @Test("without $DOCKER_CONFIG, ~/.docker/config.json")
    func defaultDockerConfig() throws {
        let setup = try Setup()
        try setup.writeDockerConfig(in: setup.home.file(".docker"))
        let result = try setup.copy([:])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("containers auth.json ($REGISTRY_AUTH_FILE) with username/password")
    func authFile() throws {
        let setup = try Setup()
        try #"{"auths":{"http://\#(setup.locked.host)/v1/":{"username":"dana","password":"helper-pw-123"}}}"#
            .write(toFile: setup.home.file("auth.json"), atomically: true, encoding: .utf8)
        let result = try setup.copy(["REGISTRY_AUTH_FILE": setup.home.file("auth.json")])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("--authfile, and --dest-authfile for one side only, as skopeo takes them")
    func authfileOptions() throws {
        let setup = try Setup()
        let auth = Data("dana:helper-pw-123".utf8).base64EncodedString()
        try #"{"auths":{"\#(setup.locked.host)":{"auth":"\#(auth)"}}}"#.write(toFile: setup.home.file("login.json"), atomically: true,
                                                                              encoding: .utf8)
        let both = try setup.copy([:], arguments: ["--authfile", setup.home.file("login.json")])
        #expect(both.status == 0, "\(both.output)")
        let destination = try setup.copy([:], tag: "v2", arguments: ["--dest-authfile", setup.home.file("login.json")])
        #expect(destination.status == 0, "\(destination.output)")
        let wrongSide = try setup.copy([:], tag: "v3", arguments: ["--src-authfile", setup.home.file("login.json")])
        #expect(wrongSide.status == 1 && wrongSide.output.contains("requires authentication"), "a source login is not used for the destination")
    }

    @Test("without options, ~/.config/containers/auth.json, where podman login writes")
    func containersAuthFile() throws {
        let setup = try Setup()
        try FileManager.default.createDirectory(atPath: setup.home.file(".config/containers"), withIntermediateDirectories: true)
        try #"{"auths":{"\#(setup.locked.host)":{"username":"dana","password":"helper-pw-123"}}}"#
            .write(toFile: setup.home.file(".config/containers/auth.json"), atomically: true, encoding: .utf8)
        let result = try setup.copy(["XDG_CONFIG_HOME": ""])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("a credHelpers entry runs docker-credential-NAME get with the registry on stdin")
    func credentialHelper() throws {
        let setup = try Setup()
        let bin = setup.home.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let log = setup.home.file("helper.log")
        try """
            #!/bin/sh
            read server
            echo "$1 $server" >> \(log)
            if [ "$server" = "\(setup.locked.host)" ]; then
              echo '{"ServerURL":"'"$server"'","Username":"dana","Secret":"helper-pw-123"}'
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """.write(toFile: "\(bin)/docker-credential-fltest", atomically: true, encoding: .utf8)
        chmod("\(bin)/docker-credential-fltest", 0o755)
        try FileManager.default.createDirectory(atPath: setup.home.file("docker"), withIntermediateDirectories: true)
        try #"{"credHelpers":{"\#(setup.locked.host)":"fltest"}}"#.write(toFile: setup.home.file("docker/config.json"),
                                                                     atomically: true, encoding: .utf8)
        let result = try setup.copy(["DOCKER_CONFIG": setup.home.file("docker"),
                                     "PATH": "\(bin):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"])
        #expect(result.status == 0, "\(result.output)")
        #expect(contents(of: log).contains("get \(setup.locked.host)"))
        #expect(!result.output.contains("helper-pw-123"))
    }

    @Test("a malformed config file is an error naming the file; a missing helper is named too")
    func badFiles() throws {
        let setup = try Setup()
        try FileManager.default.createDirectory(atPath: setup.home.file("docker"), withIntermediateDirectories: true)
        try "{not json".write(toFile: setup.home.file("docker/config.json"), atomically: true, encoding: .utf8)
        let malformed = try setup.copy(["DOCKER_CONFIG": setup.home.file("docker")])
        #expect(malformed.status == 1, "\(malformed.output)")
        #expect(malformed.output.contains(setup.home.file("docker/config.json")), "\(malformed.output)")

        try #"{"credsStore":"does-not-exist"}"#.write(toFile: setup.home.file("docker/config.json"), atomically: true, encoding: .utf8)
        let missing = try setup.copy(["DOCKER_CONFIG": setup.home.file("docker")])
        #expect(missing.status == 1)
        #expect(missing.output.contains("docker-credential-does-not-exist"), "\(missing.output)")
    }
}
