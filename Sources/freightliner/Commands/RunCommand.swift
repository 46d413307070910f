import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightHTTP

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every job of a job file as one run: one checkpoint, one summary, one dashboard.",
        discussion: """
            A job file (YAML) lists source and destination prefixes with their filters, as many `sync`s would; \
            the README documents every key. The jobs share one scheduler, the blob deduplication and the \
            concurrency limits; the run is checkpointed after every tag and resumed with `freightliner resume`. \
            Options given here win over the file's.

            Example:
              freightliner run --check migration.yaml
              freightliner run migration.yaml --dry-run
            """
    )

    @Argument(help: "The job file.")
    var file: String

    @Flag(help: "Only check the file (every key, value and job), without any network request.")
    var check = false

    @Flag(name: .customLong("dry-run"), help: "Print the whole plan: what would be copied, mounted and skipped; write nothing.")
    var dryRun = false

    @Option(name: .customLong("run-id"), help: "Name the run (default: time-based).")
    var runID: String?

    @OptionGroup var flags: JobRunFlags
    @OptionGroup var shardOptions: ShardOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var metrics: MetricsOption

    func validate() throws {
        if let runID {
            do { try CheckpointStore.validate(runID: runID) } catch { throw fail(error) }
        }
    }

    func run() async throws {
        let jobFile: JobFile
        do {
            jobFile = try JobFileReader(path: file, overrides: flags.overrides).read()
        } catch {
            throw fail(error)
        }
        if check {
            Console.out("\(file): valid, \(jobFile.jobs.count) job\(jobFile.jobs.count == 1 ? "" : "s")\n")
            for job in jobFile.jobs { Console.out("  \(job.name): \(job.source) -> \(job.destination)\n") }
            return
        }
        let status: ExitStatus?
        do {
            try await metrics.start()
            // The output starts before planning, so planning shows as it goes (and counts).
            status = try await RunDriver(output: output.resolved, verbosity: output.verbosity).run { events in
                try await prepare(jobFile, events: events)
            }
        } catch {
            throw fail(error)
        }
        if let status, status != .success { throw ExitCode(status) }
    }

    /// The run, or nil when it is a shard whose saved run is already complete (said so).
    private func prepare(_ jobFile: JobFile, events: EventBus) async throws -> PreparedRun? {
        guard let shard = try shardOptions.resolved() else {
            return try await JobFileRun.prepare(jobFile, runID: runID ?? CheckpointStore.newRunID(), store: runOptions.store, dryRun: dryRun,
                                                events: events)
        }
        let (shardRunID, migration) = try shardOptions.runID(for: shard, migration: runID)
        // A pod restarted by its Job runs the same command: it continues its shard's run.
        if !dryRun, runOptions.store.hasCheckpoint(shardRunID) {
            return try await RunLauncher.continueShard(shardRunID, shard: shard.shard, store: runOptions.store,
                                                       connection: try ConnectionOptions.parse([]), limitRate: nil, output: output.resolved,
                                                       events: events)
        }
        return try await JobFileRun.prepare(jobFile, runID: shardRunID, store: runOptions.store, dryRun: dryRun, events: events,
                                            shard: (shard.shard, shardOptions.grouping, migration))
    }
}

/// The options `run` and `serve` take over every job of the file.
struct JobRunFlags: ParsableArguments {
    @Option(parsing: .unconditional, help: "Blobs uploaded at once, for the whole run (default: the file's, else its own).")
    var jobs: Int?

    @Flag(help: "Copy even tags whose manifest the destination already has, in every job.")
    var force = false

    @Flag(help: "Check every tag at both registries in every job, whatever --immutable-tags and the record of earlier runs say.")
    var verify = false

    @Option(name: .customLong("retry-times"), parsing: .unconditional,
            help: ArgumentHelp("Retries after a first failure, in every job.", valueName: "N"))
    var retryTimes: Int?

    @Flag(help: "Trace every HTTP request on stderr: method, URL without its query, status, time (never a header).")
    var debug = false

    @OptionGroup var rate: RateOption

    func validate() throws {
        try validateJobs(jobs)
        if let retryTimes, !(0...99).contains(retryTimes) { throw invalid("--retry-times must be 0-99, got \(retryTimes)") }
    }

    /// These options, as the `sync` options they override in every job.
    var overrides: [(flag: String, value: String?)] {
        var flags: [(flag: String, value: String?)] = []
        if let jobs { flags.append(("--jobs", "\(jobs)")) }
        if force { flags.append(("--force", nil)) }
        if verify { flags.append(("--verify", nil)) }
        if let retryTimes { flags.append(("--retry-times", "\(retryTimes)")) }
        if let limit = rate.limitRate { flags.append(("--limit-rate", limit)) }
        if debug { flags.append(("--debug", nil)) }
        return flags
    }
}

/// A job file's jobs as one run: each planned as its `sync`, then started together.
enum JobFileRun {
    /// `cycleOf`: the job file's absolute path, for a cycle of `serve`.
    /// `shard`: only the repositories of that shard (of the migration named), as its own run.
    static func prepare(_ jobFile: JobFile, runID: String, store: CheckpointStore, dryRun: Bool, events: EventBus,
                        cycleOf: String? = nil, shard: (Shard, ShardGrouping, migration: String)? = nil) async throws -> PreparedRun {
        let session = SessionStart()
        let file = jobFile.path
        let syncs = try jobFile.jobs.map { try SyncCommand.parse($0.arguments) }
        let http = HTTPClient(configuration: syncs[0].connection.httpConfiguration())
        let rates = RequestRates(rate: syncs[0].connection.requestsPerSecond.map(Double.init),
                                 byRegistry: jobFile.requestsPerSecond.mapValues(Double.init))
        var record = RunRecord(runID: runID, createdAt: Date(), source: file,
                               destination: "\(jobFile.jobs.count) job\(jobFile.jobs.count == 1 ? "" : "s")", settings: nil,
                               repositories: [])
        record.cycleOf = cycleOf
        var jobs: [RunLauncher.ConnectedJob] = [], records: [JobRecord] = []
        var listing: [String: [String]] = [:]
        var writers: [String: String] = [:]
        for (index, (job, sync)) in zip(jobFile.jobs, syncs).enumerated() {
            let planned = try await sync.plan(events: events, http: http, rates: rates)
            for var repository in planned.repositories {
                let place = "\(planned.settings.destination.registry)/\(repository.destination)"
                if let other = writers[place] {
                    throw ValidationError("\(file): jobs \(other) and \(job.name) both write \(place): give each destination repository one job")
                }
                writers[place] = job.name
                repository.job = index
                record.repositories.append(repository)
            }
            listing.merge(planned.listing) { first, _ in first }
            jobs.append(RunLauncher.ConnectedJob(name: job.name, settings: planned.settings, connections: planned.wiring.connections))
            records.append(JobRecord(name: job.name, settings: planned.settings, prune: planned.prune))
        }
        record.jobs = records
        if let (shard, grouping, migration) = shard { ShardOptions.narrow(&record, to: shard, grouping: grouping, migration: migration) }
        return try RunLauncher.start(record: record, jobs: jobs, store: store, dryRun: dryRun,
                                     retry: syncs[0].connection.retryPolicy, events: events, listing: listing, session: session)
    }
}
