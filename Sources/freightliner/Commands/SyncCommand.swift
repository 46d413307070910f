import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightHTTP
import FreightRegistry

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Replicate every repository under a prefix (or those named) to the same paths under another.",
        discussion: """
            SRC and DST are HOST[:PORT][/PREFIX]. Repositories come from the source's catalog, or from --repo
            (paths relative to SRC's prefix) for registries without a catalog such as Docker Hub.
            The run is checkpointed after every tag and repository: an interrupted run (exit 3) continues
            with `freightliner resume`.

            Globs (--include/--exclude) match repository paths relative to SRC: * within a path component,
            ** across components, ? one character. Tag regexes (--tags/--exclude-tags) must match the whole tag.

            Example:
              freightliner sync 127.0.0.1:5000/team registry.example.com/mirror/team --include 'web/**' --latest 3
            """
    )

    @Argument(help: "Source: HOST[:PORT][/PREFIX].")
    var source: String

    @Argument(help: "Destination: HOST[:PORT][/PREFIX].")
    var destination: String

    @OptionGroup var filterOptions: FilterOptions

    @Option(parsing: .unconditional, help: "Blobs uploaded at once (tags in flight: twice as many).")
    var jobs: Int = ReplicationOptions.defaultJobs

    @Flag(name: .customLong("dry-run"), help: "Print what would be copied, mounted and skipped, and how many bytes; write nothing.")
    var dryRun = false

    @Flag(help: "Copy even tags whose manifest the destination already has.")
    var force = false

    @Option(name: .customLong("immutable-tags"),
            help: ArgumentHelp("Tags matching this regex (anchored) never move once written: one replicated before and still listed "
                               + "at the destination is current without a request of its own.", valueName: "REGEX"))
    var immutableTags: String?

    @Flag(help: "Check every tag at both registries, whatever --immutable-tags and the record of earlier runs say.")
    var verify = false

    @Flag(help: "Once everything else succeeded, delete the destination's tags that the source no longer has.")
    var prune = false

    @Flag(name: .customLong("prune-repos"), help: "With --prune: also the tags of destination repositories the source no longer has.")
    var pruneRepositories = false

    @Option(name: .customLong("prune-max"), parsing: .unconditional,
            help: ArgumentHelp("With --prune: delete nothing if more than N tags would go.", valueName: "N"))
    var pruneMax: Int = 100

    @Option(name: .customLong("run-id"), help: "Name the run (default: time-based).")
    var runID: String?

    @Option(name: .customLong("keep-runs"),
            help: ArgumentHelp("Once the run ends, keep the newest N finished runs from this source to this destination; "
                               + "older ones are removed (runs with work left are always kept).", valueName: "N"))
    var keepRuns: Int?

    @OptionGroup var shardOptions: ShardOptions
    @OptionGroup var compression: CompressionOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var platformOption: PlatformOption
    @OptionGroup var referrersOption: ReferrersOption
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var rate: RateOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var metrics: MetricsOption

    func validate() throws {
        try validateJobs(jobs)
        if pruneMax < 0 { throw invalid("--prune-max must be 0 or more, got \(pruneMax)") }
        if pruneRepositories, !prune { throw invalid("--prune-repos goes with --prune") }
        if let keepRuns, keepRuns < 1 { throw invalid("--keep-runs must be 1 or more, got \(keepRuns)") }
        if let immutableTags {
            do { _ = try TagPattern(immutableTags) } catch { throw fail(ValidationError("--immutable-tags: \(error)")) }
        }
        if let runID {
            do { try CheckpointStore.validate(runID: runID) } catch { throw fail(error) }
        }
    }

    func run() async throws {
        let status: ExitStatus?
        do {
            try await metrics.start()
            // The output starts before planning, so planning shows as it goes (and counts).
            status = try await RunDriver(output: output.resolved, verbosity: output.verbosity).run { events in
                try await prepare(events: events)
            }
        } catch {
            throw fail(error)
        }
        if let keepRuns, !dryRun { try removeOldRuns(keeping: keepRuns) }
        if let status, status != .success { throw ExitCode(status) }
    }

    /// `--keep-runs`: the finished runs of this source and destination beyond the newest N.
    private func removeOldRuns(keeping count: Int) throws {
        let from = try RegistryPrefix(parsing: source).description, to = try RegistryPrefix(parsing: destination).description
        let outcome = Retention(keep: count).apply(to: runOptions.store) {
            $0.source == from && $0.destination == to && $0.shard == nil && $0.cycleOf == nil
        }
        for (runID, reason) in outcome.failed {
            FileHandle.standardError.write(Data("freightliner: warning: old run \(runID) kept: \(reason)\n".utf8))
        }
    }

    /// The run, or nil when it is a shard whose saved run is already complete (said so).
    private func prepare(events: EventBus) async throws -> PreparedRun? {
        let session = SessionStart()
        var runID = self.runID ?? CheckpointStore.newRunID()
        let shard = try shardOptions.resolved()
        var migration = runID
        if let shard {
            (runID, migration) = try shardOptions.runID(for: shard, migration: self.runID)
            // A pod restarted by its Job runs the same command: it continues its shard's run.
            if !dryRun, runOptions.store.hasCheckpoint(runID) {
                return try await RunLauncher.continueShard(runID, shard: shard.shard, store: runOptions.store, connection: connection,
                                                           limitRate: try rate.bytesPerSecond, output: output.resolved, events: events)
            }
        }
        let planned = try await plan(events: events)
        var record = RunRecord(runID: runID, createdAt: Date(), source: planned.settings.source.description,
                               destination: planned.settings.destination.description, settings: planned.settings,
                               repositories: planned.repositories)
        record.prune = planned.prune
        if let shard { ShardOptions.narrow(&record, to: shard.shard, grouping: shardOptions.grouping, migration: migration) }
        let job = RunLauncher.ConnectedJob(name: "sync", settings: planned.settings, connections: planned.wiring.connections)
        return try RunLauncher.start(record: record, jobs: [job], store: runOptions.store, dryRun: dryRun, retry: connection.retryPolicy,
                                     events: events, listing: planned.listing, session: session)
    }

    /// What this sync would copy, planned: the repositories and tags, the settings a resume
    /// needs, the prune, and the connections. `http` and `rates` are shared by the jobs of a
    /// job file's run.
    func plan(events: EventBus, http: HTTPClient? = nil, rates: RequestRates? = nil) async throws -> PlannedSync {
        let sourcePrefix = try RegistryPrefix(parsing: source)
        let destinationPrefix = try RegistryPrefix(parsing: destination)
        let filters = try filterOptions.filters()
        let named = try filterOptions.named(under: sourcePrefix)

        if let warning = compression.ignoredWarning { events.emit(.warning(warning)) }
        let wiring = try connection.wire(onRetry: ConnectionOptions.retryEvents(events), events: events, http: http, rates: rates) {
            events.emit(.secretStatus($0))
        }
        try await wiring.checkSecrets([.source: sourcePrefix.registry, .destination: destinationPrefix.registry])
        let connections = wiring.connections
        let planner = Planner(source: try connections.client(for: sourcePrefix.registry, role: .source),
                              sourcePrefix: sourcePrefix, destinationPrefix: destinationPrefix, filters: filters, events: events)
        let plan = try await planner.planWithListing(named: named)
        var repositories = plan.repositories
        var listing: [String: [String]] = [:]
        // Keyed as the engine keys a store's repositories, so jobs from two registries never mix.
        for repository in repositories { listing["registry:\(sourcePrefix.registry) \(repository.source)"] = repository.sourceTags }
        // Referrers tags travel with their subjects (or, with --no-referrers, not at all), not as
        // tags of their own.
        for index in repositories.indices {
            repositories[index].tags.removeAll { ReferrerTags.isReferrerTag($0.job.source) }
        }
        repositories.removeAll { $0.tags.isEmpty }
        var pruning: PruneRecord?
        if prune {
            var record = PruneRecord(repositories: pruneRepositories, maximum: pruneMax)
            record.sourceRepositories = plan.catalog
            record.incomplete = plan.vanished
            record.unplanned = plan.unplanned
            pruning = record
        } else {
            // Only a prune needs every tag the source listed; the checkpoint stays small without it.
            for index in repositories.indices { repositories[index].sourceTags = nil }
        }
        var settings = RunSettings(source: sourcePrefix, destination: destinationPrefix, jobs: jobs, force: force,
                                   insecureRegistries: connection.insecureRegistries, compression: try compression.settings,
                                   format: formatOption.format,
                                   sourceCredentialsSecret: wiring.secretReference(.source),
                                   destinationCredentialsSecret: wiring.secretReference(.destination),
                                   sourceCredentialsFromFlag: connection.sourceCredentials != nil,
                                   destinationCredentialsFromFlag: connection.destinationCredentials != nil,
                                   filters: filters.summary + (named.map { $0.map { "--repo \($0)" } } ?? []))
        connection.save(into: &settings)
        settings.limitRate = try rate.bytesPerSecond
        settings.compressThreads = compression.threads
        settings.platforms = try platformOption.selectors.map(\.description)
        settings.immutableTags = immutableTags
        settings.referrers = referrersOption.enabled ? nil : false
        settings.referrerTypes = referrersOption.types.isEmpty ? nil : referrersOption.types
        settings.verify = verify ? true : nil
        if let rates {
            let hosts = [sourcePrefix.registry, destinationPrefix.registry]
            let chosen = rates.byRegistry.filter { hosts.contains($0.key) }.mapValues { Int($0) }
            settings.requestsPerSecondByRegistry = chosen.isEmpty ? nil : chosen
        }
        return PlannedSync(settings: settings, repositories: repositories, prune: pruning, listing: listing, wiring: wiring)
    }
}

/// A sync planned: what `RunLauncher` needs to start it (alone, or as a job of a job file).
struct PlannedSync {
    var settings: RunSettings
    var repositories: [RepositoryRecord]
    var prune: PruneRecord?
    var listing: [String: [String]]
    let wiring: CredentialWiring
}
