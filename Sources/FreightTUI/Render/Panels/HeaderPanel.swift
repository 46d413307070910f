import Foundation
import FreightCore

/// The top two rows: where from and where to with the run's state, then its numbers.
enum HeaderPanel {
    static func draw(_ canvas: inout Canvas, _ state: DashboardState, in rect: Rect) {
        let run = state.run
        let (word, role) = stateLabel(run)
        canvas.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .header)
        let right = " \(word) "
        let rightWidth = TextFit.width(right)
        canvas.text(right, x: rect.maxX - rightWidth, y: rect.y, role: role)
        var room = rect.width - rightWidth - 1
        // The last minute's throughput, left of the state, while the run moves.
        let sparkWidth = run.info == nil || run.isFinished || rect.width < 100 ? 0 : 20
        if sparkWidth > 0 {
            let line = sparkline(run.throughput.lastMinute(buckets: sparkWidth, now: state.now), glyphs: canvas.glyphs)
            canvas.text(line, x: rect.maxX - rightWidth - 1 - sparkWidth, y: rect.y, role: .header)
            room -= sparkWidth + 1
        }
        var title = " freightliner"
        if let info = run.info {
            // Both ends matter (registry and path), so each is cut in the middle to fit.
            let arrow = " \(canvas.glyphs.arrow) "
            let each = max(8, (room - TextFit.width(title) - 2 - TextFit.width(arrow)) / 2)
            let source = TextFit.location(info.source, each, ellipsis: canvas.glyphs.ellipsis)
            let destination = TextFit.location(info.destination, room - TextFit.width(title) - 2 - TextFit.width(arrow) - TextFit.width(source),
                                               ellipsis: canvas.glyphs.ellipsis)
            title += "  \(source)\(arrow)\(destination)"
        } else {
            if let planning = run.planning {
                if let repositories = planning.repositories {
                    title += "  planning: tags of \(planning.tagListsRead)/\(repositories) repositories read, \(plural(planning.tags, "tag"))"
                } else {
                    title += "  planning: listing the repositories"
                }
            } else {
                title += state.view.serving ? "  waiting for the first cycle" : "  waiting for the run to start"
            }
        }
        canvas.field(title, x: rect.x, y: rect.y, width: room, role: .header)

        // In order of importance: what does not fit is left out, the rest still shows. Values
        // that change every second are padded so the rest of the row stays put between frames.
        var segments: [(label: String, value: String, role: StyleRole)] = []
        func padded(_ value: String, _ width: Int) -> String { value + String(repeating: " ", count: max(0, width - TextFit.width(value))) }
        let elapsed = run.elapsed(at: state.now)
        segments.append(("elapsed", padded(elapsed.map { ByteFormat.duration($0) } ?? "--", 6), .text))
        if let summary = run.summary {
            let seconds = max(summary.session.durationSeconds, 0.001)
            segments.append(("avg", ByteFormat.rate(Double(summary.session.bytesTransferred) / seconds), .text))
            let tags = summary.tags
            segments.append(("tags", "\(tags.copied + tags.skipped)/\(tags.total)", .text))
            if tags.failed > 0 { segments.append(("failed", "\(tags.failed)", .failed)) }
            segments.append(("repos", "\(summary.repositories.completed)/\(summary.repositories.total)", .text))
            segments.append(("sent", sent(summary.bytesTransferred, session: summary.session.bytesTransferred), .text))
            segments.append(("blobs", "\(summary.blobs.copied) up \(summary.blobs.mounted) mounted \(summary.blobs.skipped) present", .text))
        } else {
            segments.append(("rate", padded(run.throughput.bytesPerSecond.map(ByteFormat.rate) ?? "--", 10), .text))
            // "≈" until the estimate rests on enough of the run to hold.
            let eta = run.estimatedRemaining(at: state.now).map { ($0.settled ? "" : "≈") + ByteFormat.duration($0.seconds) }
            segments.append(("ETA", padded(eta ?? "--", 7), .text))
            segments.append(("tags", "\(run.tagsDone)/\(run.tagsTotal)", .text))
            if run.tagsFailed > 0 { segments.append(("failed", "\(run.tagsFailed)", .failed)) }
            segments.append(("repos", "\(run.repositoriesDone)/\(run.repositories.count)", .text))
            segments.append(("sent", padded(sent(run.runBytes, session: run.transferredBytes), 8), .text))
            if run.tagsCopying > 0 { segments.append(("copying", "\(run.tagsCopying)", .running)) }
            segments.append(("blobs", "\(run.blobsUploaded) up \(run.blobsMounted) mounted \(run.blobsPresent) present", .text))
        }
        if let pulls = run.pullsLeft {
            // Where the source rations pulls (Docker Hub), what is left matters more than most.
            let value = pulls.limit.map { "\(pulls.remaining)/\($0)" } ?? "\(pulls.remaining)"
            segments.insert(("pulls left", value, pulls.isLow ? .warning : .text), at: min(2, segments.count))
        }
        // Once the run is over its checkpoint is final: how long ago it was saved says nothing.
        if let saved = run.lastCheckpoint, !run.isFinished { segments.append(("checkpoint", Formatting.ago(saved, now: state.now), .dim)) }
        if let next = state.view.nextCycle {
            // Between serve's cycles, the countdown is what the operator waits for.
            let left = max(0, next.timeIntervalSince(state.now))
            segments.insert(("next cycle in", ByteFormat.duration(left), .notice), at: 0)
        }

        var x = rect.x + 1
        let y = rect.y + 1
        for segment in segments {
            let width = TextFit.width(segment.label) + 1 + TextFit.width(segment.value)
            guard x + width <= rect.maxX else { continue }
            x += canvas.text(segment.label + " ", x: x, y: y, role: .dim)
            x += canvas.text(segment.value, x: x, y: y, role: segment.role)
            x += 2
        }
    }

    /// The run's bytes, as its repositories add up (a resumed run's earlier sessions included),
    /// and this session's share when earlier sessions sent some.
    static func sent(_ run: Int64, session: Int64) -> String {
        run == session ? ByteFormat.string(run) : "\(ByteFormat.string(run)) (\(ByteFormat.string(session)) now)"
    }

    /// One cell per value, scaled to the largest (so a steady run reads as a flat line and a
    /// stall as a gap); a value of nothing is a space.
    static func sparkline(_ values: [Double], glyphs: Glyphs) -> String {
        let top = values.max() ?? 0
        return String(String.UnicodeScalarView(values.map { value in
            guard top > 0, value > 0 else { return " " }
            let level = Int((value / top * Double(glyphs.sparks.count)).rounded(.up)) - 1
            return glyphs.sparks[min(glyphs.sparks.count - 1, max(0, level))]
        }))
    }

    static func stateLabel(_ run: RunProgress) -> (String, StyleRole) {
        let dry = run.info?.dryRun == true ? "DRY RUN " : ""
        switch run.phase {
        case .waiting: return ("STARTING", .header)
        case .running: return (dry + "RUNNING", .header)
        case .paused: return (dry + "PAUSED", .notice)
        case .stopping: return (dry + "STOPPING", .notice)
        case .finished(let summary):
            switch summary.status {
            case .completed: return (dry + "COMPLETED", .done)
            case .failed: return (dry + "FAILED", .failed)
            case .interrupted: return (dry + "INTERRUPTED", .warning)
            }
        }
    }
}
