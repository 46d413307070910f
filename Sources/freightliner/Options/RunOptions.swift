import ArgumentParser
import FreightEngine

/// Options of every command that runs a checkpointed replication (`sync`, `resume`).
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("checkpoint-dir"),
            help: ArgumentHelp("Where runs are saved (default: $XDG_STATE_HOME/freightliner/runs or ~/.local/state/freightliner/runs).",
                               valueName: "DIR"))
    var checkpointDirectory: String?

    var store: CheckpointStore {
        CheckpointStore(directory: checkpointDirectory ?? CheckpointStore.defaultDirectory())
    }
}

func validateJobs(_ jobs: Int?) throws {
    if let jobs, !(1...256).contains(jobs) { throw invalid("--jobs must be 1-256, got \(jobs)") }
}
