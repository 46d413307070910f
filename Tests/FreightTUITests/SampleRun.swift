import Foundation
import FreightCore
import FreightEngine
@testable import FreightTUI

/// Synthetic engine events on a fixed clock: the same frames on every machine.
enum SampleRun {
    static let start = Date(timeIntervalSince1970: 1_750_000_000)
    static let runID = "20250615-150640-0a1b2c3d"

    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    static func digest(_ text: String) -> Digest { Digest.sha256(of: Array(text.utf8)) }

    static var info: RunInfo {
        RunInfo(runID: runID, source: "registry.example.com:5000/team", destination: "mirror.example.net/backup/team",
                startedAt: start, resumed: false, dryRun: false, checkpointPath: "/state/freightliner/runs/\(runID)")
    }

    static let repositories: [PlannedRepository] = [
        PlannedRepository(name: "team/web", tags: ["1.0", "1.1", "1.2", "latest"]),
        PlannedRepository(name: "team/api", tags: ["2.0.0", "2.0.1", "2.1.0"]),
        PlannedRepository(name: "team/worker", tags: ["v1", "v2"]),
        PlannedRepository(name: "infra/postgres-with-a-rather-long-repository-name", tags: ["15", "16"]),
        PlannedRepository(name: "infra/redis", tags: ["7"]),
        PlannedRepository(name: "tools/builder", tags: ["stable", "edge"]),
    ]

    static func stats(bytes: Int64, uploaded: Int, mounted: Int = 0, present: Int = 0) -> TagStats {
        var stats = TagStats()
        stats.bytes = bytes
        stats.blobsUploaded = uploaded
        stats.blobsMounted = mounted
        stats.blobsSkipped = present
        return stats
    }

    static func layer(_ size: Int64, compressedTo compressed: Int64?) -> LayerCompression {
        let original = Descriptor(mediaType: MediaType.ociLayerTar, digest: digest("layer \(size)"), size: size)
        let result = compressed.map { _ in LayerCompression.Result.compressed } ?? .keptSavedTooLittle(percent: 3)
        return LayerCompression(original: original, compressed: compressed.map {
            Descriptor(mediaType: MediaType.ociLayerGzip, digest: digest("gz \(size)"), size: $0)
        }, result: result, seconds: 0.5)
    }

    /// A run in full swing at 42 s: tags copying, copied, mounted, skipped, failed; a retry,
    /// compression, and credentials.
    static var midRun: [(Double, ReplicationEvent)] {
        [
            (0, .runStarted(info)),
            (0.2, .planned(repositories)),
            (0.3, .secretStatus(SecretStatus(provider: "aws-sm", reference: "aws-sm://prod/registry#password", state: .loaded, at: at(0.3)))),
            (0.4, .secretStatus(SecretStatus(provider: "docker-config", reference: "mirror.example.net", state: .loaded, at: at(0.4)))),
            (1, .repositoryStarted(repository: "team/web")),
            (1, .tagStarted(repository: "team/web", tag: "1.0")),
            (1, .tagStarted(repository: "team/web", tag: "1.1")),
            (2, .tagProgress(repository: "team/web", tag: "1.0", bytesDone: 20 << 20, bytesTotal: 48 << 20, bytesSent: 20 << 20)),
            (3, .blobFinished(repository: "team/web", digest: digest("a"), size: 30 << 20, transfer: .uploaded)),
            (3, .tagProgress(repository: "team/web", tag: "1.1", bytesDone: 30 << 20, bytesTotal: 30 << 20, bytesSent: 30 << 20)),
            (3, .tagFinished(repository: "team/web", tag: "1.1", outcome: .copied(bytes: 30 << 20, digest: digest("m1")),
                             stats: stats(bytes: 30 << 20, uploaded: 3))),
            (4, .repositoryStarted(repository: "team/api")),
            (4, .tagStarted(repository: "team/api", tag: "2.0.0")),
            (4, .tagFinished(repository: "team/api", tag: "2.0.0", outcome: .skipped(digest: digest("m2")), stats: TagStats())),
            (5, .tagStarted(repository: "team/api", tag: "2.0.1")),
            (6, .blobFinished(repository: "team/api", digest: digest("b"), size: 12 << 20, transfer: .mounted)),
            (6, .tagProgress(repository: "team/api", tag: "2.0.1", bytesDone: 12 << 20, bytesTotal: 12 << 20, bytesSent: 0)),
            (6, .tagFinished(repository: "team/api", tag: "2.0.1", outcome: .copied(bytes: 0, digest: digest("m3")),
                             stats: stats(bytes: 0, uploaded: 0, mounted: 2))),
            (7, .tagStarted(repository: "team/api", tag: "2.1.0")),
            (8, .tagFinished(repository: "team/api", tag: "2.1.0",
                             outcome: .failed(reason: "manifest unknown: 2.1.0 was not found at the source (404 MANIFEST_UNKNOWN)"),
                             stats: TagStats())),
            (8, .repositoryFinished(repository: "team/api", status: .failed)),
            (9, .retrying(operation: "PUT mirror.example.net/backup/team/web blob", attempt: 1, delay: 1.5, reason: "503 Service Unavailable")),
            (10, .layerCompressed(repository: "team/web", layer(64 << 20, compressedTo: 21 << 20))),
            (10, .layerCompressed(repository: "team/web", layer(8 << 20, compressedTo: nil))),
            (11, .repositoryStarted(repository: "infra/redis")),
            (11, .tagStarted(repository: "infra/redis", tag: "7")),
            (12, .tagProgress(repository: "infra/redis", tag: "7", bytesDone: 3 << 20, bytesTotal: 9 << 20, bytesSent: 3 << 20)),
            (40, .tagProgress(repository: "team/web", tag: "1.0", bytesDone: 36 << 20, bytesTotal: 48 << 20, bytesSent: 36 << 20)),
        ]
    }

