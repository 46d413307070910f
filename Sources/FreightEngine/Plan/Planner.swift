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

    /// A plan, with what the source listed (for `--prune`).
    public struct Plan: Sendable {
        public var repositories: [RepositoryRecord]
        /// The catalog's repositories relative to the source prefix; nil when they were named.
        public var catalog: [String]?
        /// Repositories the catalog listed that vanished before their tags could be: the
        /// listing is not whole.
        public var vanished: [String]
        /// Repositories listed with tags of which no filter took one, with those tags.
        public var unplanned: [PruneRecord.Listed]
    }

    /// `named`: repository paths relative to the source prefix (`--repo`), or nil for the catalog.
    public func plan(named: [String]?) async throws -> [RepositoryRecord] {
        try await planWithListing(named: named).repositories
    }

    /// The plan, each repository with every tag the source listed (`sourceTags`), and the catalog.
    public func planWithListing(named: [String]?) async throws -> Plan {
        let progress = PlanningReporter(events: events)
        progress.begin()
        let relativePaths: [String]
        if let named {
            relativePaths = named
        } else {
            let all = try await source.repositories(under: sourcePrefix.prefix)
            relativePaths = all.compactMap { sourcePrefix.relativePath(of: $0) }
        }
        let selected = relativePaths.filter { filters.includes(repository: $0) }
        progress.listed(relativePaths.count, selected: selected.count)

        let lane = AsyncSemaphore(permits: Self.tagListsAtOnce)
        let results = try await withThrowingTaskGroup(of: (Int, Listed).self) { group in
            for (position, relative) in selected.enumerated() {
                group.addTask {
                    try await lane.withPermit {
                        let listed = try await self.record(for: relative, explicitlyNamed: named != nil)
                        if case .planned(let record) = listed { progress.read(tags: record.tags.count) } else { progress.read(tags: 0) }
                        return (position, listed)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        progress.finish()
        let listed = results.compactMap { result -> RepositoryRecord? in
            if case .planned(let record) = result { return record }
            return nil
        }
        let vanished = results.compactMap { result -> String? in
            if case .vanished(let path) = result { return path }
            return nil
        }
        let unplanned = results.compactMap { result -> PruneRecord.Listed? in
            if case .empty(let listed) = result { return listed }
            return nil
        }
        // A filter that keeps nothing is almost always a typo: say so, rather than an empty run.
        if selected.isEmpty, !relativePaths.isEmpty, !filters.repositoryOptions.isEmpty {
            events?.emit(.warning("no repository under \(sourcePrefix) matches \(filters.repositoryOptions.joined(separator: " ")) "
                                  + "(\(relativePaths.count) looked at)"))
        } else if listed.isEmpty, !selected.isEmpty, !filters.tagOptions.isEmpty {
            events?.emit(.warning("no tag matches \(filters.tagOptions.joined(separator: " ")) in the \(selected.count) "
                                  + "repositories under \(sourcePrefix)"))
        }
        return Plan(repositories: listed, catalog: named == nil ? relativePaths : nil, vanished: vanished, unplanned: unplanned)
    }

    /// Tag lists read at once: each is a round trip, so across a WAN planning 2,000 repositories
    /// takes 2,000 / this of them.
    static let tagListsAtOnce = 16

    private enum Listed: Sendable {
        case planned(RepositoryRecord)
        /// Listed, but no tag of it is taken.
        case empty(PruneRecord.Listed)
        case vanished(String)
    }

    private func record(for relative: String, explicitlyNamed: Bool) async throws -> Listed {
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
            return .vanished(sourcePath)
        }
        let chosen = filters.select(tags)
        guard !chosen.isEmpty else { return .empty(PruneRecord.Listed(name: relative, destination: destinationPath, sourceTags: tags)) }
        var record = RepositoryRecord(source: sourcePath, destination: destinationPath,
                                      tags: chosen.map { TagRecord(job: TagJob(source: $0, destination: $0)) })
        record.sourceTags = tags
        return .planned(record)
    }
}

/// A sync that cannot be planned as asked.
public struct PlanError: Error, CustomStringConvertible {
    public let reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}
