import Foundation
import FreightCore
import FreightEngine
import FreightHTTP
import FreightRegistry

/// Everything a checkpointed run needs to go: its record, its repositories connected (the
/// ledger holding the checkpoint writer and the run's lock), and the replicator.
struct PreparedRun {
    let ledger: RunLedger
    let jobs: [RepositoryJob]
    let replicator: Replicator
    let info: RunInfo

    /// Starts it in the background (its checkpoint writer is closed when it ends).
    func start() -> RunningReplication { replicator.start(jobs, ledger: ledger, info: info) }
}

enum RunLauncher {
    /// One job of a run, connected: its settings and the connections its registries are
    /// reached with (a run of one job has one; a job file's run, one per job).
    struct ConnectedJob {
        let name: String
        let settings: RunSettings
        let connections: Connections
    }

    /// Connects the repositories of a run's record, each through its job's connections.
    static func repositoryJobs(for record: RunRecord, jobs: [ConnectedJob]) throws -> [RepositoryJob] {
        try record.repositories.map { repository in
            let index = record.job(of: repository)
            let job = jobs[index]
            let relative = job.settings.destination.relativePath(of: repository.destination) ?? repository.destination
            var name = relative.isEmpty ? repository.destination : relative
            if record.jobs != nil { name = relative.isEmpty ? job.name : "\(job.name)/\(relative)" }
            return RepositoryJob(
                name: name,
                source: try job.connections.repository(registry: job.settings.source.registry, path: repository.source, role: .source),
                destination: try job.connections.repository(registry: job.settings.destination.registry, path: repository.destination,
                                                            role: .destination),
                job: index)
        }
    }

    /// A new run of a job file's jobs, or of a `sync`'s one (or a dry run, which saves nothing).
    /// `listing`: the source tag lists the plan read, by repository path (for referrers).
    /// `session`: when planning began (it counts in the run's duration).
    static func start(record: RunRecord, jobs: [ConnectedJob], store: CheckpointStore, dryRun: Bool, retry: RetryPolicy, events: EventBus,
                      listing: [String: [String]] = [:], session: SessionStart = SessionStart()) throws -> PreparedRun {
        let writer = dryRun ? nil : try newWriter(for: record, store: store)
        return try prepare(record: record, jobs: jobs, store: store, writer: writer, dryRun: dryRun, resumed: false, retry: retry,
                           events: events, listing: listing, session: session)
    }

    /// The writer of a new run's checkpoint, once it is sure the run id is free.
    private static func newWriter(for record: RunRecord, store: CheckpointStore) throws -> CheckpointWriter {
        // A directory without a checkpoint is a run killed before it saved anything: it may
        // start again (the writer's lock keeps out a process that is starting it right now).
        if store.hasCheckpoint(record.runID) {
            throw CheckpointError(path: store.runDirectory(record.runID),
                                  reason: "already exists: continue it with `freightliner resume \(record.runID)` or choose another --run-id")
        }
        return try CheckpointWriter(store: store, runID: record.runID)
    }

    /// Continues a saved run: `runID`, or the newest resumable one. Returns nil (after saying so)
    /// when the run has nothing left to do.
    static func resume(runID: String?, store: CheckpointStore, connection: ConnectionOptions, jobs: Int?, limitRate: Int64? = nil,
                       compressThreads: Int? = nil, events: EventBus) async throws -> PreparedRun? {
        let session = SessionStart()
        var record: RunRecord
        if let runID {
            record = try store.load(runID)
        } else {
            guard let newest = try store.newestResumable() else {
                throw CheckpointError(path: store.directory, reason: "holds no run to resume (see `freightliner checkpoints list`)")
            }
            record = newest
        }
        var allSettings = record.jobSettings
        guard !allSettings.isEmpty else {
            throw CheckpointError(path: store.runDirectory(record.runID), reason: "does not record how to resume it")
        }
        // A run killed after its last tag but before it saved itself as completed has nothing
        // left to copy; resuming it still finishes it (saved as completed, with a summary).
        guard record.state != .completed else {
            let progress = record.progress
            Console.error("freightliner: run \(record.runID) is already complete (\(progress.done)/\(progress.total) tags); nothing to resume\n")
            return nil
        }
        if allSettings.contains(where: \.sourceCredentialsFromFlag), connection.sourceCredentials == nil {
            events.emit(.warning("run \(record.runID) was started with --src-creds, which is never saved; pass it again if the source needs it"))
        }
        if allSettings.contains(where: \.destinationCredentialsFromFlag), connection.destinationCredentials == nil {
            events.emit(.warning("run \(record.runID) was started with --dest-creds, which is never saved; pass it again if the destination needs it"))
        }
        // The jobs of a job file's run share one HTTP client and one request rate per registry.
        let http = record.jobs == nil ? nil : HTTPClient(configuration: connection.httpConfiguration())
        let rates = record.jobs == nil ? nil : RequestRates(
            rate: (connection.requestsPerSecond ?? allSettings[0].requestsPerSecond).map(Double.init),
            byRegistry: allSettings.reduce(into: [:]) { rates, settings in
                for (host, rate) in settings.requestsPerSecondByRegistry ?? [:] { rates[host] = Double(rate) }
            })
        var connected: [ConnectedJob] = []
        for (index, var settings) in allSettings.enumerated() {
            if let jobs { settings.jobs = jobs }
            if let limitRate { settings.limitRate = limitRate }
            if let compressThreads { settings.compressThreads = compressThreads }
            // Secret references are saved with the run (never values), so a resume reads the same
            // secrets, or the ones given now, which later resumes then keep.
            let saved = [Role.source: settings.sourceCredentialsSecret, .destination: settings.destinationCredentialsSecret].compactMapValues { $0 }
            let wiring = try connection.wire(savedSecrets: saved, savedInsecureRegistries: settings.insecureRegistries, saved: settings,
                                             onRetry: ConnectionOptions.retryEvents(events), events: events, http: http, rates: rates) {
                events.emit(.secretStatus($0))
            }
            try await wiring.checkSecrets([.source: settings.source.registry, .destination: settings.destination.registry])
            settings.sourceCredentialsSecret = wiring.secretReference(.source)
            settings.destinationCredentialsSecret = wiring.secretReference(.destination)
            allSettings[index] = settings
            connected.append(ConnectedJob(name: record.jobs?[index].name ?? "sync", settings: settings, connections: wiring.connections))
        }
        if record.jobs != nil {
            for index in allSettings.indices { record.jobs![index].settings = allSettings[index] }
        } else {
            record.settings = allSettings[0]
        }
        record.sessions += 1
        record.state = .running

        let writer = try CheckpointWriter(store: store, runID: record.runID)
        return try prepare(record: record, jobs: connected, store: store, writer: writer, dryRun: false, resumed: true,
                           retry: connection.retryPolicy, events: events, session: session)
    }