    /// `midRun` and then the rest: the run completes with the one failure.
    static var finishedRun: [(Double, ReplicationEvent)] {
        var events = midRun
        events.append((50, .tagFinished(repository: "team/web", tag: "1.0", outcome: .copied(bytes: 48 << 20, digest: digest("m4")),
                                         stats: stats(bytes: 48 << 20, uploaded: 4))))
        var second = 51.0
        for (repository, tag) in [("infra/redis", "7"), ("team/web", "1.2"), ("team/web", "latest"), ("team/worker", "v1"),
                                  ("team/worker", "v2"), ("infra/postgres-with-a-rather-long-repository-name", "15"),
                                  ("infra/postgres-with-a-rather-long-repository-name", "16"), ("tools/builder", "stable"),
                                  ("tools/builder", "edge")] {
            events.append((second, .tagStarted(repository: repository, tag: tag)))
            events.append((second + 1, .tagProgress(repository: repository, tag: tag, bytesDone: 9 << 20, bytesTotal: 9 << 20, bytesSent: 9 << 20)))
            events.append((second + 1, .tagFinished(repository: repository, tag: tag, outcome: .copied(bytes: 9 << 20, digest: digest(tag)),
                                                    stats: stats(bytes: 9 << 20, uploaded: 2))))
            second += 2
        }
        for repository in ["team/web", "team/worker", "infra/postgres-with-a-rather-long-repository-name", "infra/redis", "tools/builder"] {
            events.append((second, .repositoryFinished(repository: repository, status: .completed)))
        }
        events.append((75, .runFinished(summary(of: events, status: .failed, seconds: 75))))
        return events
    }

    /// The summary the engine would end `events` with, counted from them (never typed by hand,
    /// so a frame's totals can be checked against the events).
    static func summary(of events: [(Double, ReplicationEvent)], status: RunSummary.Status, seconds: Double) -> RunSummary {
        var summary = RunSummary(runID: runID, status: status)
        var planned: [String: [String]] = [:]
        var outcomes: [String: [String: TagOutcome]] = [:]
        for (_, event) in events {
            switch event {
            case .planned(let repositories):
                for repository in repositories { planned[repository.name] = repository.tags }
            case .tagFinished(let repository, let tag, let outcome, let stats):
                outcomes[repository, default: [:]][tag] = outcome
                summary.bytesTransferred += stats.bytes
                summary.blobs.copied += stats.blobsUploaded
                summary.blobs.mounted += stats.blobsMounted
                summary.blobs.skipped += stats.blobsSkipped
            case .layerCompressed(_, let layer):
                if layer.result == .compressed, let compressed = layer.compressed {
                    summary.compression.layers += 1
                    summary.compression.originalBytes += layer.original.size
                    summary.compression.compressedBytes += compressed.size
                } else {
                    summary.compression.keptLayers += 1
                }
            default: break
            }
        }
        for (repository, tags) in planned {
            let finished = tags.compactMap { outcomes[repository]?[$0] }
            var failed = false
            for outcome in finished {
                switch outcome {
                case .copied: summary.tags.copied += 1
                case .skipped: summary.tags.skipped += 1
                case .failed: summary.tags.failed += 1; failed = true
                }
            }
            summary.tags.total += tags.count
            summary.repositories.total += 1
            if failed { summary.repositories.failed += 1 } else if finished.count == tags.count { summary.repositories.completed += 1 }
        }
        summary.durationSeconds = seconds
        (summary.session.tagsCopied, summary.session.bytesTransferred, summary.session.durationSeconds)
            = (summary.tags.copied, summary.bytesTransferred, seconds)
        return summary
    }

    static func state(_ events: [(Double, ReplicationEvent)], now: Double? = nil, mode: DashboardState.Mode = .live) -> DashboardState {
        var state = DashboardState(mode: mode, now: start)
        // The clock ticks with every event, as the dashboard samples its throughput each frame.
        for (seconds, event) in events {
            state.apply(event, at: at(seconds))
            state.tick(at: at(seconds))
        }
        state.tick(at: at(now ?? events.last?.0 ?? 0))
        return state
    }

    static var savedRuns: [SavedRun] {
        [
            SavedRun(runID: "20250615-150640-0a1b2c3d", state: .interrupted, source: "registry.example.com:5000/team",
                     destination: "mirror.example.net/backup/team", updatedAt: at(-300), done: 9, failed: 1, total: 14,
                     repositories: [.init(name: "team/web", done: 2, failed: 0, total: 4), .init(name: "team/api", done: 2, failed: 1, total: 3),
                                    .init(name: "team/worker", done: 2, failed: 0, total: 2)],
                     resumable: true),
            SavedRun(runID: "20250614-090000-ffee0011", state: .completed, source: "registry.example.com:5000/base",
                     destination: "mirror.example.net/base", updatedAt: at(-86_400), done: 40, failed: 0, total: 40,
                     repositories: [.init(name: "base/debian", done: 40, failed: 0, total: 40)]),
            SavedRun(runID: "20250613-010203-00000001", state: .damaged, problem: "checksum mismatch: the file was changed or cut short"),
        ]
    }
}
