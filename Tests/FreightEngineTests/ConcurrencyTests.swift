@testable import FreightEngine
import FreightCore
import FreightHTTP
import FreightTestSupport
import Testing

@Suite("Scheduling primitives and gzip", .budget(minutes: 7))
struct ConcurrencyTests {
    @Test("the semaphore serves waiters first come, first served, and never exceeds its permits")
    func semaphoreOrder() async throws {
        let semaphore = AsyncSemaphore(permits: 2)
        let running = Locked((now: 0, peak: 0, order: [Int]()))
        try await semaphore.acquire()
        try await semaphore.acquire()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await semaphore.withPermit {
                        running.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now); $0.order.append(index) }
                        await Task.yield()
                        running.withLock { $0.now -= 1 }
                    }
                }
                // Let each task queue up before the next, so arrival order is known.
                while semaphore.waiting < index + 1 { await Task.yield() }
            }
            semaphore.release()
            semaphore.release()
            try await group.waitForAll()
        }
        #expect(running.value.peak <= 2)
        #expect(running.value.order == Array(0..<20))
    }

    @Test("a cancelled waiter leaves the queue and throws")
    func semaphoreCancellation() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let waiter = Task { try await semaphore.acquire() }
        while semaphore.waiting < 1 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        semaphore.release()
        try await semaphore.acquire()  // the permit went back, not to the cancelled waiter
    }
}

@Suite("Byte channel", .budget(minutes: 7))
struct ByteChannelTests {
    @Test("a fast writer waits for a slow reader: memory stays within capacity plus one chunk")
    func backpressure() async throws {
        let channel = ByteChannel(capacity: 64 * 1024)
        let chunk = [UInt8](repeating: 7, count: 16 * 1024)
        let writer = Task {
            for _ in 0..<200 { try await channel.write(chunk) }
            channel.finish()
        }
        var total = 0
        while let received = try await channel.read() {
            total += received.count
            #expect(channel.buffered <= 64 * 1024 + chunk.count)
        }
        try await writer.value
        #expect(total == 200 * chunk.count)
    }

    @Test("a reader that goes away fails the writer; a failure reaches the reader")
    func closing() async throws {
        let channel = ByteChannel(capacity: 1024)
        channel.closeReader()
        await #expect(throws: ByteChannelClosed.self) { try await channel.write([1, 2, 3]) }
        let failing = ByteChannel(capacity: 1024)
        try await failing.write([1])
        failing.fail(CancellationError())
        #expect(try await failing.read() == [1], "what was written before the failure is still delivered")
        await #expect(throws: CancellationError.self) { _ = try await failing.read() }
    }
}
