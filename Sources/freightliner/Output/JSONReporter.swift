import Foundation
import FreightCore
import FreightEngine

/// One JSON object per line on stdout, each with an `"event"` field and its `"time"` (RFC 3339,
/// UTC, milliseconds); the last line of a run is the `summary` defined by the command-line contract.
struct JSONReporter {
    func consume(_ events: AsyncStream<ReplicationEvent>) async {
        for await event in events {
            guard var object = Self.object(for: event) else { continue }
            object["time"] = Timestamp.string(milliseconds: true)
            Self.write(object)
        }
    }

    static func write(_ object: [String: Any]) {
        if let line = JSONLine.encode(object) {
            Console.out(line + "\n")
            return
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        try? FileHandle.standardOutput.write(contentsOf: data + Data("\n".utf8))
    }

    static func object(for event: ReplicationEvent) -> [String: Any]? {
        switch event {
        case .runStarted(let info):
            var object: [String: Any] = ["event": "run_started", "run_id": info.runID, "source": info.source,
                                         "destination": info.destination, "resumed": info.resumed, "dry_run": info.dryRun,
                                         "started_at": ISO8601DateFormatter().string(from: info.startedAt)]
            object["checkpoint"] = info.checkpointPath
            return object
        case .planned(let repositories):
            return ["event": "planned", "repositories": repositories.map {
                ["name": $0.name, "tags": $0.tags.count, "done": $0.alreadyDone.count] as [String: Any]
            }]
        case .repositoryStarted(let repository):
            return ["event": "repository_started", "repository": repository]
        case .repositoryFinished(let repository, let status):
            return ["event": "repository_finished", "repository": repository, "status": status.rawValue]
        case .tagStarted(let repository, let tag):
            return ["event": "tag_started", "repository": repository, "tag": tag]
        case .tagProgress(let repository, let tag, let done, let total, let sent):
            return ["event": "tag_progress", "repository": repository, "tag": tag, "bytes_done": done, "bytes_total": total,
                    "bytes_sent": sent]
        case .tagFinished(let repository, let tag, let outcome, let stats):
            var object: [String: Any] = ["event": "tag_finished", "repository": repository, "tag": tag,
                                         "bytes": stats.bytes, "blobs_uploaded": stats.blobsUploaded,
                                         "blobs_mounted": stats.blobsMounted, "blobs_skipped": stats.blobsSkipped]
            switch outcome {
            case .copied(_, let digest):
                object["status"] = "copied"
                object["digest"] = digest.description
            case .skipped(let digest):
                object["status"] = "skipped"
                object["digest"] = digest.description
            case .failed(let reason):
                object["status"] = "failed"
                object["error"] = reason
            }
            return object
        case .blobFinished(let repository, let digest, let size, let transfer):
            return ["event": "blob_finished", "repository": repository, "digest": digest.description, "size": size,
                    "transfer": transfer.rawValue]
        case .layerCompressed(let repository, let layer):
            var object: [String: Any] = ["event": "layer_compressed", "repository": repository,
                                         "original_digest": layer.original.digest.description,
                                         "original_size": layer.original.size, "seconds": layer.seconds]
            switch layer.result {
            case .compressed: object["result"] = "compressed"
            case .keptBelowMinimumSize: object["result"] = "kept_below_min_size"
            case .keptAboveMaximumSize: object["result"] = "kept_above_max_size"
            case .keptSavedTooLittle(let percent):
                object["result"] = "kept_saved_too_little"
                object["savings_percent"] = percent
            }
            if let compressed = layer.compressed {
                object["compressed_digest"] = compressed.digest.description
                object["compressed_size"] = compressed.size
            }
            return object
        case .retrying(let operation, let attempt, let delay, let reason):
            return ["event": "retrying", "operation": operation, "attempt": attempt, "delay_seconds": delay, "reason": reason]
        case .checkpointSaved(let path, let at):
            return ["event": "checkpoint_saved", "path": path, "at": ISO8601DateFormatter().string(from: at)]
        case .secretStatus(let status):
            var object: [String: Any] = ["event": "secret_status", "provider": status.provider, "reference": status.reference,
                                         "state": status.state.rawValue, "at": ISO8601DateFormatter().string(from: status.at)]
            object["detail"] = status.detail
            return object
        case .planning(let progress):
            return ["event": "planning", "repositories_listed": progress.repositoriesListed,
                    "repositories": progress.repositories.map { $0 as Any } ?? NSNull(), "tag_lists_read": progress.tagListsRead,
                    "tags": progress.tags, "seconds": (progress.seconds * 1000).rounded() / 1000, "done": progress.done]
        case .paused:
            return ["event": "paused"]
        case .continued:
            return ["event": "continued"]
        case .stopping(let reason):
            return ["event": "stopping", "reason": reason]
        case .warning(let message):
            return ["event": "warning", "message": message]
        case .pullAllowance(let registry, let remaining, let limit):
            var object: [String: Any] = ["event": "pull_allowance", "registry": registry, "remaining": remaining]
            object["limit"] = limit
            return object
        case .tagPruned(let repository, let tag, let dryRun):
            return ["event": "tag_pruned", "repository": repository, "tag": tag, "dry_run": dryRun]
        case .runFinished(let summary):
            guard let data = try? JSONEncoder().encode(summary),
                  var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            object["event"] = "summary"
            return object
        }
    }
}
