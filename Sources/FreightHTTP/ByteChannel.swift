import FreightCore

/// A bounded byte pipe between a Swift task and the libcurl thread (or between two tasks).
///
/// One side is async (a task reading a response or producing an upload) and suspends when it
/// must wait; the other may be polled by curl's callbacks, which never block: when they cannot
/// make progress they pause the transfer, and the channel wakes it through its signal once the
/// async side has made room or data. Memory is bounded by `capacity` plus one parked chunk.
///
/// One reader and one writer per channel.
public final class ByteChannel: Sendable {
    /// What the channel tells the curl side.
    enum Signal: Sendable { case resumePolling, readerClosed }
    enum OfferResult { case accepted, full, closed }
    enum PollResult { case bytes(Int), empty, end, failed }

    public let capacity: Int
    private let state: Locked<State>

    private struct State: Sendable {
        var chunks: [[UInt8]] = []
        var head = 0
        var offset = 0
        var buffered = 0
        var finished = false
        var failure: (any Error)?
        var readerClosed = false
        var pollerPaused = false
        var reader: CheckedContinuation<[UInt8]?, any Error>?
        /// A writer that found the channel full waits here with its chunk.
        var writer: CheckedContinuation<Void, any Error>?
        var parkedChunk: [UInt8]?
        var signal: (@Sendable (Signal) -> Void)?

        var isEmpty: Bool { head == chunks.count }

        mutating func append(_ chunk: [UInt8]) {
            chunks.append(chunk)
            buffered += chunk.count
        }

        mutating func take() -> [UInt8] {
            var chunk = chunks[head]
            if offset > 0 { chunk.removeFirst(offset) }
            chunks[head] = []
            head += 1
            offset = 0
            buffered -= chunk.count
            compact()
            return chunk
        }

        mutating func compact() {
            if head > 64 || head == chunks.count {
                chunks.removeFirst(head)
                head = 0
            }
        }

        /// Moves a parked chunk in once there is room; returns the writer to resume.
        mutating func admitParkedWriter(capacity: Int) -> CheckedContinuation<Void, any Error>? {
            guard buffered < capacity, let chunk = parkedChunk, let writer else { return nil }
            append(chunk)
            parkedChunk = nil
            self.writer = nil
            return writer
        }

        /// The signal to send when the polled side is paused and may now go on.
        mutating func wakePoller() -> (@Sendable (Signal) -> Void)? {
            guard pollerPaused else { return nil }
            pollerPaused = false
            return signal
        }
    }

