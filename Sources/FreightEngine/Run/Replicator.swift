import Foundation
import FreightCore
import FreightRegistry

/// One repository's work: where from, where to, and the tags, in the ledger's order.
public struct RepositoryJob: Sendable {
    /// The name events and the dashboard use (the destination path, or the layout).
    public let name: String
    public let source: any ImageRepository
    public let destination: any ImageRepository
    /// Which job of the run it belongs to (`ReplicationOptions.perJob`): 0 but in a job file's run.
    public let job: Int

    public init(name: String, source: any ImageRepository, destination: any ImageRepository, job: Int = 0) {
        self.name = name
        self.source = source
        self.destination = destination
        self.job = job
    }
}

/// How one job of a run copies (a `copy` or `sync` is one job; a job file's run, one per job).
public struct JobOptions: Sendable {
    public var force = false
    /// How destination manifests differ from the source's (compression, format, platforms).
    public var rewrite = RewriteSettings()
    /// `--immutable-tags`, with the record it trusts (nil: every tag is checked).
    public var immutable: ImmutableTags?
    /// Where the record of what this source/destination pair holds is kept, and that record as
    /// the run started; updated and saved when the run ends (nil: no record, e.g. a copy).
    public var replicas: (store: ReplicaStore, record: ReplicaRecord)?
    /// For `--prune` (the run's record says whether to): the destination's repositories.
    public var pruneScope: PruneScope?
    /// Carry referrers along (`--no-referrers` turns it off), only these artifact types when
    /// any are named (`--referrers-type`).
    public var referrers = true
    public var referrerTypes: Set<String> = []
    /// `--verify`: nothing the replica record says is trusted (immutable tags, referrers carried).
    public var verify = false

    public init() {}
}

public struct ReplicationOptions: Sendable {
    /// Concurrent blob uploads; tags in flight are twice that, so manifests and HEADs keep
    /// flowing while blobs stream.
    public var jobs: Int
    public var dryRun: Bool
    public var retry: RetryPolicy
    /// `--limit-rate`: blob bytes per second for the whole run (nil: as fast as it goes).
    public var limitRate: Int64?
    /// `--compress-threads`: blocks of one layer gzipped at once (nil: every core).
    public var compressThreads: Int?
    /// What earlier runs learned by rewriting (layers, and manifests they became).
    public var knowledge: RewriteKnowledge
    /// Tag lists the plan already read, keyed `STORE-IDENTITY PATH` (each is read once otherwise).
    public var sourceTags: [String: [String]] = [:]
    /// Each job's options, by `RepositoryJob.job`; never empty.
    public var perJob: [JobOptions] = [JobOptions()]

    public init(jobs: Int, force: Bool = false, dryRun: Bool = false, retry: RetryPolicy = RetryPolicy(),
                rewrite: RewriteSettings = RewriteSettings(), limitRate: Int64? = nil, knowledge: RewriteKnowledge = RewriteKnowledge()) {
        self.jobs = max(1, jobs)
        self.dryRun = dryRun
        self.retry = retry
        self.limitRate = limitRate
        self.knowledge = knowledge
        perJob[0].force = force
        perJob[0].rewrite = rewrite
    }

    /// The options of a run of one job (`copy`, `sync`).
    public var single: JobOptions {
        get { perJob[0] }
        set { perJob[0] = newValue }
    }

    func job(_ index: Int) -> JobOptions { perJob.indices.contains(index) ? perJob[index] : perJob[0] }

    /// A default suited to registries: I/O bound, so more than the core count.
    public static var defaultJobs: Int { max(4, min(16, ProcessInfo.processInfo.activeProcessorCount * 4)) }
}

/// What the layer that sends the requests counted, for the run's summary.
public struct RequestTally: Sendable {
    /// Requests sent, by method.
    public var byMethod: [String: Int]
    /// TCP connections opened (every other request reused one).
    public var connections: Int

    public init(byMethod: [String: Int], connections: Int) {
        self.byMethod = byMethod
        self.connections = connections
    }
}

