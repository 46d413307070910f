import Foundation
import FreightEngine

/// Everything known about the run on screen, built only from engine events.
public struct RunProgress: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// No `runStarted` yet.
        case waiting
        case running
        case paused
        /// Stopping was asked for; transfers in flight are finishing.
        case stopping(reason: String)
        case finished(RunSummary)
    }

    public var info: RunInfo?
    /// Planning so far, before the run starts (and how it ended, after).
    public var planning: PlanningProgress?
    public var phase: Phase = .waiting
    public private(set) var repositories: [RepositoryProgress] = []
    private var repositoryIndex: [String: Int] = [:]
    public var compression = CompressionTotals()
    /// Each credential in use, by provider and reference, in the order first seen.
    public private(set) var secrets: [SecretStatus] = []
    public var throughput = ThroughputMeter()
    /// The repositories' `sessionBytes`, added up as each changes.
    public private(set) var sessionBytes: Int64 = 0
    public private(set) var blobsUploaded = 0
    public private(set) var blobsMounted = 0
    public private(set) var blobsPresent = 0
    /// Tags that finished (any outcome) in this session: what the ETA is based on.
    public private(set) var sessionTagsFinished = 0
    /// What those tags sent (their final stats, not in-flight estimates).
    public private(set) var finishedTagBytes: Int64 = 0
    public var lastCheckpoint: Date?
    public var finishedAt: Date?
    /// What the source registry last said is left of its pull allowance.
    public var pullsLeft: PullsLeft?

    public struct PullsLeft: Sendable, Equatable {
        public var remaining: Int
        public var limit: Int?

        /// Little enough left that pulls go one at a time (as the engine judges it).
        public var isLow: Bool { remaining <= max(5, (limit ?? 0) / 10) }
    }
    /// The event stream ended (normally right after `runFinished`).
    public var streamEnded = false

    public init() {}

    public var summary: RunSummary? {
        if case .finished(let summary) = phase { return summary }
        return nil
    }

    public var isFinished: Bool { summary != nil }
    public var isStopping: Bool {
        if case .stopping = phase { return true }
        return false
    }

    /// Bytes sent over the network in this session (an estimate while tags are in flight).
    /// Bytes uploaded in this session: the sum of the repositories' (kept as they change).
    public var transferredBytes: Int64 { sessionBytes }
    /// Bytes uploaded across every session of the run: the sum of the repositories' `bytes`.
    public var runBytes: Int64 { repositories.reduce(sessionBytes) { $0 + $1.earlierBytes } }

    public var tagsTotal: Int { repositories.reduce(0) { $0 + $1.total } }
    public var tagsDone: Int { repositories.reduce(0) { $0 + $1.done } }
    public var tagsFailed: Int { repositories.reduce(0) { $0 + $1.failed } }
    public var tagsCopying: Int { repositories.reduce(0) { $0 + $1.copying } }
    public var repositoriesDone: Int { repositories.filter { $0.total > 0 && $0.done == $0.total }.count }
    public var repositoriesFailed: Int { repositories.filter { $0.failed > 0 || $0.status == .failed }.count }

    public func repository(named name: String) -> RepositoryProgress? {
        repositoryIndex[name].map { repositories[$0] }
    }

    /// Seconds since the session started, frozen when the run finished.
    public func elapsed(at now: Date) -> TimeInterval? {
        guard let start = info?.startedAt else { return nil }
        return max(0, (finishedAt ?? now).timeIntervalSince(start))
    }

    /// How long the rest should take, and whether the estimate has settled.
    public struct Estimate: Sendable, Equatable {
        public var seconds: TimeInterval
        /// False while the estimate rests on too little (the first seconds, the first tags):
        /// shown as "≈".
        public var settled: Bool
    }

    /// The time left, from what is left and the pace of the last `estimateWindow` seconds:
    /// bytes left (the tags left at this session's bytes per finished tag, less what tags in
    /// flight already sent) at the recent byte rate, and tags left at the recent tag rate; the
    /// longer of the two, since either can bound the run (big layers, or many small tags).
    /// Nil until a tag has finished and the run has moved for a second.
    public func estimatedRemaining(at now: Date) -> Estimate? {
        guard !isFinished, sessionTagsFinished > 0, let elapsed = elapsed(at: now), elapsed > 0,
              let recent = throughput.rates(over: ThroughputMeter.estimateWindow), recent.span >= 1 else { return nil }
        let left = tagsTotal - tagsDone - tagsFailed
        guard left > 0 else { return Estimate(seconds: 0, settled: true) }
        var candidates: [TimeInterval] = []
        if recent.tags > 0 { candidates.append(Double(left) / recent.tags) }
        let perTag = Double(finishedTagBytes) / Double(sessionTagsFinished)
        if perTag > 0, recent.bytes > 0 {
            let inFlight = Double(max(0, sessionBytes - finishedTagBytes))
            candidates.append(max(0, Double(left) * perTag - inFlight) / recent.bytes)
        }
        guard let seconds = candidates.max() else { return nil }
        let settled = recent.span >= ThroughputMeter.estimateWindow / 2 && sessionTagsFinished >= 3
        return Estimate(seconds: seconds, settled: settled)
    }

    mutating func withRepository(_ name: String, _ body: (inout RepositoryProgress) -> Void) {
        let index: Int
        if let existing = repositoryIndex[name] {
            index = existing
        } else {
            repositories.append(RepositoryProgress(name: name, order: repositories.count))
            index = repositories.count - 1
            repositoryIndex[name] = index
        }
        let before = repositories[index].sessionBytes
        body(&repositories[index])
        sessionBytes += repositories[index].sessionBytes - before
    }

    mutating func blobFinished(size: Int64, transfer: BlobTransferKind) {
        switch transfer {
        case .uploaded: blobsUploaded += 1
        case .mounted:
            blobsMounted += 1
        case .skipped:
            blobsPresent += 1
        }
    }

    mutating func tagFinished(bytes: Int64) {
        sessionTagsFinished += 1
        finishedTagBytes += bytes
    }

    mutating func update(secret status: SecretStatus) {
        if let index = secrets.firstIndex(where: { $0.provider == status.provider && $0.reference == status.reference }) {
            secrets[index] = status
        } else {
            secrets.append(status)
        }
    }

    mutating func interruptAll() {
        for index in repositories.indices { repositories[index].interrupted() }
    }
}
