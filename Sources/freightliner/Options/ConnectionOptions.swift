import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightRegistry
import FreightSecrets

/// How to reach and authenticate to registries; shared by every command that talks to one.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("src-creds"),
            help: ArgumentHelp("USER:PASS for the source registry.", discussion: Self.argvWarning, valueName: "USER:PASS"))
    var sourceCredentials: String?

    @Option(name: .customLong("dest-creds"),
            help: ArgumentHelp("USER:PASS for the destination registry.", discussion: Self.argvWarning, valueName: "USER:PASS"))
    var destinationCredentials: String?

    /// The one place a secret may come from argv: say what that costs.
    static let argvWarning = "The only options that take a secret on the command line: it is visible to other users of this "
        + "machine in the process list and may stay in shell history. Prefer --src-creds-secret/--dest-creds-secret or a docker/podman login."

    @Option(name: .customLong("src-creds-secret"),
            help: ArgumentHelp("Source registry credentials from a secret holding {\"username\",\"password\"} or {\"auths\":{…}}.",
                               valueName: "aws-sm://NAME[#FIELD] | gcp-sm://projects/P/secrets/NAME[#FIELD]"))
    var sourceCredentialsSecret: String?

    @Option(name: .customLong("dest-creds-secret"),
            help: ArgumentHelp("Destination registry credentials from a secret (as --src-creds-secret).", valueName: "REF"))
    var destinationCredentialsSecret: String?

    @Flag(name: .customLong("no-create-repos"), help: "Do not create missing destination repositories on ECR.")
    var noCreateRepositories = false

    @Option(name: .customLong("insecure-registry"),
            help: ArgumentHelp("Allow plain HTTP and skip TLS verification for HOST[:PORT] (repeatable). Loopback hosts always may.",
                               valueName: "HOST[:PORT]"))
    var insecureRegistries: [String] = []

    @Option(name: .customLong("src-cert-dir"),
            help: ArgumentHelp("CAs (DIR/*.crt) and a client certificate (DIR/NAME.cert + NAME.key) for the source registry; default: its certs.d directory.",
                               valueName: "DIR"))
    var sourceCertificateDirectory: String?

    @Option(name: .customLong("dest-cert-dir"),
            help: ArgumentHelp("As --src-cert-dir, for the destination registry.", valueName: "DIR"))
    var destinationCertificateDirectory: String?

    @Option(name: .customLong("src-tls-verify"),
            help: ArgumentHelp("Verify the source registry's certificate (--src-tls-verify=false: do not; a warning says so).",
                               valueName: "BOOL"))
    var sourceTLSVerify: Bool?

    @Option(name: .customLong("dest-tls-verify"),
            help: ArgumentHelp("As --src-tls-verify, for the destination registry.", valueName: "BOOL"))
    var destinationTLSVerify: Bool?

    @Option(name: .customLong("authfile"),
            help: ArgumentHelp("A containers auth.json (or docker config.json) to read logins from first, for both registries.",
                               valueName: "FILE"))
    var authFile: String?

    @Option(name: .customLong("src-authfile"), help: ArgumentHelp("As --authfile, for the source registry only.", valueName: "FILE"))
    var sourceAuthFile: String?

    @Option(name: .customLong("dest-authfile"), help: ArgumentHelp("As --authfile, for the destination registry only.", valueName: "FILE"))
    var destinationAuthFile: String?

    @Option(name: .customLong("requests-per-second"), parsing: .unconditional,
            help: ArgumentHelp("At most N requests a second to each registry, for registries that ration them.", valueName: "N"))
    var requestsPerSecond: Int?

    @Flag(help: "Trace every HTTP request on stderr: method, URL without its query, status, time (never a header).")
    var debug = false

    @Option(name: .customLong("retries"), parsing: .unconditional, help: "Attempts for an operation that fails transiently.")
    var retries: Int = 5

    @Option(name: .customLong("retry-times"), parsing: .unconditional, help: ArgumentHelp("Retries after a first failure (skopeo's spelling: --retries N+1).",
                                                                   valueName: "N"))
    var retryTimes: Int?

    func validate() throws {
        guard retries >= 1, retries <= 100 else { throw invalid("--retries must be 1-100, got \(retries)") }
        if let requestsPerSecond, requestsPerSecond < 1 { throw invalid("--requests-per-second must be at least 1, got \(requestsPerSecond)") }
        if let retryTimes, !(0...99).contains(retryTimes) { throw invalid("--retry-times must be 0-99, got \(retryTimes)") }
        for (option, file) in [("--authfile", authFile), ("--src-authfile", sourceAuthFile), ("--dest-authfile", destinationAuthFile)] {
            guard let file else { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw invalid("\(option) \"\(file)\": no such file")
            }
        }
        for (option, directory) in [("--src-cert-dir", sourceCertificateDirectory), ("--dest-cert-dir", destinationCertificateDirectory)] {
            guard let directory else { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw invalid("\(option) \"\(directory)\": not a directory")
            }
        }
        for (option, reference) in [("--src-creds-secret", sourceCredentialsSecret), ("--dest-creds-secret", destinationCredentialsSecret)] {
            guard let reference else { continue }
            do { _ = try SecretReference(parsing: reference) } catch { throw invalid("\(option): \(error)") }
        }
        for host in insecureRegistries {
            do { _ = try RegistryPrefix(parsing: host) } catch {
                throw invalid("--insecure-registry \"\(host)\" is not HOST[:PORT]")
            }
        }
    }

    func credentials(_ role: Role) throws -> Credentials? {
        switch role {
        case .source: return try sourceCredentials.map { try Credentials(parsing: $0, option: "--src-creds") }
        case .destination: return try destinationCredentials.map { try Credentials(parsing: $0, option: "--dest-creds") }
        }
    }

    var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: retryTimes.map { $0 + 1 } ?? retries) }

    /// TLS and login files per role, as the options give them, else as a resumed run saved them.
    func roleSettings(saved: RunSettings? = nil) -> [Role: Connections.RoleSettings] {
        [.source: .init(certificateDirectory: sourceCertificateDirectory ?? saved?.sourceCertificateDirectory,
                        verifyTLS: sourceTLSVerify ?? true, authFile: sourceAuthFile ?? authFile ?? saved?.sourceAuthFile),
         .destination: .init(certificateDirectory: destinationCertificateDirectory ?? saved?.destinationCertificateDirectory,
                             verifyTLS: destinationTLSVerify ?? true,
                             authFile: destinationAuthFile ?? authFile ?? saved?.destinationAuthFile)]
    }

    /// Records in a run's settings what a resume needs of these options: the paths, and the
    /// registries whose verification `--*-tls-verify=false` turned off (kept as insecure).
    func save(into settings: inout RunSettings) {
        let roles = roleSettings()
        settings.sourceCertificateDirectory = roles[.source]?.certificateDirectory
        settings.destinationCertificateDirectory = roles[.destination]?.certificateDirectory
        settings.sourceAuthFile = roles[.source]?.authFile
        settings.destinationAuthFile = roles[.destination]?.authFile
        settings.requestsPerSecond = requestsPerSecond
        if sourceTLSVerify == false { settings.insecureRegistries.append(settings.source.registry) }
        if destinationTLSVerify == false { settings.insecureRegistries.append(settings.destination.registry) }
    }
}

enum Role: String, Sendable {
    case source, destination
}