/// Runs a replication: every pending tag of every repository, under one bounded scheduler,
/// recording each outcome in the ledger (and so the checkpoint) before announcing it.
/// `start` runs it in the background and hands back the run to steer and wait for.
public final class Replicator: Sendable {
    let events: EventBus
    let control = RunControl()
    let options: ReplicationOptions
    private let requests: (@Sendable () -> RequestTally)?
    /// The scheduling task, once started, and whether it is to be abandoned.
    private let work = Locked<(task: Task<Void, Never>?, abandoned: Bool)>((nil, false))
    /// The first checkpoint write that failed: the run stops scheduling, and says so.
    private let checkpointFailure = Locked<String?>(nil)
    /// Referrers carried by earlier runs and this one.
    private let referrerMemories: [ReferrerMemory]

    /// `events`: where the run's events go (the bus that carried the planning's, if any); the
    /// run ends its stream. `requests`: the request counts for the summary, read as the run ends.
    public init(options: ReplicationOptions, events: EventBus, requests: (@Sendable () -> RequestTally)? = nil) {
        self.options = options
        self.events = events
        self.requests = requests
        referrerMemories = options.perJob.map { ReferrerMemory(record: $0.replicas?.record, trusted: !$0.verify) }
    }

    /// Starts the ledger's pending tags in the background; `repositories[i]` is the ledger's
    /// repository `i`. When the run has ended, its checkpoint writer is closed (the run's lock
    /// released) and the event stream finished, in that order, before the summary is ready.
    public func start(_ repositories: [RepositoryJob], ledger: RunLedger, info: RunInfo) -> RunningReplication {
        let task = Task {
            let summary = await self.run(repositories, ledger: ledger, info: info)
            await ledger.close()
            self.events.finish()
            return summary
        }
        return RunningReplication(replicator: self, summary: task)
    }

    /// Cancels in-flight work: uploads are aborted (nothing partial becomes visible) and their
    /// tags stay pending for a resume.
    func abandon() {
        stop(reason: "abandoned")
        let task = work.withLock { work -> Task<Void, Never>? in
            work.abandoned = true
            return work.task
        }
        task?.cancel()
    }

    private func run(_ repositories: [RepositoryJob], ledger: RunLedger, info: RunInfo) async -> RunSummary {
        events.emit(.runStarted(info))
        let record = ledger.current
        events.emit(.planned(zip(repositories, record.repositories).map { job, repository in
            var done: [String: TagOutcome] = [:]
            for tag in repository.tags where tag.state.isDone { done[tag.job.label] = tag.outcome }
            return PlannedRepository(name: job.name, tags: repository.tags.map(\.job.label), alreadyDone: done)
        }))

        do {
            try await ledger.save()
        } catch {
            checkpointFailed(error)
        }
        if checkpointFailure.value == nil {
            let task = Task { await self.schedule(repositories, ledger: ledger) }
            if work.withLock({ work -> Bool in work.task = task; return work.abandoned }) { task.cancel() }
            await task.value
        }

        await pruneIfDue(repositories, ledger: ledger)
        let final = ledger.current
        let failedTags = final.repositories.contains { $0.tags.contains { $0.state == .failed } }
        // Deletions left count as unfinished work, unless failed tags hold the prune back (the
        // run failed; a resume retries them first) or nothing is deleted at all (a dry run).
        let anyPending = final.repositories.contains { $0.tags.contains { $0.state == .pending } }
            || (!failedTags && !options.dryRun && final.prunes.contains { $0?.hasWorkLeft ?? false })
        let anyFailed = failedTags || final.prunes.contains { $0?.hasFailures ?? false }
        let status: RunSummary.Status = anyPending ? .interrupted : anyFailed ? .failed : .completed
        let state: RunRecord.State = anyPending ? .interrupted : anyFailed ? .failed : .completed
        if !options.dryRun {
            do {
                try await ledger.end(state)
                if let path = ledger.checkpointPath { events.emit(.checkpointSaved(path: path, at: Date())) }
            } catch {
                checkpointFailed(error)
            }
        }
        for (index, job) in options.perJob.enumerated() where !options.dryRun {
            guard let store = job.replicas?.store, let record = job.replicas?.record else { continue }
            let learned = await referrerMemories[index].memory
            do {
                // Merged into the record as saved now: shards of one migration share it.
                try store.update(record) { saved in
                    saved.update(from: final, job: options.perJob.count > 1 ? index : nil)
                    saved.remember(referrers: learned.referrers, children: learned.children)
                }
            } catch {
                events.emit(.warning("the record of what \(record.destination) holds could not be saved (\(error)); "
                                     + "--immutable-tags checks these tags again next time"))
            }
        }
        let tally = requests?()
        var summary = ledger.summary(status: status, requests: tally?.byMethod ?? [:], connections: tally?.connections ?? 0)
        if let client = (repositories.first?.source as? RegistryRepository)?.client, let allowance = client.allowance {
            summary.pullLimit = RunSummary.PullLimit(registry: client.registry, remaining: allowance.remaining, limit: allowance.limit,
                                                     windowSeconds: allowance.windowSeconds)
        }
        // Said once, by whatever shows the summary (`checkpoint_error`), with how to go on.
        summary.checkpointError = checkpointFailure.value
        events.emit(.runFinished(summary))
        return summary
    }

