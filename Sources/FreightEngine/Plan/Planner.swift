import FreightCore
import FreightRegistry

/// Turns a sync request into the run's repositories and tags: repositories from the source's
/// catalog (or named ones), filtered, each mapped to the same relative path under the
/// destination, with their tags listed and filtered.
public struct Planner: Sendable {
    public let source: RegistryClient
    public let sourcePrefix: RegistryPrefix
    public let destinationPrefix: RegistryPrefix
    public let filters: PlanFilters
    public let events: EventBus?

    public init(source: RegistryClient, sourcePrefix: RegistryPrefix, destinationPrefix: RegistryPrefix,
                filters: PlanFilters, events: EventBus? = nil) {
        self.source = source
        self.sourcePrefix = sourcePrefix
        self.destinationPrefix = destinationPrefix
        self.filters = filters
        self.events = events
    }

    /// `named`: repository paths relative to the source prefix (`--repo`), or nil for the catalog.
    public func plan(named: [String]?) async throws -> [RepositoryRecord] {
        let relativePaths: [String]
        if let named {
            relativePaths = named
        } else {
            let all = try await source.repositories(under: sourcePrefix.prefix)
            relativePaths = all.compactMap { sourcePrefix.relativePath(of: $0) }
        }
        let selected = relativePaths.filter { filters.includes(repository: $0) }

        let lane = AsyncSemaphore(permits: 8)
        let listed = try await withThrowingTaskGroup(of: (Int, RepositoryRecord?).self) { group in
            for (position, relative) in selected.enumerated() {
                group.addTask {
                    try await lane.withPermit {
                        (position, try await self.record(for: relative, explicitlyNamed: named != nil))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.compactMap(\.1)
        }
        // A filter that keeps nothing is almost always a typo: say so, rather than an empty run.
        if selected.isEmpty, !relativePaths.isEmpty, !filters.repositoryOptions.isEmpty {
            events?.emit(.warning("no repository under \(sourcePrefix) matches \(filters.repositoryOptions.joined(separator: " ")) "
                                  + "(\(relativePaths.count) looked at)"))
        } else if listed.isEmpty, !selected.isEmpty, !filters.tagOptions.isEmpty {
            events?.emit(.warning("no tag matches \(filters.tagOptions.joined(separator: " ")) in the \(selected.count) "
                                  + "repositories under \(sourcePrefix)"))
        }
        return listed
    }

    private func record(for relative: String, explicitlyNamed: Bool) async throws -> RepositoryRecord? {
        let sourcePath = sourcePrefix.repository(relative: relative)
        let destinationPath = destinationPrefix.repository(relative: relative)
        let tags: [String]
        do {
            tags = try await RegistryRepository(client: source, path: sourcePath).tags()
        } catch let error as RegistryError where error.isNotFound {
            if explicitlyNamed {
                throw PlanError(reason: "repository \"\(relative)\" (\(source.registry)/\(sourcePath)) does not exist at the source")
            }
            events?.emit(.warning("\(source.registry)/\(sourcePath) disappeared after the catalog listed it; skipped"))
            return nil
        }
        let chosen = filters.select(tags)
        guard !chosen.isEmpty else { return nil }
        return RepositoryRecord(source: sourcePath, destination: destinationPath,
                                tags: chosen.map { TagRecord(job: TagJob(source: $0, destination: $0)) })
    }
}

/// A sync that cannot be planned as asked.
public struct PlanError: Error, CustomStringConvertible {
    public let reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}