    public init(capacity: Int = 1 << 20) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.state = Locked(State())
    }

    /// Bytes waiting to be read.
    public var buffered: Int { state.withLock { $0.buffered } }

    func setSignal(_ signal: (@Sendable (Signal) -> Void)?) {
        state.withLock { $0.signal = signal }
    }

    // MARK: Async writer

    /// Appends a chunk, suspending while the channel is full. Throws when the reader has gone
    /// or the channel failed.
    public func write(_ chunk: [UInt8]) async throws {
        guard !chunk.isEmpty else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                var result: Result<Void, any Error>?
                var readerToResume: (CheckedContinuation<[UInt8]?, any Error>, [UInt8])?
                var wake: (@Sendable (Signal) -> Void)?
                state.withLock { state in
                    if let failure = state.failure { result = .failure(failure); return }
                    if state.readerClosed { result = .failure(ByteChannelClosed()); return }
                    precondition(!state.finished, "ByteChannel written after finish()")
                    precondition(state.writer == nil, "ByteChannel has one writer")
                    if state.buffered >= capacity {
                        state.writer = continuation
                        state.parkedChunk = chunk
                        return
                    }
                    state.append(chunk)
                    if let reader = state.reader {
                        state.reader = nil
                        readerToResume = (reader, state.take())
                    }
                    wake = state.wakePoller()
                    result = .success(())
                }
                if let (reader, chunk) = readerToResume { reader.resume(returning: chunk) }
                wake?(.resumePolling)
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            fail(CancellationError())
        }
    }

    /// Marks the end of the stream: the reader sees nil once it has read everything.
    public func finish() {
        let (reader, wake) = state.withLock { state in
            state.finished = true
            var reader: CheckedContinuation<[UInt8]?, any Error>?
            if state.isEmpty {
                reader = state.reader
                state.reader = nil
            }
            return (reader, state.wakePoller())
        }
        reader?.resume(returning: nil)
        wake?(.resumePolling)
    }

    /// Ends the stream with an error that both sides will see.
    public func fail(_ error: any Error) {
        let (reader, writer, wake) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            let reader = state.reader, writer = state.writer
            state.reader = nil
            state.writer = nil
            state.parkedChunk = nil
            return (reader, writer, state.wakePoller())
        }
        reader?.resume(throwing: error)
        writer?.resume(throwing: error)
        wake?(.resumePolling)
    }

    // MARK: Async reader

    /// The next chunk, or nil at the end of the stream.
    public func read() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                var result: Result<[UInt8]?, any Error>?
                var writer: CheckedContinuation<Void, any Error>?
                var wake: (@Sendable (Signal) -> Void)?
                state.withLock { state in
                    if !state.isEmpty {
                        result = .success(state.take())
                        writer = state.admitParkedWriter(capacity: capacity)
                        if state.buffered <= capacity / 2 { wake = state.wakePoller() }
                    } else if let failure = state.failure {
                        result = .failure(failure)
                    } else if state.finished || state.readerClosed {
                        result = .success(nil)
                    } else {
                        precondition(state.reader == nil, "ByteChannel has one reader")
                        state.reader = continuation
                    }
                }
                writer?.resume()
                wake?(.resumePolling)
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            fail(CancellationError())
        }
    }

    /// The reader has gone: writers fail from now on and the transfer feeding this channel is
    /// aborted.
    public func closeReader() {
        let (writer, signal) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, (@Sendable (Signal) -> Void)?) in
            guard !state.readerClosed else { return (nil, nil) }
            state.readerClosed = true
            state.chunks = []
            state.head = 0
            state.offset = 0
            state.buffered = 0
            state.parkedChunk = nil
            let writer = state.writer
            state.writer = nil
            return (writer, state.signal)
        }
        writer?.resume(throwing: ByteChannelClosed())
        signal?(.readerClosed)
    }

    // MARK: Polled side (curl callbacks: never block)

    /// Offers bytes from curl's write callback. `.full` means: pause; a signal will follow.
    func offer(_ bytes: UnsafeRawBufferPointer) -> OfferResult {
        var readerToResume: (CheckedContinuation<[UInt8]?, any Error>, [UInt8])?
        let result = state.withLock { state -> OfferResult in
            if state.readerClosed || state.failure != nil { return .closed }
            if state.buffered >= capacity {
                state.pollerPaused = true
                return .full
            }
            state.append(Array(bytes))
            if let reader = state.reader {
                state.reader = nil
                readerToResume = (reader, state.take())
            }
            return .accepted
        }
        if let (reader, chunk) = readerToResume { reader.resume(returning: chunk) }
        return result
    }

    /// Fills `buffer` for curl's read callback. `.empty` means: pause; a signal will follow.
    func poll(into buffer: UnsafeMutableRawBufferPointer) -> PollResult {
        var writer: CheckedContinuation<Void, any Error>?
        let result = state.withLock { state -> PollResult in
            if state.failure != nil { return .failed }
            var written = 0
            while written < buffer.count, !state.isEmpty {
                let count = state.chunks[state.head].withUnsafeBytes { source in
                    let count = min(buffer.count - written, source.count - state.offset)
                    buffer.baseAddress!.advanced(by: written)
                        .copyMemory(from: source.baseAddress!.advanced(by: state.offset), byteCount: count)
                    return count
                }
                written += count
                state.offset += count
                state.buffered -= count
                if state.offset == state.chunks[state.head].count {
                    state.chunks[state.head] = []
                    state.head += 1
                    state.offset = 0
                }
            }
            state.compact()
            writer = state.admitParkedWriter(capacity: capacity)
            if written > 0 { return .bytes(written) }
            if state.finished { return .end }
            state.pollerPaused = true
            return .empty
        }
        writer?.resume()
        return result
    }
}

/// The reading end of a channel has gone away.
public struct ByteChannelClosed: Error, CustomStringConvertible {
    public var description: String { "the stream was closed by its reader" }
}
