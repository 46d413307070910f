import CZlib
import Foundation

/// Streaming gzip (RFC 1952) that compresses one stream on several cores, pigz's way: the input
/// is cut into fixed 128 KiB blocks, each compressed on its own as raw deflate primed with the
/// 32 KiB of input before it (so matches still reach back a whole window), ended with a sync
/// flush (byte-aligned, not final) except the last, which finishes the stream. The blocks join
/// into one deflate stream inside one gzip member, with the CRC-32 of the whole input combined
/// from the blocks' and the length mod 2^32.
///
/// Deterministic: every block is a pure function of its bytes, the 32 KiB before them and the
/// level, so the output depends on neither the thread count nor how the input arrives in chunks;
/// the header carries no file name and a zero timestamp, as zlib's own gzip wrapper writes it. The
/// same input at the same level always gives the same bytes — and so the same digest, which is
/// what makes a recompressing re-run skip instead of upload.
///
/// Memory is bounded: at most `threads` blocks compress at once and as many more wait their turn
/// (so a core that finishes one starts the next without waiting for this encoder's caller), plus
/// the one filling; output is returned as soon as the oldest block is done, so it streams while
/// input arrives. One encoder belongs to one task.
final class ParallelGzipEncoder {
    /// 128 KiB, as pigz: on a tar of /usr/include at level 6 the sync flushes and split Huffman
    /// blocks cost 0.014 % against one stream (1 MiB blocks: 0.011 %), and a layer of a few
    /// hundred KiB already spreads over several cores. Part of the output format: changing it
    /// changes every digest.
    static let blockSize = 128 * 1024
    /// Deflate's window: all a block's matches can use of what came before it.
    static let dictionarySize = 32 * 1024

    /// Blocks compressing at most at once: the cores this encoder may use.
    let threads: Int
    private let level: Int32
    /// `threads` permits: what keeps the blocks in flight from using more cores.
    private let running: AsyncSemaphore
    private var filling: [UInt8] = []
    /// The last `dictionarySize` bytes of input before `filling`.
    private var dictionary: [UInt8] = []
    private var inFlight: [Task<CompressedBlock, any Error>] = []
    private var crc = crc32(0, nil, 0)
    private var length: UInt64 = 0
    private var headerWritten = false
    private var finished = false

    /// `threads` nil: every core the process may use.
    init(level: Int, threads: Int? = nil) throws {
        guard (1...9).contains(level) else { throw CompressionError(reason: "gzip level must be 1-9, got \(level)") }
        self.level = Int32(level)
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        running = AsyncSemaphore(permits: self.threads)
        filling.reserveCapacity(Self.blockSize)
    }

    deinit {
        // Dropped part-way (an error upstream): the blocks waiting give up, those running finish
        // and are discarded.
        for task in inFlight { task.cancel() }
    }

    /// Takes `input`; returns the output of whatever blocks are done so far (possibly nothing).
    func compress(_ input: [UInt8]) async throws -> [UInt8] {
        precondition(!finished, "ParallelGzipEncoder used after finish")
        var output: [UInt8] = []
        var start = 0
        while start < input.count {
            let take = min(Self.blockSize - filling.count, input.count - start)
            filling.append(contentsOf: input[start..<start + take])
            start += take
            if filling.count == Self.blockSize {
                output += try await submit(last: false)
            }
        }
        return output
    }

    /// Ends the stream: the last block (possibly empty), every block still running, the trailer.
    func finish() async throws -> [UInt8] {
        precondition(!finished, "ParallelGzipEncoder finished twice")
        finished = true
        var output = try await submit(last: true)
        while !inFlight.isEmpty { output += try await collectOldest() }
        var trailer = [UInt8](repeating: 0, count: 8)
        for index in 0..<4 {
            trailer[index] = UInt8(truncatingIfNeeded: UInt64(crc) >> (8 * index))
            trailer[4 + index] = UInt8(truncatingIfNeeded: length >> (8 * index))
        }
        return output + trailer
    }

    /// Starts compressing `filling`, first waiting for the oldest block when `2 × threads` are in
    /// flight; returns what that one produced.
    private func submit(last: Bool) async throws -> [UInt8] {
        var output: [UInt8] = []
        if !headerWritten {
            headerWritten = true
            output = Self.header(level: level)
        }
        if inFlight.count >= 2 * threads { output += try await collectOldest() }
        let block = filling, dictionary = self.dictionary, level = self.level, running = self.running
        self.dictionary = block.count >= Self.dictionarySize ? Array(block.suffix(Self.dictionarySize))
            : Array((dictionary + block).suffix(Self.dictionarySize))
        filling = []
        filling.reserveCapacity(Self.blockSize)
        inFlight.append(Task { try await running.withPermit { try CompressedBlock(block, dictionary: dictionary, level: level, last: last) } })
        return output
    }

    private func collectOldest() async throws -> [UInt8] {
        let block = try await inFlight.removeFirst().value
        crc = fl_crc32_combine(crc, block.crc, Int64(block.inputCount))
        length &+= UInt64(block.inputCount)
        return block.bytes
    }

    /// What zlib's own gzip wrapper writes without a header record (`deflateSetHeader`): no
    /// name, no timestamp, XFL as zlib sets it from the level, OS 3 (Unix, zlib's code here).
    static func header(level: Int32) -> [UInt8] {
        let extraFlags: UInt8 = level == 9 ? 2 : (level < 2 ? 4 : 0)
        return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3]
    }
}

/// One block of a parallel gzip stream, compressed: raw deflate that continues the blocks before.
private struct CompressedBlock: Sendable {
    let bytes: [UInt8]
    let crc: uLong
    let inputCount: Int

    init(_ input: [UInt8], dictionary: [UInt8], level: Int32, last: Bool) throws {
        var stream = z_stream()
        guard fl_deflate_init_raw(&stream, level) == Z_OK else {
            throw CompressionError(reason: "zlib could not start a raw deflate stream at level \(level)")
        }
        defer { deflateEnd(&stream) }
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count))
            }
            guard status == Z_OK else { throw CompressionError(reason: "zlib refused a dictionary (status \(status))") }
        }
        // Enough for the block in one call (deflateBound covers stored blocks), plus the sync
        // flush's empty stored block; the loop below copes if zlib wants more anyway.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var produced = 0
        let flush = last ? Z_FINISH : Z_SYNC_FLUSH
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                if produced == output.count { output += [UInt8](repeating: 0, count: 64 * 1024) }
                let status = output.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress! + produced
                    stream.avail_out = uInt(target.count - produced)
                    let status = deflate(&stream, flush)
                    produced = target.count - Int(stream.avail_out)
                    return status
                }
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    // A sync flush is complete once zlib has every byte and room left over.
                    if !last, stream.avail_in == 0, stream.avail_out > 0 { return }
                default:
                    throw CompressionError(reason: "zlib failed while compressing (status \(status))")
                }
            }
        }
        stream.next_in = nil
        output.removeSubrange(produced...)
        bytes = output
        crc = input.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        inputCount = input.count
    }
}
