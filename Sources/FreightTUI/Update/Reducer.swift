import Foundation
import FreightCore
import FreightEngine

extension DashboardState {
    /// The reducer: the state after `event`, received at `date`. Pure: no I/O, no clock.
    public static func reduce(_ state: DashboardState, _ event: ReplicationEvent, at date: Date) -> DashboardState {
        var next = state
        next.apply(event, at: date)
        return next
    }

    /// The reducer, in place (a frame's worth of events should not copy the state each time).
    public mutating func apply(_ event: ReplicationEvent, at date: Date) {
        now = date
        switch event {
        case .runStarted(let info):
            if run.info != nil { run = RunProgress() }
            run.info = info
            run.phase = .running
            run.throughput.sample(0, at: date)
            let how = info.dryRun ? " (dry run: nothing is written)" : info.resumed ? " (resumed)" : ""
            log.append(.info, "run \(info.runID) started\(how): \(info.source) -> \(info.destination)", at: date)
        case .planning(let progress):
            run.planning = progress
            if progress.done {
                log.append(.info, "planned in \(ByteFormat.formatted(progress.seconds, decimals: 1))s: "
                           + "\(plural(progress.repositories ?? progress.repositoriesListed, "repository", "repositories")) listed, "
                           + "\(plural(progress.tags, "tag")) to look at", at: date)
            }
        case .planned(let repositories):
            for repository in repositories {
                run.withRepository(repository.name) { $0.plan(tags: repository.tags, alreadyDone: repository.alreadyDone) }
            }
            let tags = repositories.reduce(0) { $0 + $1.tags.count }
            let done = repositories.reduce(0) { $0 + $1.alreadyDone.count }
            log.append(.info, "plan: \(plural(repositories.count, "repository", "repositories")), \(plural(tags, "tag"))"
                       + (done > 0 ? ", \(done) already done" : ""), at: date)
        case .repositoryStarted(let name):
            run.withRepository(name) { if $0.status == .pending { $0.status = .running } }
        case .repositoryFinished(let name, let status):
            run.withRepository(name) { $0.status = status }
            if let repository = run.repository(named: name) {
                if status == .failed {
                    log.append(.error, "\(name): \(repository.failed) of \(repository.total) tags failed", at: date)
                } else {
                    log.append(.success, "\(name): done, \(plural(repository.total, "tag")), \(ByteFormat.string(repository.bytes))", at: date)
                }
            }
        case .tagStarted(let repository, let tag):
            run.withRepository(repository) { $0.started(tag: tag) }
        case .tagProgress(let repository, let tag, let done, let total, let sent):
            run.withRepository(repository) { $0.progress(tag: tag, done: done, total: total, sent: sent) }
        case .tagFinished(let repository, let tag, let outcome, let stats):
            run.withRepository(repository) { $0.finished(tag: tag, outcome: outcome, stats: stats) }
            run.tagFinished(bytes: stats.bytes)
            if case .failed(let reason) = outcome {
                log.append(.error, "\(Self.label(repository, tag)) failed: \(reason)", at: date)
            }
        case .blobFinished(_, _, let size, let transfer):
            run.blobFinished(size: size, transfer: transfer)
        case .layerCompressed(_, let layer):
            run.compression.add(layer)
        case .retrying(let operation, let attempt, let delay, let reason):
            log.append(.warning, "retry \(operation) (attempt \(attempt + 1) in \(ByteFormat.formatted(delay, decimals: 1))s): \(reason)", at: date)
        case .checkpointSaved(_, let at):
            run.lastCheckpoint = at
        case .secretStatus(let status):
            run.update(secret: status)
            switch status.state {
            case .loaded: log.append(.info, "credentials \(status.reference) (\(status.provider)) loaded", at: date)
            case .refreshed: log.append(.info, "credentials \(status.reference) (\(status.provider)) refreshed", at: date)
            case .failed:
                log.append(.error, "credentials \(status.reference) (\(status.provider)) failed: \(status.detail ?? "no detail")", at: date)
            }
        case .paused:
            if run.phase == .running { run.phase = .paused }
            log.append(.warning, "paused: no new tags start; transfers in flight finish (p continues)", at: date)
        case .continued:
            if run.phase == .paused { run.phase = .running }
            log.append(.info, "continued", at: date)
        case .stopping(let reason):
            if !run.isFinished { run.phase = .stopping(reason: reason) }
            log.append(.warning, "stopping: \(reason)", at: date)
        case .warning(let message):
            log.append(.warning, message, at: date)
        case .pullAllowance(_, let remaining, let limit):
            run.pullsLeft = RunProgress.PullsLeft(remaining: remaining, limit: limit)
        case .tagPruned(let repository, let tag, let dryRun):
            log.append(.info, "\(dryRun ? "would prune" : "pruned") \(Self.label(repository, tag))", at: date)
        case .runFinished(let summary):
            if summary.status != .completed { run.interruptAll() }
            run.phase = .finished(summary)
            run.finishedAt = date
            run.compression = CompressionTotals(summary.compression)
            log.append(Self.level(of: summary), Self.describe(summary, resume: run.info?.resumeCommand), at: date)
            if view.quitRequested || view.exitOnComplete { view.wantsExit = true }
        }
    }

    /// Time passes: the clock, the throughput sample, notices that expire.
    public mutating func tick(at date: Date) {
        now = date
        if mode == .live, run.info != nil, !run.isFinished { run.throughput.sample(run.transferredBytes, tags: run.sessionTagsFinished, at: date) }
        if let at = view.noticeAt, date.timeIntervalSince(at) >= 5 {
            view.notice = nil
            view.noticeAt = nil
        }
    }

    static func label(_ repository: String, _ tag: String) -> String {
        repository.isEmpty ? tag : "\(repository):\(tag)"
    }

    static func level(of summary: RunSummary) -> LogEntry.Level {
        switch summary.status {
        case .completed: return .success
        case .failed: return .error
        case .interrupted: return .warning
        }
    }

    static func describe(_ summary: RunSummary, resume: String?) -> String {
        let tags = summary.tags
        var text = "\(summary.status.rawValue): \(tags.copied) copied, \(tags.skipped) skipped, \(tags.failed) failed of \(tags.total) tags; "
            + "\(ByteFormat.string(summary.session.bytesTransferred)) in \(ByteFormat.duration(summary.session.durationSeconds))"
        if summary.status == .interrupted, let resume { text += "; resume with `\(resume)`" }
        return text
    }
}

extension CompressionTotals {
    init(_ summary: RunSummary.Compression) {
        self.init()
        layers = summary.layers
        kept = summary.keptLayers
        originalBytes = summary.originalBytes
        compressedBytes = summary.compressedBytes
    }
}
