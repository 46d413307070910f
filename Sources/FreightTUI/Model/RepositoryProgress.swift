import FreightEngine

/// One repository of a run: its tags and running counts, kept current by the reducer so a
/// frame never has to recount thousands of tags.
public struct RepositoryProgress: Sendable, Equatable {
    public let name: String
    /// Position in the plan, which breaks ties when sorting.
    public let order: Int
    public internal(set) var status: RepositoryStatus = .pending
    public private(set) var tags: [TagProgress] = []
    private var tagIndex: [String: Int] = [:]
    public private(set) var copied = 0
    public private(set) var skipped = 0
    public private(set) var failed = 0
    public private(set) var copying = 0
    /// Bytes earlier sessions of the run uploaded for tags they finished.
    public private(set) var earlierBytes: Int64 = 0
    /// Bytes uploaded for the tags that finished in this session, as their stats say.
    public private(set) var finishedBytes: Int64 = 0
    /// Bytes the tags in flight uploaded so far, as their progress says.
    public private(set) var progressBytes: Int64 = 0

    public init(name: String, order: Int) {
        self.name = name
        self.order = order
    }

    public var total: Int { tags.count }
    /// Tags finished for good (copied, mounted, skipped).
    public var done: Int { copied + skipped }
    /// Bytes uploaded for this repository in this session: finished tags' as their stats say,
    /// those in flight as far as they got (never more than they will report at the end).
    public var sessionBytes: Int64 { finishedBytes + max(0, progressBytes) }
    /// Bytes uploaded for this repository, across sessions: once every tag finished, the sum of
    /// its tags' bytes.
    public var bytes: Int64 { earlierBytes + sessionBytes }
    public var isFinished: Bool { done + failed == total && copying == 0 }

    /// How far along, counting the part of each tag in flight.
    public var fraction: Double {
        guard total > 0 else { return status == .completed ? 1 : 0 }
        var progress = Double(done + failed)
        if copying > 0 {
            for tag in tags where tag.status == .copying { progress += tag.fraction }
        }
        return progress / Double(total)
    }

    /// Running first, then those with failures, then pending, then completed; plan order within.
    var sortRank: Int {
        if copying > 0 || status == .running { return 0 }
        if failed > 0 || status == .failed { return 1 }
        if status == .completed || (total > 0 && done == total) { return 3 }
        return 2
    }

    public func tag(named name: String) -> TagProgress? { tagIndex[name].map { tags[$0] } }

    mutating func plan(tags names: [String], alreadyDone: [String: TagOutcome]) {
        for name in names {
            let index = indexOf(name)
            if let outcome = alreadyDone[name] {
                var tag = tags[index]
                tag.earlier = true
                if case .copied(let bytes, _) = outcome { earlierBytes += bytes }
                tags[index] = tag
                setStatus(index, TagProgress.status(for: outcome, stats: nil))
            }
        }
        if total > 0, done == total { status = .completed }
    }

    mutating func started(tag name: String) {
        let index = indexOf(name)
        if status == .pending { status = .running }
        setStatus(index, .copying)
    }

    mutating func progress(tag name: String, done: Int64, total: Int64, sent: Int64) {
        let index = indexOf(name)
        if tags[index].status == .queued {
            if status == .pending { status = .running }
            setStatus(index, .copying)
        }
        guard tags[index].status == .copying else { return }
        progressBytes += sent - tags[index].bytesSent
        tags[index].bytesDone = done
        tags[index].bytesTotal = total
        tags[index].bytesSent = sent
    }

    mutating func finished(tag name: String, outcome: TagOutcome, stats: TagStats) {
        let index = indexOf(name)
        // The tag's stats replace what its progress counted.
        if tags[index].status == .copying { progressBytes -= tags[index].bytesSent }
        tags[index].bytesSent = 0
        finishedBytes += stats.bytes
        tags[index].stats = stats
        tags[index].earlier = false
        if case .copied = outcome, tags[index].bytesTotal > 0 { tags[index].bytesDone = tags[index].bytesTotal }
        setStatus(index, TagProgress.status(for: outcome, stats: stats))
        // Nothing in flight: the repository's bytes are its tags' own, exactly.
        if copying == 0 { progressBytes = 0 }
    }

    /// The run ended: tags still marked as copying were interrupted and stay to do.
    mutating func interrupted() {
        for index in tags.indices where tags[index].status == .copying {
            tags[index].bytesDone = 0
            tags[index].bytesSent = 0
            setStatus(index, .queued)
        }
        progressBytes = 0
        if status == .running { status = failed > 0 ? .failed : (done == total ? .completed : .pending) }
    }

    private mutating func indexOf(_ name: String) -> Int {
        if let index = tagIndex[name] { return index }
        tags.append(TagProgress(name: name))
        tagIndex[name] = tags.count - 1
        return tags.count - 1
    }

    private mutating func setStatus(_ index: Int, _ status: TagProgress.Status) {
        count(tags[index].status, -1)
        tags[index].status = status
        count(status, +1)
    }

    private mutating func count(_ status: TagProgress.Status, _ delta: Int) {
        switch status {
        case .queued: break
        case .copying: copying += delta
        case .copied, .mounted: copied += delta
        case .skipped: skipped += delta
        case .failed: failed += delta
        }
    }
}
