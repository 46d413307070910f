import FreightCore

/// A replication under way, as `Replicator.start` hands it back: its events, its steering and
/// its outcome. Every event of the run comes from the engine, steering's included: pausing
/// emits `.paused`, continuing `.continued`, the first stop `.stopping`. Safe to call from any
/// thread (signal handlers, the dashboard's key handler); every method returns at once.
public final class RunningReplication: Sendable {
    private let replicator: Replicator
    private let task: Task<RunSummary, Never>

    init(replicator: Replicator, summary: Task<RunSummary, Never>) {
        self.replicator = replicator
        task = summary
    }

    /// The run's events; the stream ends once the run has ended and closed its checkpoint.
    public var events: AsyncStream<ReplicationEvent> { replicator.events.stream }

    /// Stops starting new tags; transfers in flight go on.
    public func pause() {
        if replicator.control.pause() { replicator.events.emit(.paused) }
    }

    /// Undoes `pause`.
    public func proceed() {
        if replicator.control.proceed() { replicator.events.emit(.continued) }
    }

    /// Stops scheduling: what is in flight finishes and the checkpoint is saved (announced
    /// once: a run already stopping stays as it is).
    public func stop(reason: String) { replicator.stop(reason: reason) }

    /// Cancels transfers in flight too: uploads are aborted (nothing partial becomes visible)
    /// and their tags stay pending for a resume.
    public func abandon() { replicator.abandon() }

    /// An interrupt (a signal, `q`): the first stops, with `reason` (which should say that a
    /// second abandons); a second abandons.
    public func interrupt(reason: String) {
        if !replicator.stop(reason: reason) { abandon() }
    }

    /// Waits until the run has ended, saved its checkpoint and finished its event stream. A
    /// task cancelled while it waits here abandons the run (as a second interrupt does), so a
    /// run started inside structured work ends with it.
    public var summary: RunSummary {
        get async {
            let replicator = self.replicator, task = self.task
            return await withTaskCancellationHandler { await task.value } onCancel: { replicator.abandon() }
        }
    }
}
