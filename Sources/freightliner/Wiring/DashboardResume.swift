import FreightEngine
import FreightTUI

/// How `r` in `freightliner dashboard` starts a saved run: prepare it exactly as
/// `freightliner resume RUN_ID` does, then `RunDriver.startForDashboard`, closing the
/// checkpoint writer in `whenDone`. Nil while this build has no resume entry point; the
/// dashboard then tells the operator to use `freightliner resume RUN_ID`.
enum DashboardResume {
    static func entryPoint(store: CheckpointStore, connection: ConnectionOptions) -> (@Sendable (String) async throws -> LiveRun)? {
        nil
    }
}
