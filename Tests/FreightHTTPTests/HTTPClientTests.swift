import Foundation
import FreightCore
import FreightHTTP
import FreightTestSupport
import Testing

/// The libcurl client against a real registry on loopback.
@Suite("HTTP client", .budget(minutes: 8))
struct HTTPClientTests {
    @Test("many requests reuse a few connections")
    func connectionReuse() async throws {
        let registry = try TestRegistry.start()
        let client = HTTPClient()
        for _ in 0..<100 {
            let response = try await client.execute(HTTPRequest(.get, "http://\(registry.host)/v2/"))
            #expect(response.status == 200)
            await response.body.discard()
        }
        #expect(client.requestCounts.snapshot["GET"] == 100)
        #expect(client.requestCounts.connections <= 2, "opened \(client.requestCounts.connections) connections for 100 requests")
    }

    @Test("a streamed upload and download of 64 MiB move through bounded buffers, byte for byte")
    func streaming() async throws {
        let registry = try TestRegistry.start()
        let client = HTTPClient()
        let start = try await client.execute(HTTPRequest(.post, "http://\(registry.host)/v2/stream/test/blobs/uploads/"))
        await start.body.discard()
        let location = try #require(start.headers["Location"])
        let size = 64 << 20
        let chunk = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let hasher = SHA256Hasher()
        for _ in 0..<(size / chunk.count) { hasher.update(chunk) }
        let digest = hasher.finalize()
        let channel = ByteChannel(capacity: 1 << 20)
        let producer = Task {
            for _ in 0..<(size / chunk.count) {
                try await channel.write(chunk)
                #expect(channel.buffered <= (1 << 20) + chunk.count)
            }
            channel.finish()
        }
        let url = location + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
        let put = try await client.execute(HTTPRequest(.put, url.hasPrefix("http") ? url : "http://\(registry.host)\(url)",
                                                       body: .stream(channel, length: Int64(size))))
        try await producer.value
        #expect(put.status == 201)
        await put.body.discard()

        let get = try await client.execute(HTTPRequest(.get, "http://\(registry.host)/v2/stream/test/blobs/\(digest)"))
        let check = SHA256Hasher()
        var received = 0
        for try await piece in get.body {
            check.update(piece)
            received += piece.count
        }
        #expect(received == size)
        #expect(check.finalize() == digest)
    }

    @Test("cancelling the task cancels the request; an unread response does not hold its connection")
    func cancellation() async throws {
        let registry = try TestRegistry.start()
        let client = HTTPClient()
        registry.pause()
        let request = Task { try await client.execute(HTTPRequest(.get, "http://\(registry.host)/v2/")) }
        while client.requestCounts.snapshot["GET"] == nil { await Task.yield() }
        request.cancel()
        await #expect(throws: CancellationError.self) { _ = try await request.value }
        registry.resume()

        // A large body dropped unread: the transfer is aborted, and the client goes on working.
        let blob = [UInt8](repeating: 1, count: 8 << 20)
        let digest = Digest.sha256(of: blob)
        let post = try await client.execute(HTTPRequest(.post, "http://\(registry.host)/v2/drop/test/blobs/uploads/"))
        await post.body.discard()
        let location = try #require(post.headers["Location"])
        let put = try await client.execute(HTTPRequest(.put, location + (location.contains("?") ? "&" : "?") + "digest=\(digest)",
                                                       body: .bytes(blob)))
        #expect(put.status == 201)
        await put.body.discard()
        for _ in 0..<5 {
            let response = try await client.execute(HTTPRequest(.get, "http://\(registry.host)/v2/drop/test/blobs/\(digest)"))
            #expect(response.status == 200)
            _ = try await response.body.next()
        }
        let after = try await client.execute(HTTPRequest(.get, "http://\(registry.host)/v2/"))
        #expect(after.status == 200)
    }

    @Test("an unreachable port is a transport error naming the URL, not a hang")
    func unreachable() async throws {
        let port = ServerProcess.freePort()
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await HTTPClient().execute(HTTPRequest(.get, "http://127.0.0.1:\(port)/v2/?token=secret"))
        }
        #expect(error?.description.contains("127.0.0.1:\(port)/v2/") == true)
        #expect(error?.description.contains("secret") == false, "queries (signed URLs, tokens) never reach messages")
        #expect(error?.isConnectFailure == true)
    }
}
