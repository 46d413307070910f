import Foundation
import FreightCore
import FreightEngine
import Prometheus

/// The numbers a run (or `serve`'s cycles) reports to Prometheus. Labels are names of jobs,
/// repositories, registries, methods, statuses and reasons: never a credential or a secret's value.
public final class ReplicationMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    public let health = Health()

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "freightliner", metricName: metric, unitName: unit, helpText: help)
    }

    private static var tags: MetricNameDescriptor { name("tags", "total", "Tags finished, by job, repository and outcome (copied, skipped, failed).") }
    private static var bytes: MetricNameDescriptor { name("bytes_transferred", "total", "Blob bytes sent to destinations, by job.") }
    private static var blobs: MetricNameDescriptor { name("blobs", "total", "Blobs of finished tags, by how they reached the destination (uploaded, mounted, skipped).") }
    private static var requests: MetricNameDescriptor { name("requests", "total", "HTTP requests, by registry host, method and status (error: no response).") }
    private static var retries: MetricNameDescriptor { name("retries", "total", "Requests tried again, by registry host and reason.") }
    private static var duration: MetricNameDescriptor { name("run_duration_seconds", "", "Duration of runs (cycles of serve), this session of each.") }
    private static var lastSuccess: MetricNameDescriptor { name("last_success_timestamp_seconds", "", "Unix time of the last run in which every tag of the job succeeded.") }
    private static var saved: MetricNameDescriptor { name("compression_saved_bytes", "total", "Bytes saved by recompressing layers (original minus compressed).") }
    private static var secretFailures: MetricNameDescriptor { name("secret_refresh_failures", "total", "Reads of a secret manager's credentials that failed.") }
    private static var runs: MetricNameDescriptor { name("runs", "total", "Runs finished, by status (completed, failed, interrupted).") }

    /// Run durations from a second to a day.
    static let durationBuckets: [Double] = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400]

    private let durationHistogram: ValueHistogram
    private let savedCounter: Counter
    private let secretFailureCounter: Counter

    public init() {
        durationHistogram = registry.makeValueHistogram(descriptor: Self.duration, buckets: Self.durationBuckets)
        savedCounter = registry.makeCounter(descriptor: Self.saved)
        secretFailureCounter = registry.makeCounter(descriptor: Self.secretFailures)
        // Every family is present from the first scrape, so a dashboard's query has a series to
        // find before the first tag finishes.
        for outcome in ["uploaded", "mounted", "skipped"] { _ = registry.makeCounter(descriptor: Self.blobs, labels: [("transfer", outcome)]) }
    }

    /// One HTTP request's outcome; `status` nil when no response came.
    public func request(host: String, method: String, status: Int?) {
        registry.makeCounter(descriptor: Self.requests, labels: [("registry", host), ("method", method), ("status", status.map(String.init) ?? "error")])
            .increment()
    }

    public func retry(registry host: String, reason: String) {
        registry.makeCounter(descriptor: Self.retries, labels: [("registry", host), ("reason", reason)]).increment()
    }

    /// Counts a run's events; `jobOf` names the job of each repository as events name it.
    public func observe(_ events: EventBus, jobs: [String], jobOf: [String: Int]) {
        let failedJobs = Locked(Set<Int>())
        events.observe { [self] event in
            switch event {
            case .tagFinished(let repository, _, let outcome, let stats):
                let index = jobOf[repository] ?? 0
                let job = jobs.indices.contains(index) ? jobs[index] : "sync"
                let word: String
                switch outcome {
                case .copied: word = "copied"
                case .skipped: word = "skipped"
                case .failed:
                    word = "failed"
                    failedJobs.withLock { _ = $0.insert(index) }
                }
                registry.makeCounter(descriptor: Self.tags, labels: [("job", job), ("repository", repository), ("outcome", word)]).increment()
                registry.makeCounter(descriptor: Self.bytes, labels: [("job", job)]).increment(by: stats.bytes)
                for (transfer, count) in [("uploaded", stats.blobsUploaded), ("mounted", stats.blobsMounted), ("skipped", stats.blobsSkipped)]
                where count > 0 {
                    registry.makeCounter(descriptor: Self.blobs, labels: [("transfer", transfer)]).increment(by: Int64(count))
                }
                if stats.compressedBytes > 0, stats.originalBytes > stats.compressedBytes {
                    savedCounter.increment(by: stats.originalBytes - stats.compressedBytes)
                }
            case .secretStatus(let status) where status.state == .failed:
                secretFailureCounter.increment()
            case .runFinished(let summary):
                durationHistogram.record(summary.session.durationSeconds)
                let status: String
                switch summary.status {
                case .completed: status = "completed"
                case .failed: status = "failed"
                case .interrupted: status = "interrupted"
                }
                registry.makeCounter(descriptor: Self.runs, labels: [("status", status)]).increment()
                if summary.status != .interrupted {
                    let failed = failedJobs.value
                    let now = Date().timeIntervalSince1970
                    for (index, job) in jobs.enumerated() where !failed.contains(index) {
                        registry.makeGauge(descriptor: Self.lastSuccess, labels: [("job", job)]).set(to: now)
                    }
                }
                health.finished(ok: summary.status == .completed,
                                detail: "run \(summary.runID) \(status) (\(summary.tags.failed) of \(summary.tags.total) tags failed)")
            default:
                break
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// `/healthz`: healthy until a run (a cycle) fails or a cycle is overdue.
public final class Health: Sendable {
    private struct State {
        var failure: String?
        /// When the next cycle should have started, and how late it may be.
        var due: Date?
        var grace: TimeInterval = 0
    }

    private let state = Locked(State())

    public init() {}

    public func finished(ok: Bool, detail: String) {
        state.withLock { $0.failure = ok ? nil : detail }
    }

    /// `serve`: the next cycle is due at `date`; later than `grace` after that, it is overdue.
    public func due(_ date: Date?, grace: TimeInterval) {
        state.withLock {
            $0.due = date
            $0.grace = grace
        }
    }

    /// Whether all is well, and a line saying so or what is wrong.
    public func check(now: Date = Date()) -> (healthy: Bool, detail: String) {
        let current = state.value
        if let due = current.due, now.timeIntervalSince(due) > current.grace {
            return (false, "a cycle is overdue: due \(Int(now.timeIntervalSince(due))) s ago")
        }
        if let failure = current.failure { return (false, "the last run failed: \(failure)") }
        return (true, "ok")
    }
}
