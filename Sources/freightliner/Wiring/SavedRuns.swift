import FreightEngine
import FreightTUI

extension SavedRun {
    /// A checkpoint store's listing as the dashboard shows it: from the run's header; the
    /// dashboard never sees the record itself.
    init(_ listing: CheckpointStore.Listing) {
        guard let header = listing.header else {
            self.init(runID: listing.runID, state: .damaged, problem: listing.problem ?? "cannot be read")
            return
        }
        let state: SavedRun.State
        switch header.state {
        case .running: state = .running
        case .interrupted: state = .interrupted
        case .completed: state = .completed
        case .failed: state = .failed
        }
        let repositories = header.repositories.map { SavedRun.Repository(name: $0.name, done: $0.done, failed: $0.failed, total: $0.total) }
        self.init(runID: header.runID, state: state, source: header.source, destination: header.destination,
                  updatedAt: header.updatedAt, done: header.done, failed: header.failed, total: header.total,
                  repositories: repositories, repositoryCount: header.repositoryCount,
                  resumable: header.hasWorkLeft && header.hasSettings)
    }
}
