import CZlib

/// Streaming gzip (RFC 1952) over zlib. Deterministic: the header carries no file name and a
/// zero timestamp, so the same input at the same level always gives the same bytes — and so
/// the same digest, which is what makes a recompressing re-run skip instead of upload.
///
/// One encoder belongs to one task; memory is zlib's fixed state plus one output chunk.
final class GzipEncoder {
    private var stream = z_stream()
    private var finished = false

    init(level: Int) throws {
        guard fl_deflate_init_gzip(&stream, Int32(level)) == Z_OK else {
            throw CompressionError(reason: "zlib could not start a gzip stream at level \(level)")
        }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input`; returns whatever output zlib produced so far (possibly nothing).
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        try run(input, flush: Z_NO_FLUSH)
    }

    /// Ends the stream and returns the last output (and the gzip trailer).
    func finish() throws -> [UInt8] {
        precondition(!finished, "GzipEncoder finished twice")
        finished = true
        return try run([], flush: Z_FINISH)
    }

    private func run(_ input: [UInt8], flush: Int32) throws -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(64 * 1024, input.count / 2))
        var input = input
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = buffer.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let status = deflate(&stream, flush)
                    return (status, target.count - Int(stream.avail_out))
                }
                output += buffer.prefix(produced)
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    // Done with this input once zlib has it all and has not filled the buffer.
                    if flush == Z_NO_FLUSH, stream.avail_in == 0, stream.avail_out > 0 { return }
                default:
                    throw CompressionError(reason: "zlib failed while compressing (status \(status))")
                }
            }
        }
        stream.next_in = nil
        return output
    }
}

/// The compression stage failed.
public struct CompressionError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "compression: \(reason)" }
}
