import FreightEngine
import FreightTUI

/// How `r` in `freightliner dashboard` starts a saved run: prepared exactly as
/// `freightliner resume RUN_ID` does (`RunLauncher.resume`), then run under the open
/// dashboard, closing the checkpoint writer when it ends.
enum DashboardResume {
    static func entryPoint(store: CheckpointStore, connection: ConnectionOptions) -> @Sendable (String) async throws -> LiveRun {
        { runID in
            let events = EventBus()
            guard let prepared = try await RunLauncher.resume(runID: runID, store: store, connection: connection, jobs: nil,
                                                              events: events) else {
                throw DashboardError(description: "run \(runID) has nothing left to do")
            }
            return RunDriver(replicator: prepared.replicator, output: .plain)
                .startForDashboard(prepared.jobs, ledger: prepared.ledger, info: prepared.info) { await prepared.writer?.close() }
                .run
        }
    }
}
