import ArgumentParser
import CBuildInfo
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
        version: Freightliner.version,
        subcommands: [CopyCommand.self, SyncCommand.self, RunCommand.self, ServeCommand.self, ResumeCommand.self, CheckpointsCommand.self,
                      StatusCommand.self, PlanCommand.self, ListCommand.self, SecretsCommand.self, DashboardCommand.self]
    )

    /// `freightliner 0.1.0 (commit 1a2b3c4, built 2026-12-01T10:00:00Z)`: the release, and what
    /// `make build` recorded of the build.
    static var version: String {
        let commit = String(cString: freightliner_build_commit()), date = String(cString: freightliner_build_date())
        return "freightliner \(FreightVersion.current) (commit \(commit), built \(date))"
    }

    static func main() async {
        // A closed pipe (a credential helper that exited, `| head`) must be an error, not death.
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