    /// `--prune`, job by job, once every tag of the run is done and none failed (a failed tag
    /// could be one the prune would wrongly take for gone at the source... or the destination
    /// half-written).
    private func pruneIfDue(_ repositories: [RepositoryJob], ledger: RunLedger) async {
        let record = ledger.current
        guard record.prunes.contains(where: { $0?.hasWorkLeft ?? false }), checkpointFailure.value == nil, !control.isStopping else { return }
        let tags = record.repositories.flatMap(\.tags)
        guard !tags.contains(where: { $0.state == .pending }) else { return }
        guard !tags.contains(where: { $0.state == .failed }) else {
            events.emit(.warning("nothing is pruned: tags failed, and a prune runs only once everything else succeeded"))
            return
        }
        for (job, prune) in record.prunes.enumerated() {
            guard prune?.hasWorkLeft ?? false, let scope = options.job(job).pruneScope, !control.isStopping else { continue }
            do {
                try await Pruner(jobs: repositories, job: job, ledger: ledger, scope: scope, events: events, control: control,
                                 dryRun: options.dryRun).run()
            } catch {
                checkpointFailed(error)
                return
            }
        }
    }

    /// Stops scheduling, announcing it the first time: the one place `.stopping` is emitted.
    @discardableResult
    func stop(reason: String) -> Bool {
        guard control.stop(reason: reason) else { return false }
        events.emit(.stopping(reason: reason))
        return true
    }

    /// A checkpoint write failed: remember the first failure and stop scheduling. Going on
    /// would copy what a resume could not know was copied.
    private func checkpointFailed(_ error: any Error) {
        checkpointFailure.withLock { failure in
            if failure == nil { failure = "\(error)" }
        }
        // Every failure stops scheduling itself, not only the first: the first may not have
        // stopped it yet when a second returns and frees its slot for another tag.
        stop(reason: "the checkpoint cannot be written: \(checkpointFailure.value ?? "\(error)")")
    }

