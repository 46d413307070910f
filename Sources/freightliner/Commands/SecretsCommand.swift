import ArgumentParser
import Foundation
import FreightCore
import FreightHTTP
import FreightSecrets

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Read, write, delete and list secrets in AWS Secrets Manager or Google Secret Manager.",
        discussion: """
            References: aws-sm://NAME[?version-stage=STAGE|?version-id=ID][#FIELD] and \
            gcp-sm://projects/PROJECT/secrets/NAME[/versions/VERSION][#FIELD]; #FIELD picks one field of a JSON value.

            AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE with \
            ~/.aws/credentials and ~/.aws/config, or EC2 instance metadata; the region from AWS_REGION, AWS_DEFAULT_REGION \
            or the profile. Google credentials: GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS (a \
            service-account key file) or GCE_METADATA_HOST.

            Exit status: 0 done; 2 refused, with a message naming what: a bad reference, name or value, a missing secret \
            or field, refused credentials, an unreachable endpoint.
            """,
        subcommands: [Get.self, Put.self, Remove.self, List.self]
    )

    /// Where the secrets service is, shared by every subcommand.
    struct ServiceOptions: ParsableArguments {
        @Option(name: .customLong("endpoint-url"),
                help: ArgumentHelp("Send requests to this endpoint instead (AWS_ENDPOINT_URL_SECRETS_MANAGER / CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER).",
                                   valueName: "URL"))
        var endpointURL: String?

        @Option(name: .customLong("region"), help: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region).")
        var region: String?

        @Option(name: .customLong("profile"), help: "AWS profile in ~/.aws (default: AWS_PROFILE).")
        var profile: String?

        func providers(recoveryWindowDays: Int = 30) -> SecretsProviders {
            SecretsProviders(http: HTTPClient(), settings: .init(environment: ProcessInfo.processInfo.environment, endpointURL: endpointURL,
                                                                 awsRegion: region, awsProfile: profile,
                                                                 recoveryWindowDays: recoveryWindowDays))
        }
    }

    /// Runs `body`, turning any error into freightliner's one-line message and exit status 2.
    static func running(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get", abstract: "Print a secret's value (or one #FIELD of it) followed by a newline.")

        @Argument(help: "aws-sm://NAME[#FIELD] or gcp-sm://projects/P/secrets/NAME[#FIELD].")
        var reference: String

        @OptionGroup var service: ServiceOptions

        func run() async throws {
            try await SecretsCommand.running {
                let reference = try SecretReference(parsing: reference)
                let version = try await service.providers().provider(for: reference).get(reference)
                let value = try reference.field.map { try SecretField.extract($0, from: version.value, reference: reference) } ?? version.value
                Console.out(value.revealed + "\n")
            }
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Store the value read from stdin as the secret's new version, creating the secret if needed.",
            discussion: """
                The value is read from stdin only, never from the command line (where ps and shell history would show \
                it); one trailing newline is dropped.
                  printf '%s' "$TOKEN" | freightliner secrets put aws-sm://ci/registry
                """)

        @Argument(help: "aws-sm://NAME or gcp-sm://projects/P/secrets/NAME.")
        var reference: String

        @OptionGroup var service: ServiceOptions

        func run() async throws {
            try await SecretsCommand.running {
                let reference = try SecretReference(parsing: reference)
                if isatty(STDIN_FILENO) == 1 {
                    Console.error("freightliner: reading the value for \(reference) from stdin; end with Ctrl-D\n")
                }
                let value = try Self.readValue()
                let outcome = try await service.providers().provider(for: reference).put(reference, value: value)
                let version = outcome.version.map { ", version \($0)" } ?? ""
                print("\(outcome.created ? "created" : "updated") \(reference)\(version)")
            }
        }

        /// Stdin, without one trailing newline, validated before anything is sent.
        static func readValue() throws -> Secret {
            var data = FileHandle.standardInput.readDataToEndOfFile()
            if data.last == UInt8(ascii: "\n") { data.removeLast() }
            if data.last == UInt8(ascii: "\r") { data.removeLast() }
            guard let text = String(data: data, encoding: .utf8) else {
                throw SecretsError(.invalidInput, "the value on stdin is not UTF-8 text")
            }
            let value = Secret(text)
            try SecretValidation.validateValue(value)
            return value
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Delete a secret: AWS keeps it recoverable for a recovery window unless --force; Google deletes at once.")

        @Argument(help: "aws-sm://NAME or gcp-sm://projects/P/secrets/NAME.")
        var reference: String

        @Flag(help: "AWS: delete now, without a recovery window (ForceDeleteWithoutRecovery).")
        var force = false

        @Option(name: .customLong("recovery-window-days"), parsing: .unconditional, help: "AWS: days the secret stays recoverable (7-30).")
        var recoveryWindowDays = 30

        @OptionGroup var service: ServiceOptions

        func validate() throws {
            guard (7...30).contains(recoveryWindowDays) else {
                throw invalid("--recovery-window-days must be 7-30, got \(recoveryWindowDays)")
            }
        }

        func run() async throws {
            try await SecretsCommand.running {
                let reference = try SecretReference(parsing: reference)
                let outcome = try await service.providers(recoveryWindowDays: recoveryWindowDays).provider(for: reference)
                    .delete(reference, force: force)
                switch outcome {
                case .deleted:
                    print("deleted \(reference)")
                case .scheduled(let date):
                    let day = ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
                    print("scheduled \(reference) for deletion on \(day); until then it can be restored (--force deletes at once)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List secrets whose names start with a prefix, one reference per line.")

        @Argument(help: "aws-sm://[PREFIX] or gcp-sm://projects/P[/secrets/PREFIX].")
        var prefix: String

        @OptionGroup var service: ServiceOptions

        func run() async throws {
            try await SecretsCommand.running {
                let prefix = try SecretPrefix(parsing: prefix)
                for reference in try await service.providers().provider(for: prefix.scheme).list(prefix) {
                    print(reference)
                }
            }
        }
    }
}
