import Foundation
import FreightCore
@testable import FreightEngine
import FreightTestSupport
import Testing

/// The block-parallel gzip encoder: the same bytes whatever the thread count and the chunking of
/// its input, one gzip member that GNU gzip and Python's zlib read back, about the size of one
/// zlib stream. Correctness only: its speed is measured by `make bench`.
@Suite("parallel gzip", .budget(minutes: 2))
struct ParallelGzipTests {
    static let block = ParallelGzipEncoder.blockSize

    /// A few MiB of real text and binaries as a layer holds them: a tar of /usr/include.
    static let realistic: [UInt8] = {
        let directory = TemporaryDirectory("parallel-gzip-corpus")
        let tar = directory.file("include.tar")
        let result = try? Shell.run(["tar", "-cf", tar, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                                     "-C", "/usr", "include"])
        precondition(result?.status == 0, "tar of /usr/include failed: \(result?.output ?? "")")
        let bytes = [UInt8](FileManager.default.contents(atPath: tar) ?? Data())
        precondition(bytes.count > 4 << 20, "/usr/include is smaller than expected (\(bytes.count) bytes)")
        return Array(bytes.prefix(4 << 20 + 12_345))
    }()

    static func random(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return generator.bytes(count)
    }

    /// Sizes at and around the block and window boundaries, and the degenerate ones.
    static let edgeSizes = [0, 1, 2, 32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1, block - 1, block, block + 1,
                            2 * block - 1, 2 * block, 2 * block + 1, 3 * block + 32 * 1024]

    static func encode(_ input: [UInt8], level: Int = 6, threads: Int, chunks: [Int] = [64 * 1024]) async throws -> [UInt8] {
        let encoder = try ParallelGzipEncoder(level: level, threads: threads)
        var output: [UInt8] = []
        var start = 0, index = 0
        while start < input.count {
            let size = min(chunks[index % chunks.count], input.count - start)
            output += try await encoder.compress(Array(input[start..<start + size]))
            start += size
            index += 1
        }
        return output + (try await encoder.finish())
    }

    @Test("1, 2, 3 and 8 threads give the same bytes, on text, random data and at block boundaries")
    func sameWhateverThreads() async throws {
        let inputs = [Self.realistic, Self.random(700_000)] + Self.edgeSizes.map { Array(Self.realistic.prefix($0)) }
        for input in inputs {
            let one = try await Self.encode(input, threads: 1)
            for threads in [2, 3, 8] {
                let many = try await Self.encode(input, threads: threads)
                #expect(many == one, "\(input.count) bytes: \(threads) threads differ from one")
            }
        }
    }

    @Test("how the input arrives in chunks changes nothing")
    func sameWhateverChunking() async throws {
        let input = Self.realistic
        let whole = try await Self.encode(input, threads: 2, chunks: [input.count])
        for chunks in [[1 << 20], [Self.block], [Self.block - 1], [4097], [1, 100_000, 7, 300_000, 65_536], [Self.block + 1, 3]] {
            #expect(try await Self.encode(input, threads: 3, chunks: chunks) == whole, "chunks of \(chunks)")
        }
        #expect(try await Self.encode(input, level: 9, threads: 1, chunks: [333_333])
            == (try await Self.encode(input, level: 9, threads: 8, chunks: [1_000_000])), "level 9")
    }

    @Test("GNU gzip decompresses it to the original and finds it sound", arguments: ["realistic", "random", "edges"])
    func gnuGzip(_ kind: String) async throws {
        let directory = TemporaryDirectory("parallel-gzip")
        for (index, input) in Self.inputs(kind).enumerated() {
            let compressed = directory.file("\(index).gz"), restored = directory.file("\(index)")
            #expect(FileManager.default.createFile(atPath: compressed, contents: Data(try await Self.encode(input, threads: 3))))
            let result = try Shell.run(["sh", "-c", "gzip -t \"$0\" && gzip -dc \"$0\" > \"$1\"", compressed, restored])
            #expect(result.status == 0, "gzip -d of \(input.count) bytes: \(result.output)")
            #expect(FileManager.default.contents(atPath: restored).map { [UInt8]($0) } == input, "\(input.count) bytes restored")
        }
    }

    @Test("Python's zlib reads one gzip member with nothing after it, giving the original", arguments: ["realistic", "random", "edges"])
    func pythonZlib(_ kind: String) async throws {
        let directory = TemporaryDirectory("parallel-gzip")
        let script = """
            import hashlib, sys, zlib
            d = zlib.decompressobj(31)
            out = d.decompress(open(sys.argv[1], 'rb').read()) + d.flush()
            print(d.eof, len(d.unused_data), len(out), hashlib.sha256(out).hexdigest())
            """
        for (index, input) in Self.inputs(kind).enumerated() {
            let compressed = directory.file("\(index).gz")
            #expect(FileManager.default.createFile(atPath: compressed, contents: Data(try await Self.encode(input, threads: 2))))
            let result = try Shell.run(["python3", "-c", script, compressed])
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "True 0 \(input.count) \(Digest.sha256(of: input).hex)", "\(input.count) bytes: \(result.output)")
        }
    }

    @Test("within 1 % of one zlib stream at the same level", arguments: [1, 6, 9])
    func size(level: Int) async throws {
        for (name, input) in [("text", Self.realistic), ("random", Self.random(1_000_000))] {
            let single = Gzip.compress(input, level: Int32(level)).count
            let parallel = try await Self.encode(input, level: level, threads: 2).count
            #expect(Double(parallel) <= Double(single) * 1.01, "\(name) at level \(level): \(parallel) bytes against \(single)")
        }
    }

    @Test("the header is zlib's own (no name, no timestamp, XFL by level), and in-process zlib reads the stream", arguments: [1, 6, 9])
    func header(level: Int) async throws {
        let input = Array(Self.realistic.prefix(3 * Self.block + 5))
        let output = try await Self.encode(input, level: level, threads: 2)
        #expect(Array(output.prefix(10)) == Array(Gzip.compress(input, level: Int32(level)).prefix(10)))
        #expect(Gzip.decompress(output) == input)
    }

    @Test("levels outside 1-9 are refused, naming the level")
    func badLevel() {
        for level in [0, 10] {
            #expect { try ParallelGzipEncoder(level: level) } throws: { "\($0)".contains("got \(level)") }
        }
        #expect((try? ParallelGzipEncoder(level: 6, threads: 0))?.threads == 1, "at least one thread")
    }

    static func inputs(_ kind: String) -> [[UInt8]] {
        switch kind {
        case "realistic": return [realistic]
        case "random": return [random(1_000_000, seed: 3)]
        default: return edgeSizes.map { Array(realistic.suffix($0)) } + [random(block + 1, seed: 5)]
        }
    }
}
