import Foundation
import FreightCore
import FreightEngine
import FreightRegistry

/// Everything a checkpointed run needs to go: its record, its repositories connected, the
/// checkpoint writer holding the run's lock, and the replicator.
struct PreparedRun {
    let ledger: RunLedger
    let writer: CheckpointWriter?
    let jobs: [RepositoryJob]
    let replicator: Replicator
    let info: RunInfo

    /// Runs it in the foreground and returns the exit status.
    func run(output: UIMode, verbosity: PlainReporter.Verbosity = .normal) async -> Int32 {
        let status = await RunDriver(replicator: replicator, output: output, verbosity: verbosity).run(jobs, ledger: ledger, info: info)
        await writer?.close()
        return status
    }
}

enum RunLauncher {
    /// Connects the repositories of a sync run's record.
    static func repositoryJobs(for record: RunRecord, settings: RunSettings, connections: Connections) throws -> [RepositoryJob] {
        try record.repositories.map { repository in
            let relative = settings.destination.relativePath(of: repository.destination) ?? repository.destination
            return RepositoryJob(
                name: relative.isEmpty ? repository.destination : relative,
                source: try connections.repository(registry: settings.source.registry, path: repository.source, role: .source),
                destination: try connections.repository(registry: settings.destination.registry, path: repository.destination,
                                                        role: .destination))
        }
    }

    /// A new run (or a dry run, which saves nothing).
    /// `listing`: the source tag lists the plan read, by repository path (for referrers).
    static func start(record: RunRecord, settings: RunSettings, connections: Connections, store: CheckpointStore,
                      dryRun: Bool, retry: RetryPolicy, events: EventBus, listing: [String: [String]] = [:]) throws -> PreparedRun {
        var writer: CheckpointWriter?
        if !dryRun {
            // A directory without a checkpoint is a run killed before it saved anything: it may
            // start again (the writer's lock keeps out a process that is starting it right now).
            if store.hasCheckpoint(record.runID) {
                throw CheckpointError(path: store.runDirectory(record.runID),
                                      reason: "already exists: continue it with `freightliner resume \(record.runID)` or choose another --run-id")
            }
            writer = try CheckpointWriter(store: store, runID: record.runID)
        }
        return try prepare(record: record, settings: settings, connections: connections, store: store, writer: writer,
                           dryRun: dryRun, resumed: false, retry: retry, events: events, listing: listing)
    }

    /// Continues a saved run: `runID`, or the newest resumable one. Returns nil (after saying so)
    /// when the run has nothing left to do.
    static func resume(runID: String?, store: CheckpointStore, connection: ConnectionOptions, jobs: Int?, limitRate: Int64? = nil,
                       events: EventBus) async throws -> PreparedRun? {
        var record: RunRecord
        if let runID {
            record = try store.load(runID)
        } else {
            guard let newest = try store.newestResumable() else {
                throw CheckpointError(path: store.directory, reason: "holds no run to resume (see `freightliner checkpoints list`)")
            }
            record = newest
        }
        guard var settings = record.settings else {
            throw CheckpointError(path: store.runDirectory(record.runID), reason: "does not record how to resume it")
        }
        // A run killed after its last tag but before it saved itself as completed has nothing
        // left to copy; resuming it still finishes it (saved as completed, with a summary).
        guard record.state != .completed else {
            let progress = record.progress
            Console.error("freightliner: run \(record.runID) is already complete (\(progress.done)/\(progress.total) tags); nothing to resume\n")
            return nil
        }
        if settings.sourceCredentialsFromFlag, connection.sourceCredentials == nil {
            events.emit(.warning("run \(record.runID) was started with --src-creds, which is never saved; pass it again if the source needs it"))
        }
        if settings.destinationCredentialsFromFlag, connection.destinationCredentials == nil {
            events.emit(.warning("run \(record.runID) was started with --dest-creds, which is never saved; pass it again if the destination needs it"))
        }
        if let jobs { settings.jobs = jobs }
        if let limitRate { settings.limitRate = limitRate }
        // Secret references are saved with the run (never values), so a resume reads the same
        // secrets, or the ones given now, which later resumes then keep.
        let saved = [Role.source: settings.sourceCredentialsSecret, .destination: settings.destinationCredentialsSecret].compactMapValues { $0 }
        let wiring = try connection.wire(savedSecrets: saved, savedInsecureRegistries: settings.insecureRegistries, saved: settings,
                                         onRetry: ConnectionOptions.retryEvents(events), events: events) {
            events.emit(.secretStatus($0))
        }
        try await wiring.checkSecrets([.source: settings.source.registry, .destination: settings.destination.registry])
        settings.sourceCredentialsSecret = wiring.secretReference(.source)
        settings.destinationCredentialsSecret = wiring.secretReference(.destination)
        record.settings = settings
        record.sessions += 1
        record.state = .running

        let connections = wiring.connections
        let writer = try CheckpointWriter(store: store, runID: record.runID)
        return try prepare(record: record, settings: settings, connections: connections, store: store, writer: writer,
                           dryRun: false, resumed: true, retry: connection.retryPolicy, events: events)
    }

    private static func prepare(record: RunRecord, settings: RunSettings, connections: Connections, store: CheckpointStore,
                                writer: CheckpointWriter?, dryRun: Bool, resumed: Bool, retry: RetryPolicy,
                                events: EventBus, listing: [String: [String]] = [:]) throws -> PreparedRun {
        let ledger = RunLedger(record: record, writer: writer)
        let rewrite = settings.rewrite
        var options = ReplicationOptions(jobs: settings.jobs, force: settings.force, dryRun: dryRun, retry: retry, rewrite: rewrite,
                                         limitRate: settings.limitRate,
                                         knowledge: rewrite.isIdentity ? RewriteKnowledge() : RewriteKnowledge(store: store))
        let replicas = ReplicaStore(checkpointDirectory: store.directory)
        let pair = (source: settings.source.description, destination: settings.destination.description)
        let replicated: ReplicaRecord
        do {
            replicated = try replicas.load(source: pair.source, destination: pair.destination)
        } catch {
            events.emit(.warning("\(error); it is not trusted, and this run writes it anew"))
            replicated = ReplicaRecord(source: pair.source, destination: pair.destination)
        }
        options.replicas = (replicas, replicated)
        options.referrers = settings.referrers ?? true
        options.referrerTypes = Set(settings.referrerTypes ?? [])
        options.verify = settings.verify == true
        options.sourceTags = listing
        if record.prune != nil {
            let destination = settings.destination
            options.pruneScope = PruneScope(
                destinationCatalog: {
                    try await connections.client(for: destination.registry, role: .destination).repositories(under: destination.prefix)
                        .compactMap { path in destination.relativePath(of: path).map { (name: $0, path: path) } }
                },
                destinationRepository: { path in try connections.repository(registry: destination.registry, path: path, role: .destination) })
        }
        if let pattern = settings.immutableTags.flatMap({ try? TagPattern($0) }), settings.verify != true {
            options.immutable = ImmutableTags(pattern: pattern, record: replicated)
        }
        let replicator = Replicator(options: options, events: events, http: connections.http)
        let info = RunInfo(runID: record.runID, source: settings.source.description, destination: settings.destination.description,
                           startedAt: Date(), resumed: resumed, dryRun: dryRun, checkpointPath: ledger.checkpointPath)
        return PreparedRun(ledger: ledger, writer: writer, jobs: try repositoryJobs(for: record, settings: settings, connections: connections),
                           replicator: replicator, info: info)
    }
}
