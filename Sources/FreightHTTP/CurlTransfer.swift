import Foundation
import CCurl
import Synchronization

/// One request on the curl thread: its easy handle, the C callbacks and the two body channels.
///
/// Thread confinement: after `CurlLoop.add`, every field except `cancelled` and the channels is
/// touched only on the loop thread; before it, only by the task that creates the transfer.
final class CurlTransfer: @unchecked Sendable {
    static let maxHeaderBytes = 256 * 1024

    let request: HTTPRequest
    let easy: UnsafeMutableRawPointer
    let response = ByteChannel(capacity: 1 << 20)
    let cancelled = Atomic<Bool>(false)
    private let counts: RequestCounts
    var headContinuation: CheckedContinuation<HTTPResponseHead, any Error>?

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var status = 0
    private var headers = HTTPHeaders()
    private var headerBytes = 0
    private var headersTooLarge = false
    private var bodyOffset = 0
    private var finished = false

    init(request: HTTPRequest, configuration: HTTPClient.Configuration, counts: RequestCounts) throws {
        guard let easy = curl_easy_init() else {
            throw HTTPTransportError(message: "libcurl could not create a handle", url: request.url)
        }
        self.easy = easy
        self.request = request
        self.counts = counts
        errorBuffer = .allocate(capacity: Int(fl_curl_error_size()))
        errorBuffer.initialize(to: 0)
        configure(configuration)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func configure(_ configuration: HTTPClient.Configuration) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        fl_easy_setopt_string(easy, CURLOPT_URL, request.url)
        fl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        fl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        fl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        fl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        fl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        fl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        fl_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent)
        fl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeoutMilliseconds)
        fl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, configuration.lowSpeedLimit)
        fl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, configuration.lowSpeedTimeSeconds)
        fl_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, 256 * 1024)
        fl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, request.verifyTLS ? 1 : 0)
        fl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, request.verifyTLS ? 2 : 0)
        (request.tls?.over(configuration.tls) ?? configuration.tls).apply(to: easy)
        fl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        fl_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        fl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        fl_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        fl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)

        var headerLines = request.headers.map { "\($0.name): \($0.value)" }
        // A registry answers or refuses at once; waiting for 100-continue only costs a round trip.
        headerLines.append("Expect:")
        switch request.method {
        case .head:
            fl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        case .get:
            fl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case .delete:
            fl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE")
        case .put, .post, .patch:
            // Upload mode for every body-carrying method: curl then reads the body through our
            // callback, with a Content-Length when the size is known and chunked encoding if not.
            fl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1)
            fl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            fl_easy_setopt_long(easy, CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024)
            fl_easy_setopt_callback(easy, CURLOPT_READFUNCTION, curlReadCallback)
            fl_easy_setopt_pointer(easy, CURLOPT_READDATA, me)
            fl_easy_setopt_seek(easy, curlSeekCallback)
            fl_easy_setopt_pointer(easy, CURLOPT_SEEKDATA, me)
            switch request.body {
            case nil:
                fl_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, 0)
            case .bytes(let bytes):
                fl_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count))
            case .stream(_, let length?):
                fl_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(length))
            case .stream(_, nil):
                fl_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, -1)
                headerLines.append("Transfer-Encoding: chunked")
            }
        }
        for line in headerLines { headerList = curl_slist_append(headerList, line) }
        fl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
    }

    // MARK: Callbacks (loop thread)

    func receiveHeader(_ line: UnsafeRawBufferPointer) -> Int {
        headerBytes += line.count
        if headerBytes > Self.maxHeaderBytes {
            headersTooLarge = true
            return 0
        }
        // Header lines are ASCII by the protocol, so they are parsed as bytes: Foundation's
        // trimmingCharacters (through NSString) cost ~15 % of the CPU of a no-op sync.
        let text = Self.trimmed(line[...])
        if text.starts(with: "HTTP/".utf8) {
            // A new status line: an interim (1xx) or proxy CONNECT response came before; only the
            // last response's headers count.
            let afterVersion = text.drop { $0 != UInt8(ascii: " ") }.drop { $0 == UInt8(ascii: " ") }
            let code = afterVersion.prefix { $0 != UInt8(ascii: " ") }
            status = Int(String(decoding: code, as: UTF8.self)) ?? 0
            headers = HTTPHeaders()
        } else if let colon = text.firstIndex(of: UInt8(ascii: ":")) {
            let name = Self.trimmed(text[..<colon])
            let value = Self.trimmed(text[(colon + 1)...])
            headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        return line.count
    }

    /// `bytes` without ASCII whitespace (space, tab, CR, LF, VT, FF) at either end.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        deliverHead()
        switch response.offer(bytes) {
        case .accepted: return bytes.count
        case .full: return Int(fl_curl_writefunc_pause())
        case .closed: return 0
        }
    }

    func sendBody(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch request.body {
        case nil:
            return 0
        case .bytes(let bytes):
            let count = min(buffer.count, bytes.count - bodyOffset)
            if count > 0 {
                bytes.withUnsafeBytes { source in
                    buffer.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: bodyOffset), byteCount: count)
                }
            }
            bodyOffset += count
            return count
        case .stream(let channel, _):
            switch channel.poll(into: buffer) {
            case .bytes(let count): return count
            case .empty: return Int(fl_curl_readfunc_pause())
            case .end: return 0
            case .failed: return Int(fl_curl_readfunc_abort())
            }
        }
    }

    /// curl rewinds a body to resend it on a fresh connection when a reused one was dropped;
    /// only in-memory bodies can do that.
    func seek(to offset: Int64, origin: Int32) -> Int32 {
        guard case .bytes(let bytes) = request.body, origin == SEEK_SET, offset >= 0, offset <= bytes.count else {
            return fl_curl_seekfunc_cantseek()
        }
        bodyOffset = Int(offset)
        return fl_curl_seekfunc_ok()
    }

    private func deliverHead() {
        guard let continuation = headContinuation else { return }
        headContinuation = nil
        var effective: UnsafeMutablePointer<CChar>?
        fl_easy_getinfo_string(easy, CURLINFO_EFFECTIVE_URL, &effective)
        let url = effective.map { String(cString: $0) } ?? request.url
        continuation.resume(returning: HTTPResponseHead(status: status, headers: headers, url: url))
    }

    /// Ends the transfer: called once, on the loop thread, after removal from the multi handle.
    func complete(_ code: CURLcode?) {
        guard !finished else { return }
        finished = true
        var connects = 0
        fl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        counts.connectionsOpened(connects)
        let error: (any Error)?
        switch code {
        case nil:
            error = CancellationError()
        case CURLE_OK?:
            error = status == 0 ? HTTPTransportError(message: "the server sent no HTTP response", url: request.url) : nil
        case let code?:
            if headersTooLarge {
                error = HTTPTransportError(code: code, message: "the response headers exceed \(Self.maxHeaderBytes) bytes", url: request.url)
            } else if code == CURLE_OUT_OF_MEMORY, headContinuation != nil {
                // libcurl 7.x refuses one header line over its 100 KiB limit as "out of memory",
                // which sends a reader looking for the wrong problem.
                error = HTTPTransportError(code: code, message: "a response header line is larger than the 100 KiB libcurl accepts",
                                           url: request.url)
            } else {
                let detail = String(cString: errorBuffer)
                let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
                error = HTTPTransportError(code: code, message: message, url: request.url)
            }
        }
        if let error {
            if let continuation = headContinuation {
                headContinuation = nil
                continuation.resume(throwing: error)
            }
            response.fail(error)
        } else {
            deliverHead()
            response.finish()
        }
        if case .stream(let channel, _) = request.body { channel.closeReader() }
        response.setSignal(nil)
    }
}

// C entry points: `userdata` is the unretained CurlTransfer, kept alive by CurlLoop while active.

private func transfer(_ userdata: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
}

private let curlWriteCallback: fl_curl_data_cb = { buffer, size, count, userdata in
    let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
    return transfer(userdata).receiveBody(bytes)
}

private let curlHeaderCallback: fl_curl_data_cb = { buffer, size, count, userdata in
    transfer(userdata).receiveHeader(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

private let curlReadCallback: fl_curl_data_cb = { buffer, size, count, userdata in
    transfer(userdata).sendBody(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

private let curlSeekCallback: fl_curl_seek_cb = { userdata, offset, origin in
    transfer(userdata).seek(to: Int64(offset), origin: origin)
}
