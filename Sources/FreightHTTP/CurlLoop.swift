import CCurl
import Foundation
import FreightCore

/// The thread that drives every transfer through one libcurl multi handle.
///
/// One multi handle means one connection cache (keep-alive reuse across all requests), HTTP/2
/// multiplexing where offered, and no thread per transfer. Other threads talk to the loop only
/// by queueing operations and waking it with `curl_multi_wakeup`, the one thread-safe call.
final class CurlLoop: Sendable {
    private enum Operation: Sendable {
        case add(CurlTransfer)
        case resume(CurlTransfer)
        case cancel(CurlTransfer)
    }

    /// What other threads may touch: the operation queue, and the multi handle only through
    /// `curl_multi_wakeup`, which libcurl documents as callable from any thread.
    private final class Shared: @unchecked Sendable {
        let multi: UnsafeMutableRawPointer
        let queue = Locked<[Operation]>([])

        init(multi: UnsafeMutableRawPointer) { self.multi = multi }
    }

    private let shared: Shared

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    init(maxConnections: Int) {
        _ = Self.globalInit
        let multi = curl_multi_init()!
        fl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnections)
        fl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        shared = Shared(multi: multi)
        let thread = Thread { [shared] in
            LoopThread(shared: shared).run()
        }
        thread.name = "freightliner-curl"
        thread.start()
    }

    func add(_ transfer: CurlTransfer) {
        transfer.response.setSignal { [weak transfer, weak self] signal in
            guard let transfer, let self else { return }
            switch signal {
            case .resumePolling: self.enqueue(.resume(transfer))
            case .readerClosed: self.enqueue(.cancel(transfer))
            }
        }
        if case .stream(let channel, _) = transfer.request.body {
            channel.setSignal { [weak transfer, weak self] signal in
                guard let transfer, let self, signal == .resumePolling else { return }
                self.enqueue(.resume(transfer))
            }
        }
        enqueue(.add(transfer))
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelled.store(true, ordering: .sequentiallyConsistent)
        enqueue(.cancel(transfer))
    }

    private func enqueue(_ operation: Operation) {
        shared.queue.withLock { $0.append(operation) }
        curl_multi_wakeup(shared.multi)
    }

    /// The state only the loop thread touches.
    private final class LoopThread {
        let shared: Shared
        let multi: UnsafeMutableRawPointer
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

        init(shared: Shared) {
            self.shared = shared
            self.multi = shared.multi
        }

        func run() -> Never {
            var running: Int32 = 0
            while true {
                for operation in shared.queue.withLock({ queue in defer { queue = [] }; return queue }) {
                    apply(operation)
                }
                curl_multi_perform(multi, &running)
                collectFinished()
                curl_multi_poll(multi, nil, 0, active.isEmpty ? 60_000 : 1_000, nil)
            }
        }

        private func apply(_ operation: Operation) {
            switch operation {
            case .add(let transfer):
                if transfer.cancelled.load(ordering: .sequentiallyConsistent) {
                    transfer.complete(nil)
                    return
                }
                active[transfer.easy] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            case .resume(let transfer):
                // curl may call the data callbacks from inside curl_easy_pause.
                if active[transfer.easy] === transfer { curl_easy_pause(transfer.easy, CURLPAUSE_CONT) }
            case .cancel(let transfer):
                guard active[transfer.easy] === transfer else { return }
                finish(transfer, code: nil)
            }
        }

        private func collectFinished() {
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let transfer = active[easy] else { continue }
                finish(transfer, code: message.pointee.data.result)
            }
        }

        private func finish(_ transfer: CurlTransfer, code: CURLcode?) {
            curl_multi_remove_handle(multi, transfer.easy)
            active[transfer.easy] = nil
            transfer.complete(code)
        }
    }
}
