import ArgumentParser
import FreightCore
import FreightRegistry

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

    @Option(name: .customLong("retries"), help: "Attempts for an operation that fails transiently.")
    var retries: Int = 5

    func validate() throws {
        guard retries >= 1, retries <= 100 else { throw ValidationError("--retries must be 1-100, got \(retries)") }
        for host in insecureRegistries {
            do { _ = try RegistryPrefix(parsing: host) } catch {
                throw ValidationError("--insecure-registry \"\(host)\" is not HOST[:PORT]")
            }
        }
    }

    func credentials(_ role: Role) throws -> Credentials? {
        switch role {
        case .source: return try sourceCredentials.map { try Credentials(parsing: $0, option: "--src-creds") }
        case .destination: return try destinationCredentials.map { try Credentials(parsing: $0, option: "--dest-creds") }
        }
    }

    var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: retries) }
}

enum Role: String, Sendable {
    case source, destination
}
