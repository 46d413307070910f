import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightRegistry

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy one image (an index with all its platforms), or every tag of a repository, preserving digests.",
        discussion: """
            Examples:
              freightliner copy 127.0.0.1:5000/team/app:1.0 registry.example.com/team/app:1.0
              freightliner copy --all-tags 127.0.0.1:5000/team/app oci:/tmp/app-layout
            """
    )

    @Argument(help: "Source: [docker://]HOST/PATH[:TAG|@DIGEST] or oci:DIR[:TAG].")
    var source: String

    @Argument(help: "Destination: [docker://]HOST/PATH[:TAG] or oci:DIR[:TAG].")
    var destination: String

    @Flag(name: .customLong("all-tags"), help: "Copy every tag of the source repository.")
    var allTags = false

    @Option(parsing: .unconditional, help: "Blobs uploaded at once.")
    var jobs: Int = ReplicationOptions.defaultJobs

    @Flag(help: "Copy even when the destination already has the same manifest.")
    var force = false

    @OptionGroup var compression: CompressionOptions
    @OptionGroup var formatOption: FormatOption
    @OptionGroup var platformOption: PlatformOption
    @OptionGroup var referrersOption: ReferrersOption
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var rate: RateOption
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard jobs >= 1, jobs <= 256 else { throw invalid("--jobs must be 1-256, got \(jobs)") }
    }

    func run() async throws {
        let status: ExitStatus?
        do {
            status = try await RunDriver(output: output.resolved, verbosity: output.verbosity).run { events in try await prepare(events: events) }
        } catch {
            throw fail(error)
        }
        if let status, status != .success { throw ExitCode(status) }
    }

    /// The copy as a run of one repository, saved nowhere (running it again is how it resumes).
    private func prepare(events: EventBus) async throws -> PreparedRun {
        let session = SessionStart()
        if let warning = compression.ignoredWarning { events.emit(.warning(warning)) }
        let plan: (source: any ImageRepository, destination: any ImageRepository, tags: [TagJob], connections: Connections)
            = try await makePlan(events: events)
        let record = RunRecord(runID: CheckpointStore.newRunID(), createdAt: Date(), source: source, destination: destination,
                               settings: nil, repositories: [RepositoryRecord(source: plan.source.displayName,
                                                                              destination: plan.destination.displayName,
                                                                              tags: plan.tags.map(TagRecord.init))])
        let rewrite = RewriteSettings(compression: try compression.settings, format: formatOption.format,
                                      platforms: try platformOption.selectors)
        var options = ReplicationOptions(jobs: jobs, force: force, retry: connection.retryPolicy, rewrite: rewrite,
                                         limitRate: try rate.bytesPerSecond)
        options.compressThreads = compression.threads
        options.single.referrers = referrersOption.enabled
        options.single.referrerTypes = Set(referrersOption.types)
        let replicator = Replicator(options: options, events: events, requests: plan.connections.requestTally)
        let info = RunInfo(runID: record.runID, source: plan.source.displayName, destination: plan.destination.displayName,
                           startedAt: session.date, resumed: false, dryRun: false, checkpointPath: nil)
        return PreparedRun(ledger: RunLedger(record: record, writer: nil, session: session),
                           jobs: [RepositoryJob(name: plan.destination.displayName, source: plan.source, destination: plan.destination)],
                           replicator: replicator, info: info)
    }

    private func makePlan(events: EventBus) async throws -> (any ImageRepository, any ImageRepository, [TagJob], Connections) {
        let sourceLocation = try ImageLocation(parsing: source)
        let destinationLocation = try ImageLocation(parsing: destination)
        let wiring = try connection.wire(onRetry: ConnectionOptions.retryEvents(events), events: events) { events.emit(.secretStatus($0)) }
        try await wiring.checkSecrets(for: [.source: sourceLocation, .destination: destinationLocation])
        let connections = wiring.connections
        let (sourceRepository, sourceReference) = try connections.repository(for: sourceLocation, role: .source)
        let (destinationRepository, destinationReference) = try connections.repository(for: destinationLocation, role: .destination)
        if let destinationReference, (try? Digest(parsing: destinationReference)) != nil {
            throw ValidationError("the destination \"\(destination)\" names a digest; name a tag, or none to keep the source's")
        }

        if allTags {
            guard sourceReference == nil, destinationReference == nil else {
                throw ValidationError("--all-tags copies every tag: name repositories without a tag (got \"\(source)\" -> \"\(destination)\")")
            }
            // Referrers tags (sha256-<hex>, cosign's .sig/.att/.sbom) travel with their subjects
            // (with --no-referrers, not at all).
            let tags = try await sourceRepository.tags().filter { !ReferrerTags.isReferrerTag($0) }
            guard !tags.isEmpty else { throw ValidationError("\(sourceRepository.displayName) has no tags to copy") }
            // Every name is checked before anything moves: a name the destination cannot hold
            // (a layout's `localhost/app:1` is no registry tag) would fail only after its blobs.
            let unfit = tags.filter { (try? destinationRepository.validateTag($0)) == nil }
            guard unfit.isEmpty else {
                let names = unfit.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ") + (unfit.count > 5 ? ", …" : "")
                throw ValidationError("--all-tags: \(unfit.count) of the \(tags.count) names in \(sourceRepository.displayName) cannot be "
                    + "tags of \(destinationRepository.displayName) (\(names)); nothing was copied. Copy those one at a time, naming "
                    + "the destination tag: freightliner copy \(source):\(unfit[0]) \(destination):TAG")
            }
            return (sourceRepository, destinationRepository, tags.map { TagJob(source: $0, destination: $0) }, connections)
        }

        var reference = sourceReference
        if reference == nil, let layout = sourceRepository as? OCILayoutRepository {
            // An untagged layout with a single image means that image, as in skopeo.
            let entries = await layout.layout.entries()
            guard entries.count == 1 else {
                throw ValidationError("\(source) holds \(entries.count) images; name one: oci:DIR:TAG")
            }
            reference = entries[0].digest.description
        }
        let sourceRef = reference ?? "latest"
        let sourceIsDigest = (try? Digest(parsing: sourceRef)) != nil
        let destinationTag = destinationReference ?? (sourceIsDigest ? nil : sourceRef)
        if destinationTag == nil, destinationRepository is OCILayoutRepository {
            throw ValidationError("an OCI layout destination needs a tag for an image copied by digest: oci:DIR:TAG")
        }
        if let destinationTag, destinationReference == nil {
            do {
                try destinationRepository.validateTag(destinationTag)
            } catch let error as ReferenceError {
                throw ValidationError("\(error.reason), so it cannot be the tag at \(destination): name one, e.g. \(destination):TAG")
            }
        }
        return (sourceRepository, destinationRepository, [TagJob(source: sourceRef, destination: destinationTag)], connections)
    }
}
