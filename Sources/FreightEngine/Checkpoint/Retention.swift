import Foundation

/// Which saved runs to remove: only finished ones (`resume` has nothing left to do for them),
/// never one in use. A finished run is kept while it is among the newest `keep` finished runs
/// considered, or newer than `newerThan`; with both, kept by either (as restic's `--keep-last`
/// and `--keep-within`).
public struct Retention: Sendable {
    public var keep: Int?
    public var newerThan: Date?

    public init(keep: Int? = nil, newerThan: Date? = nil) {
        self.keep = keep
        self.newerThan = newerThan
    }

    public struct Outcome: Sendable {
        public var removed: [String] = []
        /// Runs that should have gone and could not (in use, unwritable), with why.
        public var failed: [(runID: String, reason: String)] = []
    }

    /// The runs of `listings` (newest first, as `CheckpointStore.list` gives them) this removes.
    public func chosen(from listings: [CheckpointStore.Listing], considering: (RunHeader) -> Bool = { _ in true }) -> [String] {
        let finished = listings.compactMap(\.header).filter { !$0.hasWorkLeft && $0.state != .running && considering($0) }
        return finished.enumerated().compactMap { position, header in
            let keptByCount = keep.map { position < $0 } ?? false
            let keptByAge = newerThan.map { header.updatedAt >= $0 } ?? false
            let anyRule = keep != nil || newerThan != nil
            return anyRule && !keptByCount && !keptByAge ? header.runID : nil
        }
    }

    /// Removes what `chosen` picks from `store`.
    public func apply(to store: CheckpointStore, considering: (RunHeader) -> Bool = { _ in true }) -> Outcome {
        var outcome = Outcome()
        for runID in chosen(from: store.list(), considering: considering) {
            do {
                try store.remove(runID)
                outcome.removed.append(runID)
            } catch {
                outcome.failed.append((runID, "\(error)"))
            }
        }
        return outcome
    }
}