    /// Continues the saved run of a shard (a pod the Job controller started again runs the
    /// same command), once sure it is that shard; nil when it is already complete.
    static func continueShard(_ runID: String, shard: Shard, store: CheckpointStore, connection: ConnectionOptions, limitRate: Int64?,
                              output: UIMode, events: EventBus) async throws -> PreparedRun? {
        let saved = try store.load(runID)
        guard let recorded = saved.shard, recorded.index == shard.index, recorded.count == shard.count else {
            throw CheckpointError(path: store.runDirectory(runID),
                                  reason: "is not shard \(shard) of a migration (\(saved.shard.map { "it is shard \($0.index)/\($0.count)" } ?? "it is no shard")): "
                                      + "choose another --run-id")
        }
        Console.error("freightliner: run \(runID) was started before: continuing it from its checkpoint\n")
        guard let prepared = try await resume(runID: runID, store: store, connection: connection, jobs: nil, limitRate: limitRate,
                                              events: events) else {
            reportComplete(runID, store: store, output: output)
            return nil
        }
        return prepared
    }

    /// A run asked to continue is already complete (said on stderr): with `--ui json` the last
    /// line is still its summary, so a script that continues to be sure learns the outcome the
    /// same way.
    static func reportComplete(_ runID: String, store: CheckpointStore, output: UIMode) {
        guard case .json = output, let record = try? store.load(runID),
              var summary = JSONReporter.object(for: .runFinished(RunLedger(record: record, writer: nil).summary(status: .completed)))
        else { return }
        summary["time"] = Timestamp.string(milliseconds: true)
        JSONReporter.write(summary)
    }

    static func prepare(record: RunRecord, jobs: [ConnectedJob], store: CheckpointStore, writer: CheckpointWriter?, dryRun: Bool,
                        resumed: Bool, retry: RetryPolicy, events: EventBus, listing: [String: [String]] = [:],
                        session: SessionStart = SessionStart()) throws -> PreparedRun {
        let ledger = RunLedger(record: record, writer: writer, session: session)
        let first = jobs[0].settings
        let identity = jobs.allSatisfy { $0.settings.rewrite.isIdentity }
        var options = ReplicationOptions(jobs: first.jobs, dryRun: dryRun, retry: retry, limitRate: first.limitRate,
                                         knowledge: identity ? RewriteKnowledge() : RewriteKnowledge(store: store))
        options.sourceTags = listing
        options.compressThreads = first.compressThreads
        options.perJob = jobs.enumerated().map { index, job in
            jobOptions(job, hasPrune: record.prunes.indices.contains(index) && record.prunes[index] != nil, shard: record.shard, store: store,
                       events: events)
        }
        let replicator = Replicator(options: options, events: events, requests: jobs[0].connections.requestTally)
        let info = RunInfo(runID: record.runID, source: record.source, destination: record.destination,
                           startedAt: session.date, resumed: resumed, dryRun: dryRun, checkpointPath: ledger.checkpointPath)
        let repositories = try repositoryJobs(for: record, jobs: jobs)
        ProcessMetrics.observe(events, record: record, repositories: repositories)
        return PreparedRun(ledger: ledger, jobs: repositories, replicator: replicator, info: info)
    }

    /// How one job copies, from its saved settings: rewrites, referrers, the replica record of
    /// its source and destination pair, and where a prune finds the destination's repositories.
    /// `shard`: a shard's prune considers only the destination repositories that fall to it.
    private static func jobOptions(_ job: ConnectedJob, hasPrune: Bool, shard: ShardRecord?, store: CheckpointStore,
                                   events: EventBus) -> JobOptions {
        let settings = job.settings, connections = job.connections
        var options = JobOptions()
        options.force = settings.force
        options.rewrite = settings.rewrite
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
        if hasPrune {
            let destination = settings.destination
            options.pruneScope = PruneScope(
                destinationCatalog: {
                    try await connections.client(for: destination.registry, role: .destination).repositories(under: destination.prefix)
                        .compactMap { path in destination.relativePath(of: path).map { (name: $0, path: path) } }
                        .filter { repository in shard.map { $0.sharding.shard(of: repository.name) == $0.index } ?? true }
                },
                destinationRepository: { path in try connections.repository(registry: destination.registry, path: path, role: .destination) })
        }
        if let pattern = settings.immutableTags.flatMap({ try? TagPattern($0) }), settings.verify != true {
            options.immutable = ImmutableTags(pattern: pattern, record: replicated)
        }
        return options
    }
}
