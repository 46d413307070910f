import FreightEngine
import FreightTUI

extension SavedRun {
    /// A checkpoint store's listing as the dashboard shows it; it never sees the record itself.
    init(_ listing: CheckpointStore.Listing) {
        guard let record = listing.record else {
            self.init(runID: listing.runID, state: .damaged, problem: listing.problem ?? "cannot be read")
            return
        }
        let state: SavedRun.State
        switch record.state {
        case .running: state = .running
        case .interrupted: state = .interrupted
        case .completed: state = .completed
        case .failed: state = .failed
        }
        let repositories = record.repositories.map { repository in
            SavedRun.Repository(name: repository.destination, done: repository.tags.filter(\.state.isDone).count,
                                failed: repository.tags.filter { $0.state == .failed }.count, total: repository.tags.count)
        }
        let progress = record.progress
        self.init(runID: record.runID, state: state, source: record.source, destination: record.destination,
                  updatedAt: record.updatedAt, done: progress.done, failed: repositories.reduce(0) { $0 + $1.failed },
                  total: progress.total, repositories: repositories, resumable: record.isResumable && !record.jobSettings.isEmpty)
    }
}
