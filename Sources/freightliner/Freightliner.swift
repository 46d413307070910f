import ArgumentParser
import Foundation
import FreightCore

@main
struct Freightliner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freightliner",
        abstract: "Replicate container images between OCI registries and image layouts.",
        discussion: """
            References: [docker://]HOST[:PORT]/PATH[:TAG|@sha256:HEX] for a registry, oci:DIR[:TAG] for an \
            OCI image layout. Exit status: 0 done, 1 finished with failed items, 2 bad input or \
            configuration, 3 interrupted with a checkpoint saved (resumable), 64 usage error.
            """,
        version: FreightVersion.current,
        subcommands: [CopyCommand.self, SyncCommand.self, ResumeCommand.self, CheckpointsCommand.self, ListCommand.self,
                      SecretsCommand.self, DashboardCommand.self]
    )

    static func main() async {
        // A closed pipe (a credential helper that exited, `| head`) must be an error, not death.
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
