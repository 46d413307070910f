import Foundation
import FreightCore
import FreightTestSupport
import Testing

/// `freightliner secrets …` and `copy --*-creds-secret`, run as a user would, against moto
/// (with signature checking), the Google test server and real registries.
@Suite(.budget(minutes: 7)) struct SecretsCLITests {
    let moto: MotoServer

    init() async throws { moto = try await MotoServer.started() }

    func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }

    func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) async throws -> Shell.Result {
        let environment = environment ?? moto.environment()
        return try await runBlocking { try CLI.run(arguments, environment: environment, input: input) }
    }

    // MARK: secrets get|put|rm|ls

    @Test func awsRoundTrips() async throws {
        let name = "cli/\(unique("roundtrip"))"
        let reference = "aws-sm://\(name)"

        let created = try await run(["secrets", "put", reference], input: "first-value\n")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("created \(reference), version "))
        #expect(try await run(["secrets", "get", reference]).stdout == "first-value\n")

        let updated = try await run(["secrets", "put", reference], input: #"{"username":"robot","password":"second-value"}"#)
        #expect(updated.stdout.hasPrefix("updated \(reference), version "))
        #expect(try await run(["secrets", "get", reference + "#password"]).stdout == "second-value\n")
        #expect(try await run(["secrets", "get", reference + "?version-stage=AWSPREVIOUS"]).stdout == "first-value\n")
        #expect(try await run(["secrets", "ls", "aws-sm://cli/roundtrip-"]).stdout.split(separator: "\n").contains(Substring(reference)))

        let scheduled = try await run(["secrets", "rm", reference])
        #expect(scheduled.status == 0)
        #expect(scheduled.stdout.hasPrefix("scheduled \(reference) for deletion on "))
        #expect(try await run(["secrets", "rm", "--force", reference]).stdout == "deleted \(reference)\n")
        let gone = try await run(["secrets", "get", reference])
        #expect(gone.status == 2)
        #expect(gone.stderr.hasPrefix("freightliner: \(reference) does not exist in AWS Secrets Manager"))
    }

    @Test func googleRoundTrips() async throws {
        let google = try await GoogleSecretServer.started()
        let reference = "gcp-sm://projects/\(google.project)/secrets/\(unique("cli"))"
        let environment = google.environment
        #expect(try await run(["secrets", "put", reference], input: "g-one", environment: environment).stdout == "created \(reference), version 1\n")
        #expect(try await run(["secrets", "put", reference], input: "g-two", environment: environment).stdout == "updated \(reference), version 2\n")
        #expect(try await run(["secrets", "get", reference], environment: environment).stdout == "g-two\n")
        #expect(try await run(["secrets", "get", reference + "/versions/1"], environment: environment).stdout == "g-one\n")
        #expect(try await run(["secrets", "ls", "gcp-sm://projects/\(google.project)"], environment: environment).stdout == "\(reference)\n")
        #expect(try await run(["secrets", "rm", reference], environment: environment).stdout == "deleted \(reference)\n")
        let denied = try await run(["secrets", "get", "gcp-sm://projects/not-ours/secrets/s"], environment: environment)
        #expect(denied.status == 2)
        #expect(denied.stderr.contains("Google denied access on secret gcp-sm://projects/not-ours/secrets/s"))
    }

    /// There is no way to give a value on the command line: an extra argument is a usage error.
    @Test func putNeverTakesTheValueFromArguments() async throws {
        let result = try await run(["secrets", "put", "aws-sm://cli/\(unique("argv"))", "value-on-argv"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Unexpected argument 'value-on-argv'"))
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        var input: String?
        var secretKey: String?
        let message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "invalid AWS name", arguments: ["secrets", "get", "aws-sm://no spaces"],
                 message: "the AWS secret name \"no spaces\" contains U+20; allowed: A-Za-z0-9/_+=.@-"),
        BadInput(name: "invalid Google id", arguments: ["secrets", "get", "gcp-sm://projects/p/secrets/a.b"],
                 message: "the Google secret id \"a.b\" contains \".\"; allowed: A-Za-z0-9_-"),
        BadInput(name: "not a reference", arguments: ["secrets", "get", "vault://x"], message: "\"vault://x\" is not a secret reference"),
        BadInput(name: "empty value", arguments: ["secrets", "put", "aws-sm://cli/empty"], input: "\n",
                 message: "the secret value is empty: give a value of 1 to 65536 bytes"),
        BadInput(name: "value over 64 KiB", arguments: ["secrets", "put", "aws-sm://cli/big"], input: String(repeating: "b", count: 65_537),
                 message: "the secret value is 65537 bytes; the limit is 65536 bytes (64 KiB)"),
        BadInput(name: "wrong secret key", arguments: ["secrets", "get", "aws-sm://cli/anything"], secretKey: "not-the-key",
                 message: "AWS refused the request signature: the secret access key is wrong for access key "),
        BadInput(name: "unreachable endpoint", arguments: ["secrets", "get", "aws-sm://cli/anything", "--endpoint-url", "http://127.0.0.1:9"],
                 message: "could not reach AWS Secrets Manager at http://127.0.0.1:9 (set by --endpoint-url)"),
        BadInput(name: "endpoint that is not a URL", arguments: ["secrets", "ls", "aws-sm://", "--endpoint-url", "localhost:4566"],
                 message: "--endpoint-url \"localhost:4566\" is not an http:// or https:// URL"),
    ]

    @Test(arguments: badInputs)
    func badInputExitsTwoAndNamesTheValue(_ bad: BadInput) async throws {
        let result = try await run(bad.arguments, input: bad.input, environment: moto.environment(secretAccessKey: bad.secretKey))
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("freightliner: "))
        #expect(result.stderr.contains(bad.message), "\(result.stderr)")
        #expect(!result.stderr.contains("not-the-key"))
        #expect(result.stdout.isEmpty)
    }

    @Test func fieldErrorsNameTheFieldAndNeverTheValue() async throws {
        let reference = "aws-sm://cli/\(unique("fields"))"
        _ = try await run(["secrets", "put", reference], input: "plain-hunter2")
        let notJSON = try await run(["secrets", "get", reference + "#password"])
        #expect(notJSON.status == 2)
        #expect(notJSON.stderr == "freightliner: \(reference)#password: the secret's value is not JSON, so it has no field \"password\"; drop #password to use the whole value\n")

        _ = try await run(["secrets", "put", reference], input: #"{"username":"robot","token":"json-hunter2"}"#)
        let missing = try await run(["secrets", "get", reference + "#password"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "freightliner: \(reference)#password: the secret's JSON has no field \"password\" (it has: \"token\", \"username\")\n")
        #expect(!(notJSON.output + missing.output).contains("hunter2"))
    }

    // MARK: copy with credentials from secrets

    /// A test image in a plain source registry; returns its reference and digest.
    func sourceImage(_ source: TestRegistry, directory: TemporaryDirectory) throws -> (String, Digest) {
        let builder = try LayoutBuilder(path: directory.file("layout"), seed: UInt64.random(in: 1...1_000_000))
        let image = try builder.simpleImage(layerCount: 2, layerSize: 2048)
        try builder.tag(image, "1.0")
        let reference = source.reference("team/app:1.0")
        try Fixtures.push(layout: directory.file("layout"), tag: "1.0", to: reference)
        return (reference, image.digest)
    }

    /// The destination's password lives only in AWS Secrets Manager (moto, signatures checked):
    /// the copy succeeds, skopeo sees the same digest, and the password appears in no output,
    /// no event and no file the run wrote.
    @Test func copyIntoAnHtpasswdRegistryWithDestCredsSecret() async throws {
        let password = "pw-\(UUID().uuidString)"
        let (source, destination) = try await runBlocking {
            (try TestRegistry.start(), try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: password))))
        }
        let directory = TemporaryDirectory()
        let (sourceReference, digest) = try await runBlocking { try sourceImage(source, directory: directory) }
        let secret = "aws-sm://registry/\(unique("dest"))"
        let stored = try await run(["secrets", "put", secret], input: #"{"username":"robot","password":"\#(password)"}"#)
        #expect(stored.status == 0, "\(stored.stderr)")

        var environment = moto.environment()
        environment["XDG_STATE_HOME"] = directory.file("state")
        environment["HOME"] = directory.path
        let copy = try await run(["copy", "--ui", "json", "--dest-creds-secret", secret, sourceReference,
                                  destination.reference("mirror/app:1.0")], environment: environment)
        #expect(copy.status == 0, "\(copy.output)")
        let summary = try #require(CLI.summary(copy.stdout))
        #expect(summary.string("status") == "completed")
        #expect(summary.int("tags", "copied") == 1)
        let statuses = CLI.jsonLines(copy.stdout).filter { $0["event"] as? String == "secret_status" }
        #expect(statuses.count == 1)
        #expect(statuses.first?.string("provider") == "aws-sm")
        #expect(statuses.first?.string("reference") == secret)
        #expect(statuses.first?.string("state") == "loaded")

        let copied = try await runBlocking { try Skopeo.digest(destination.reference("mirror/app:1.0"), credentials: "robot:\(password)") }
        #expect(copied == digest)

        #expect(!copy.output.contains(password))
        #expect(!stored.output.contains(password))
        let written = FileManager.default.enumerator(atPath: directory.path)?.compactMap { $0 as? String } ?? []
        for file in written {
            let contents = FileManager.default.contents(atPath: directory.file(file)) ?? Data()
            #expect(contents.range(of: Data(password.utf8)) == nil, "the password is in \(file)")
        }
    }

    /// A docker-config style secret (`{"auths": …}`) from Google Secret Manager for the source.
    @Test func copyFromAnHtpasswdRegistryWithAnAuthsSecretFromGoogle() async throws {
        let google = try await GoogleSecretServer.started()
        let password = "pw-\(UUID().uuidString)"
        let (source, destination) = try await runBlocking {
            (try TestRegistry.start(.init(auth: .htpasswd(user: "puller", password: password))), try TestRegistry.start())
        }
        let directory = TemporaryDirectory()
        let builder = try LayoutBuilder(path: directory.file("layout"), seed: 7)
        let image = try builder.simpleImage()
        try builder.tag(image, "2.0")
        try await runBlocking {
            try Fixtures.push(layout: directory.file("layout"), tag: "2.0", to: source.reference("team/tool:2.0"), user: "puller", password: password)
        }
        let auth = Data("puller:\(password)".utf8).base64EncodedString()
        let secret = "gcp-sm://projects/\(google.project)/secrets/\(unique("src"))"
        _ = try await run(["secrets", "put", secret], input: #"{"auths":{"\#(source.host)":{"auth":"\#(auth)"}}}"#, environment: google.environment)

        let copy = try await run(["copy", "--ui", "json", "--src-creds-secret", secret, source.reference("team/tool:2.0"),
                                  destination.reference("team/tool:2.0")], environment: google.environment)
        #expect(copy.status == 0, "\(copy.output)")
        #expect(try await runBlocking { try Skopeo.digest(destination.reference("team/tool:2.0")) } == image.digest)
        #expect(!copy.output.contains(password) && !copy.output.contains(auth))
    }

    @Test func aMissingCredentialsSecretStopsTheCopyBeforeAnyTransfer() async throws {
        let (source, destination) = try await runBlocking { (try TestRegistry.start(), try TestRegistry.start()) }
        let directory = TemporaryDirectory()
        let (sourceReference, _) = try await runBlocking { try sourceImage(source, directory: directory) }
        let secret = "aws-sm://registry/\(unique("absent"))"
        let copy = try await run(["copy", "--ui", "json", "--dest-creds-secret", secret, sourceReference, destination.reference("x/app:1.0")])
        #expect(copy.status == 2)
        #expect(copy.stderr.hasPrefix("freightliner: --dest-creds-secret \(secret): \(secret) does not exist in AWS Secrets Manager"))
        #expect(try await runBlocking { try Shell.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(destination.reference("x/app:1.0"))"]) }.status != 0)

        let bad = try await run(["copy", "--dest-creds-secret", "aws-sm://bad name", sourceReference, destination.reference("x/app:1.0")])
        #expect(bad.status == 2)
        #expect(bad.stderr == "freightliner: --dest-creds-secret: the AWS secret name \"bad name\" contains U+20; allowed: A-Za-z0-9/_+=.@-\n")
    }

    /// A sync keeps the secret's reference in its checkpoint, never the value; after a failed
    /// run (the secret held a stale password) the secret is rotated, and `resume` without any
    /// credentials flag reads the saved reference again and finishes the run.
    @Test func syncSavesOnlyTheSecretReferenceAndResumeReadsItAgain() async throws {
        let password = "pw-\(UUID().uuidString)"
        let (source, destination) = try await runBlocking {
            (try TestRegistry.start(), try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: password))))
        }
        try await runBlocking {
            let images = try StandardImages(seed: 11, layerSize: 4096)
            try images.push(to: source.reference("team/a"))
            try images.push(to: source.reference("team/b"))
        }
        let tagCount = StandardImages.tags.count * 2
        let secret = "aws-sm://registry/\(unique("sync"))"
        _ = try await run(["secrets", "put", secret], input: #"{"username":"robot","password":"stale-password-123"}"#)
        let state = TemporaryDirectory()
        var environment = moto.environment()
        environment["HOME"] = state.path
        let runs = ["--checkpoint-dir", state.file("runs")]

        let first = try await run(["sync", "--ui", "json", "--run-id", "with-secret", "--dest-creds-secret", secret]
                                  + runs + ["\(source.host)/team", "\(destination.host)/mirror"], environment: environment)
        #expect(first.status == 1, "\(first.output)")
        #expect(CLI.summary(first.stdout)?.int("tags", "failed") == tagCount)

        _ = try await run(["secrets", "put", secret], input: #"{"username":"robot","password":"\#(password)"}"#)
        let resumed = try await run(["resume", "--ui", "json", "with-secret"] + runs, environment: environment)
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try #require(CLI.summary(resumed.stdout))
        #expect(summary.string("status") == "completed")
        #expect(summary.int("session", "tags_copied") == tagCount)
        let statuses = CLI.jsonLines(resumed.stdout).filter { $0["event"] as? String == "secret_status" }
        #expect(statuses.map { $0.string("reference") } == [secret])
        for repository in ["a", "b"] {
            let copied = try await runBlocking { try Skopeo.digest(destination.reference("mirror/\(repository):oci-multi"), credentials: "robot:\(password)") }
            #expect(copied == (try await runBlocking { try Skopeo.digest(source.reference("team/\(repository):oci-multi")) }))
        }

        var sawReference = false
        for file in FileManager.default.enumerator(atPath: state.file("runs"))?.compactMap({ $0 as? String }) ?? [] {
            guard let contents = FileManager.default.contents(atPath: state.file("runs/\(file)")) else { continue }
            #expect(contents.range(of: Data(password.utf8)) == nil, "the password is in \(file)")
            #expect(contents.range(of: Data("stale-password-123".utf8)) == nil, "the stale password is in \(file)")
            sawReference = sawReference || contents.range(of: Data(secret.utf8)) != nil
        }
        #expect(sawReference, "the checkpoint keeps the secret's reference")
        #expect(!(first.output + resumed.output).contains(password) && !(first.output + resumed.output).contains("stale-password-123"))
    }

    /// A secret whose password the registry refuses: the tag fails with the registry's reason,
    /// and the wrong password is not printed either.
    @Test func aRefusedPasswordFromASecretFailsTheTagWithoutPrintingIt() async throws {
        let (source, destination) = try await runBlocking {
            (try TestRegistry.start(), try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: "right-password"))))
        }
        let directory = TemporaryDirectory()
        let (sourceReference, _) = try await runBlocking { try sourceImage(source, directory: directory) }
        let secret = "aws-sm://registry/\(unique("wrong"))"
        _ = try await run(["secrets", "put", secret], input: #"{"username":"robot","password":"wrong-password-xyz"}"#)
        let copy = try await run(["copy", "--ui", "json", "--dest-creds-secret", secret, sourceReference, destination.reference("x/app:1.0")])
        #expect(copy.status == 1, "\(copy.output)")
        #expect(copy.stdout.contains("the registry refused the credentials for \(destination.host)"))
        #expect(!copy.output.contains("wrong-password-xyz"))
    }
}
