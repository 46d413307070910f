import Foundation
import FreightCore
import FreightEngine

/// Readable lines for logs and `tail -f`, each with its time: one per finished tag, a progress
/// line every few seconds, and the summary. `-q` keeps warnings, failures and the summary;
/// `-v` adds a line per blob.
struct PlainReporter {
    enum Verbosity: Sendable {
        case quiet, normal, verbose
    }

    var progressInterval: Duration = .seconds(5)
    var verbosity: Verbosity = .normal

    func consume(_ events: AsyncStream<ReplicationEvent>) async {
        var dryRun = false
        var resume: String?
        var totalTags = 0
        var finishedTags = 0
        var bytes: Int64 = 0
        var inFlight: [String: Int64] = [:]
        var lastProgress = ContinuousClock.now
        let start = ContinuousClock.now
        let chatty = verbosity != .quiet
        for await event in events {
            switch event {
            case .runStarted(let info) where chatty:
                dryRun = info.dryRun
                resume = info.resumeCommand
                let mode = info.dryRun ? " (dry run: nothing is written)" : info.resumed ? " (resumed)" : ""
                emit("run \(info.runID): \(info.source) -> \(info.destination)\(mode)")
            case .runStarted(let info):
                dryRun = info.dryRun
                resume = info.resumeCommand
            case .planning(let progress) where chatty:
                // Once a progress interval while it lasts, and when it is done.
                let now = ContinuousClock.now
                if progress.done || now - lastProgress >= progressInterval {
                    lastProgress = now
                    emit(Self.describe(progress))
                }
            case .planned(let repositories):
                totalTags = repositories.reduce(0) { $0 + $1.tags.count }
                let done = repositories.reduce(0) { $0 + $1.alreadyDone.count }
                finishedTags = done
                let already = done > 0 ? ", \(done) already done" : ""
                if chatty { emit("plan: \(repositories.count) repositories, \(totalTags) tags\(already)") }
            case .tagProgress(let repository, let tag, _, _, let sent):
                inFlight["\(repository):\(tag)"] = sent
            case .tagFinished(let repository, let tag, let outcome, let stats):
                finishedTags += 1
                inFlight["\(repository):\(tag)"] = nil
                bytes += stats.bytes
                if chatty || outcome.isFailure {
                    emit(Self.describe(repository: repository, tag: tag, outcome: outcome, stats: stats, dryRun: dryRun))
                }
            case .blobFinished(let repository, let digest, let size, let transfer) where verbosity == .verbose:
                emit("blob     \(repository) \(digest.algorithm.rawValue):\(digest.short) \(ByteFormat.string(size)) \(transfer.rawValue)")
            case .retrying(let operation, let attempt, let delay, let reason) where chatty:
                emit("retry    \(operation) (attempt \(attempt + 1) in \(ByteFormat.formatted(delay, decimals: 1))s): \(reason)")
            case .tagPruned(let repository, let tag, let dryRun):
                emit("\(dryRun ? "would prune" : "pruned  ") \(repository.isEmpty ? tag : "\(repository):\(tag)")")
            case .stopping(let reason):
                emit("stopping: \(reason); letting transfers in flight finish")
            case .warning(let message):
                emit("warning: \(message)")
            case .secretStatus(let status) where status.state == .failed:
                emit("warning: credentials \(status.reference) (\(status.provider)) failed: \(status.detail ?? "")")
            case .runFinished(let summary):
                for line in Self.summaryLines(summary, dryRun: dryRun, resume: resume) { emit(line) }
            default:
                break
            }
            let now = ContinuousClock.now
            if chatty, now - lastProgress >= progressInterval, finishedTags < totalTags {
                lastProgress = now
                let moving = bytes + inFlight.values.reduce(0, +)
                let seconds = Self.seconds(now - start)
                emit("progress \(finishedTags)/\(totalTags) tags, \(ByteFormat.string(moving)), \(ByteFormat.rate(Double(moving) / max(seconds, 0.001)))")
            }
        }
    }

