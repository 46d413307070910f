/// The status line and headers of a response; the body arrives separately, as a stream.
public struct HTTPResponseHead: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    /// The URL that answered (requests never follow redirects on their own).
    public let url: String
}

/// A response whose body streams in chunks as it arrives.
///
/// The body must be read to the end, collected, or discarded; dropping an unread response
/// aborts its transfer, so an abandoned response never holds a connection.
public final class HTTPResponse: Sendable {
    public let head: HTTPResponseHead
    public let body: ResponseBody

    init(head: HTTPResponseHead, body: ResponseBody) {
        self.head = head
        self.body = body
    }

    public var status: Int { head.status }
    public var headers: HTTPHeaders { head.headers }
}

/// The body of a response, as an async sequence of byte chunks.
public final class ResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let channel: ByteChannel

    init(channel: ByteChannel) { self.channel = channel }

    deinit { channel.closeReader() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: ResponseBody
        public mutating func next() async throws -> [UInt8]? { try await body.channel.read() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }

    /// The next chunk, or nil at the end of the body.
    public func next() async throws -> [UInt8]? { try await channel.read() }

    /// Aborts the transfer if it is still running.
    public func close() { channel.closeReader() }

    /// Reads the whole body; throws `HTTPBodyTooLarge` beyond `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            guard bytes.count + chunk.count <= limit else {
                channel.closeReader()
                throw HTTPBodyTooLarge(limit: limit)
            }
            bytes += chunk
        }
        return bytes
    }

    /// Reads and drops the body so the connection can be reused; bodies larger than a few
    /// kilobytes are aborted instead (cheaper than reading them).
    public func discard() async {
        var seen = 0
        do {
            for try await chunk in self {
                seen += chunk.count
                if seen > 64 * 1024 { break }
            }
        } catch {}
        channel.closeReader()
    }
}

/// A response body longer than the caller accepts.
public struct HTTPBodyTooLarge: Error, CustomStringConvertible {
    public let limit: Int
    public var description: String { "the response body is larger than \(limit) bytes" }
}
