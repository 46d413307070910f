import CCurses
import Foundation

/// One thread that runs every curses call, in order: curses is not thread-safe, and the
/// engine's tasks and the key loop must never call it from elsewhere.
final class OwnerThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false

    /// `name` is the OS thread name (at most 15 bytes), so `top -H` and /proc show it.
    init(name: String) {
        let thread = Thread { [self] in
            fl_name_this_thread(name)
            self.main()
        }
        thread.start()
    }

    /// Runs `body` on the owner thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            enqueue { continuation.resume(returning: body()) }
        }
    }

    /// Ends the thread once the jobs already queued have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func enqueue(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func main() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