    static func describe(repository: String, tag: String, outcome: TagOutcome, stats: TagStats, dryRun: Bool) -> String {
        let name = repository.isEmpty ? tag : "\(repository):\(tag)"
        switch outcome {
        case .copied(let bytes, let digest):
            let blobs = "\(stats.blobsUploaded) uploaded, \(stats.blobsMounted) mounted, \(stats.blobsSkipped) present"
            let compressed = stats.compressedLayers > 0
                ? ", \(Self.layers(stats.compressedLayers)) recompressed (\(ByteFormat.string(stats.originalBytes)) -> \(ByteFormat.string(stats.compressedBytes)))"
                : ""
            return "\(dryRun ? "would copy" : "copied  ") \(name) \(ByteFormat.string(bytes)) (\(blobs)\(compressed)) \(digest.short)"
        case .skipped(let digest):
            return "\(dryRun ? "would skip" : "skipped ") \(name) (up to date, \(digest.short))"
        case .failed(let reason):
            return "FAILED   \(name): \(reason)"
        }
    }

    /// `resume`: the command that continues the run (`RunInfo.resumeCommand`); nil when it
    /// saved nothing to resume (a `copy`).
    static func summaryLines(_ summary: RunSummary, dryRun: Bool, resume: String?) -> [String] {
        var lines: [String] = []
        let tags = summary.tags
        let verb = dryRun ? "dry run" : summary.status.rawValue
        lines.append("\(verb): \(tags.total) tags (\(tags.copied) copied, \(tags.skipped) skipped, \(tags.failed) failed) in \(summary.repositories.total) repositories; "
            + "\(ByteFormat.string(summary.session.bytesTransferred)) in \(ByteFormat.duration(summary.session.durationSeconds))"
            // A resumed run's counts are the whole run's; its bytes and time this session's.
            + (summary.bytesTransferred != summary.session.bytesTransferred ? " this session (\(ByteFormat.string(summary.bytesTransferred)) in all)" : "")
            + " (\(summary.blobs.copied) blobs uploaded, \(summary.blobs.mounted) mounted, \(summary.blobs.skipped) present)")
        if summary.referrers.copied + summary.referrers.skipped > 0 {
            lines.append("referrers: \(summary.referrers.copied) copied, \(summary.referrers.skipped) already there")
        }
        if let pulls = summary.pullLimit {
            lines.append("pull limit: \(pulls.remaining)\(pulls.limit.map { " of \($0)" } ?? "") left at \(pulls.registry)")
        }
        if !summary.pruned.isEmpty {
            let p = summary.pruned
            lines.append("prune: \(p.deleted) tags deleted" + (p.failed > 0 ? ", \(p.failed) not" : "") + (p.pending > 0 ? ", \(p.pending) left" : ""))
        }
        if summary.compression.layers > 0 || summary.compression.keptLayers > 0 {
            let c = summary.compression
            lines.append("compression: \(Self.layers(c.layers)) \(ByteFormat.string(c.originalBytes)) -> \(ByteFormat.string(c.compressedBytes)), \(c.keptLayers) kept as they were")
        }
        for failure in summary.failures {
            lines.append("failed: \(failure.repository)\(failure.tag.map { ":\($0)" } ?? ""): \(failure.reason)")
        }
        if summary.status == .interrupted {
            lines.append(resume.map { "interrupted: resume with `\($0)`" }
                         ?? "interrupted: run the same command again; what was copied is skipped")
        }
        return lines
    }

    static func describe(_ planning: PlanningProgress) -> String {
        let repositories = planning.repositories.map { "\(planning.tagListsRead) of \($0) repositories' tags read" }
            ?? "\(planning.repositoriesListed) repositories listed"
        return planning.done
            ? "planned in \(ByteFormat.formatted(planning.seconds, decimals: 1))s: \(planning.tagListsRead) repositories' tags read, \(planning.tags) tags"
            : "planning: \(repositories), \(planning.tags) tags so far"
    }

    static func layers(_ count: Int) -> String { count == 1 ? "1 layer" : "\(count) layers" }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func emit(_ line: String) {
        Self.print(line)
    }

    /// A line on stdout, after its time.
    static func print(_ line: String) {
        Console.out(Timestamp.string() + " " + line + "\n")
    }
}
