import FreightCore

/// Carries engine events to one consumer (a UI) without ever making the engine wait: the
/// stream buffers, and progress events are thinned out at the source.
public final class EventBus: Sendable {
    public let stream: AsyncStream<ReplicationEvent>
    private let continuation: AsyncStream<ReplicationEvent>.Continuation
    private let observers = Locked<[@Sendable (ReplicationEvent) -> Void]>([])

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: ReplicationEvent.self, bufferingPolicy: .unbounded)
    }

    public func emit(_ event: ReplicationEvent) {
        continuation.yield(event)
        for observer in observers.withLock({ $0 }) { observer(event) }
    }

    /// Calls `observer` synchronously for every event from now on (the engine's own bookkeeping,
    /// tests); it must be quick and must not block.
    public func observe(_ observer: @escaping @Sendable (ReplicationEvent) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Ends the stream after the events already emitted.
    public func finish() { continuation.finish() }
}
