import Foundation

/// The rows as shown: filtered and sorted. Rendering and navigation both read these, so what
/// the keys move through is exactly what is on screen.
extension DashboardState {
    public var visibleRepositories: [RepositoryProgress] {
        let needle = view.filter.lowercased()
        return run.repositories
            .filter { needle.isEmpty || $0.name.lowercased().contains(needle) }
            .sorted { ($0.sortRank, $0.order) < ($1.sortRank, $1.order) }
    }

    /// The selected repository if it is visible, else the first visible one.
    public var currentRepository: RepositoryProgress? {
        let visible = visibleRepositories
        if let name = view.selectedRepository, let match = visible.first(where: { $0.name == name }) { return match }
        return visible.first
    }

    public func visibleTags(of repository: RepositoryProgress) -> [TagProgress] {
        repository.tags.enumerated()
            .sorted { ($0.element.sortRank, $0.offset) < ($1.element.sortRank, $1.offset) }
            .map(\.element)
    }

    public var currentTag: TagProgress? {
        guard let repository = currentRepository else { return nil }
        let visible = visibleTags(of: repository)
        if let name = view.selectedTag, let match = visible.first(where: { $0.name == name }) { return match }
        return visible.first
    }

    public var visibleRuns: [SavedRun] {
        let needle = view.filter.lowercased()
        guard !needle.isEmpty else { return savedRuns }
        return savedRuns.filter {
            $0.runID.lowercased().contains(needle) || $0.source.lowercased().contains(needle)
                || $0.destination.lowercased().contains(needle)
        }
    }

    public var currentRun: SavedRun? {
        let visible = visibleRuns
        if let id = view.selectedRun, let match = visible.first(where: { $0.runID == id }) { return match }
        return visible.first
    }
}
