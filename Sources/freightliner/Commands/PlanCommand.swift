import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightRegistry

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Which repositories, tags and bytes fall to each shard of a sync split N ways (--shard I/N).",
        discussion: """
            Plans as `sync` does (the same filters), splits the repositories as every shard of `sync --shard I/N` \
            or `run --shard I/N` will, and reads every tag's manifests to size each shard (--no-sizes skips that). \
            A blob that repositories of two shards share is uploaded by both: the plan says how many bytes that \
            costs over one unsharded run; --shard-by prefix keeps repositories that share base layers together.

            Example:
              freightliner plan registry.example.com/team --shards 4 --shard-by prefix
            """
    )

    @Argument(help: "Source: HOST[:PORT][/PREFIX].")
    var source: String

    @Option(parsing: .unconditional, help: "Shards to split the tree into.")
    var shards: Int

    @Option(name: .customLong("shard-by"),
            help: ArgumentHelp("What stays together on a shard: repository, or prefix[:N] (as sync --shard-by).", valueName: "KEY"))
    var shardBy: String = "repository"

    @Flag(name: .customLong("no-sizes"), help: "Only the split: read no manifests.")
    var noSizes = false

    @Flag(help: "One JSON object: every shard with its repositories, tags and bytes, and the totals.")
    var json = false

    @OptionGroup var filterOptions: FilterOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        do { _ = try Shard(index: 0, count: shards) } catch { throw invalid("--shards \(shards): \(error)") }
        do { _ = try ShardGrouping(parsing: shardBy) } catch { throw invalid("--shard-by \(shardBy): \(error)") }
    }

    func run() async throws {
        let plan: ShardPlan
        do {
            plan = try await makePlan()
        } catch {
            throw fail(error)
        }
        if json {
            JSONReporter.write(Self.object(for: plan))
        } else {
            Self.printPlan(plan)
        }
    }

    private func makePlan() async throws -> ShardPlan {
        let prefix = try RegistryPrefix(parsing: source)
        let events = EventBus()
        events.observe { event in
            if case .warning(let text) = event { printError(text) }
        }
        let connections = try connection.wire(events: events).connections
        let client = try connections.client(for: prefix.registry, role: .source)
        let planner = Planner(source: client, sourcePrefix: prefix, destinationPrefix: prefix, filters: try filterOptions.filters(),
                              events: events)
        let planned = try await planner.plan(named: try filterOptions.named(under: prefix))
        let repositories = try planned.compactMap { record -> (name: String, repository: any ImageRepository, tags: [String])? in
            // Referrers travel with their subjects, as in a sync.
            let tags = record.tags.map(\.job.source).filter { !ReferrerTags.isReferrerTag($0) }
            guard !tags.isEmpty else { return nil }
            return (prefix.relativePath(of: record.source) ?? record.source,
                    try connections.repository(registry: prefix.registry, path: record.source, role: .source), tags)
        }
        return try await ShardPlan.make(repositories: repositories,
                                        sharding: Sharding(count: shards, grouping: try ShardGrouping(parsing: shardBy)), sizes: !noSizes)
    }

    static func object(for plan: ShardPlan) -> [String: Any] {
        var total: [String: Any] = ["repositories": plan.parts.reduce(0) { $0 + $1.repositories.count },
                                    "tags": plan.parts.reduce(0) { $0 + $1.tags }]
        if plan.sized {
            total["bytes"] = plan.treeBytes
            total["bytes_across_shards"] = plan.treeBytes + plan.sharedBytes
            total["shared_bytes"] = plan.sharedBytes
            total["unreadable"] = plan.unreadable
        }
        let shards = plan.parts.map { part -> [String: Any] in
            var object: [String: Any] = [
                "shard": part.shard.index, "of": part.shard.count, "run_id_suffix": part.shard.runIDSuffix, "tags": part.tags,
                "repositories": part.repositories.map { repository -> [String: Any] in
                    var row: [String: Any] = ["name": repository.name, "tags": repository.tags]
                    if plan.sized { row["bytes"] = repository.bytes }
                    return row
                },
            ]
            if plan.sized { object["bytes"] = part.bytes }
            return object
        }
        return ["shards": shards, "total": total]
    }

    static func printPlan(_ plan: ShardPlan) {
        for part in plan.parts {
            let bytes = plan.sized ? ", \(ByteFormat.string(part.bytes))" : ""
            print("shard \(part.shard) (\(part.shard.runIDSuffix.dropFirst())): \(part.repositories.count) repositories, \(part.tags) tags\(bytes)")
            var rows: [[String]] = []
            for repository in part.repositories {
                rows.append(["  \(repository.name)", "\(repository.tags) tags"] + (plan.sized ? [ByteFormat.string(repository.bytes)] : []))
            }
            printTable(rows)
        }
        let repositories = plan.parts.reduce(0) { $0 + $1.repositories.count }, tags = plan.parts.reduce(0) { $0 + $1.tags }
        var total = "total: \(repositories) repositories, \(tags) tags in \(plan.parts.count) shards"
        if plan.sized {
            let share = plan.treeBytes > 0 ? String(format: " (%.1f %%)", Double(plan.sharedBytes) * 100 / Double(plan.treeBytes)) : ""
            total += "; \(ByteFormat.string(plan.treeBytes)) of distinct blobs, \(ByteFormat.string(plan.treeBytes + plan.sharedBytes)) "
                + "uploaded across shards: blobs shared by shards cost \(ByteFormat.string(plan.sharedBytes)) more\(share)"
        }
        print(total)
        if !plan.unreadable.isEmpty {
            print("not sized (gone since the listing): \(plan.unreadable.joined(separator: ", "))")
        }
    }
}