    private func schedule(_ repositories: [RepositoryJob], ledger: RunLedger) async {
        let tagLane = AsyncSemaphore(permits: max(2, options.jobs * 2))
        let uploadLane = AsyncSemaphore(permits: options.jobs)
        let smallUploadLane = AsyncSemaphore(permits: options.jobs)
        var knowledge = options.knowledge
        knowledge.learn(from: ledger.current)
        let compressionCache = CompressionCache(rewrites: knowledge.rewrites)
        let mappings = ManifestMappings(knowledge.manifests)
        var movers: [String: BlobMover] = [:]
        var caches: [String: DestinationCache] = [:]
        var pushers: [String: ManifestPusher] = [:]
        let limiter = options.limitRate.map(RateLimiter.init(bytesPerSecond:))
        for job in repositories where movers[job.destination.storeIdentity] == nil {
            movers[job.destination.storeIdentity] = BlobMover(locations: BlobLocations(), uploadLane: uploadLane,
                                                              smallUploadLane: smallUploadLane, retry: options.retry, events: events,
                                                              dryRun: options.dryRun, limiter: options.dryRun ? nil : limiter)
            caches[job.destination.storeIdentity] = DestinationCache()
            pushers[job.destination.storeIdentity] = ManifestPusher(locks: ManifestLocks())
        }
        // Blobs earlier sessions placed are mount sources for this one (only hints: a mount of a
        // blob that has gone since fails, and the blob is uploaded).
        for (index, job) in repositories.enumerated() {
            let placed = ledger.current.repositories[index].tags.flatMap { $0.blobs ?? [] }
            guard !placed.isEmpty, let locations = movers[job.destination.storeIdentity]?.locations else { continue }
            await locations.hint(placed, in: job.destination.path)
        }
        let notices = Notices()
        let sourceTags = SourceTagLists(known: options.sourceTags), fallbackLocks = KeyedMutex()
        let referrers = zip(self.options.perJob, referrerMemories).map { job, memory -> ReferrerCopier? in
            job.referrers ? ReferrerCopier(types: job.referrerTypes, sourceTags: sourceTags, fallbackLocks: fallbackLocks, memory: memory) : nil
        }
        // Every registry source spends its pull allowance with care, once it states one.
        var budgets: [String: PullBudget] = [:]
        for job in repositories where budgets[job.source.storeIdentity] == nil {
            guard let registry = job.source as? RegistryRepository else { continue }
            let client = registry.client
            budgets[job.source.storeIdentity] = PullBudget { client.allowance }
        }
        let remaining = Locked(repositories.indices.map { ledger.pendingTags(in: $0).count })
        let anyFailed = Locked(Array(repeating: false, count: repositories.count))
        let events = self.events, control = self.control, options = self.options

        await withDiscardingTaskGroup { group in
            scheduling: for (index, job) in repositories.enumerated() {
                let pending = ledger.pendingTags(in: index)
                guard !pending.isEmpty else { continue }
                let mover = movers[job.destination.storeIdentity]!
                let policy = options.job(job.job)
                let compressor = policy.rewrite.compression.isEnabled && !options.dryRun
                    ? LayerCompressor(settings: policy.rewrite.compression, threads: options.compressThreads, cache: compressionCache,
                                      mover: mover) : nil
                let source: any ImageRepository = budgets[job.source.storeIdentity].map { BudgetedRepository(base: job.source, budget: $0) }
                    ?? job.source
                let copier = ImageCopier(source: source, destination: job.destination, repositoryName: job.name,
                                         mover: mover, cache: caches[job.destination.storeIdentity]!,
                                         manifests: pushers[job.destination.storeIdentity]!, compressor: compressor,
                                         rewrite: policy.rewrite, mappings: mappings, immutable: policy.immutable,
                                         referrers: referrers.indices.contains(job.job) ? referrers[job.job] : referrers[0],
                                         events: events, notices: notices,
                                         force: policy.force, dryRun: options.dryRun)
                var started = false
                for tagIndex in pending {
                    await control.waitWhilePaused()
                    guard !control.isStopping else { break scheduling }
                    do {
                        try await tagLane.acquire()
                    } catch {
                        break scheduling
                    }
                    guard !control.isStopping else {
                        tagLane.release()
                        break scheduling
                    }
                    if !started {
                        started = true
                        events.emit(.repositoryStarted(repository: job.name))
                    }
                    let tagJob = ledger.job(repository: index, tag: tagIndex)
                    group.addTask {
                        defer { tagLane.release() }
                        events.emit(.tagStarted(repository: job.name, tag: tagJob.label))
                        let result = await copier.copy(tagJob)
                        let outcome = result.outcome, stats = result.stats
                        let interrupted = (Task.isCancelled && outcome.isFailure) || result.deferred != nil
                        if let reason = result.deferred { self.stop(reason: reason) }
                        do {
                            try await ledger.finish(repository: index, tag: tagIndex, outcome: interrupted ? nil : outcome, stats: stats,
                                                    sourceDigest: result.sourceDigest, rewrites: result.rewrites, blobs: result.blobs)
                        } catch {
                            self.checkpointFailed(error)
                            return
                        }
                        guard !interrupted else { return }
                        events.emit(.tagFinished(repository: job.name, tag: tagJob.label, outcome: outcome, stats: stats))
                        if outcome.isFailure { anyFailed.withLock { $0[index] = true } }
                        let left = remaining.withLock { counts -> Int in
                            counts[index] -= 1
                            return counts[index]
                        }
                        if left == 0 {
                            // Every tag of it is in the journal already: the checkpoint holds the
                            // repository's completion without a snapshot of the whole run.
                            let status: RepositoryStatus = anyFailed.value[index] ? .failed : .completed
                            events.emit(.repositoryFinished(repository: job.name, status: status))
                            if let path = ledger.checkpointPath { events.emit(.checkpointSaved(path: path, at: Date())) }
                        }
                    }
                }
            }
        }
    }
}
