import FreightCore

/// Hashes and counts a blob on its way into a store, holding back the newest chunk so that a
/// wrong size or digest is found before the store has seen the end of the blob (and so before
/// it could finish it).
struct BlobVerifier {
    let expected: Descriptor?
    let what: String
    private let hasher = SHA256Hasher()
    private(set) var count: Int64 = 0
    private var held: [UInt8]?

    init(expected: Descriptor?, what: String) {
        self.expected = expected
        self.what = what
    }

    /// Takes a chunk in; returns the chunk that may now go on to the store.
    mutating func accept(_ chunk: [UInt8]) throws -> [UInt8]? {
        if let expected, !expected.digest.isVerifiable { throw UnsupportedDigestError(what: what, digest: expected.digest) }
        count += Int64(chunk.count)
        if let expected, count > expected.size {
            throw DigestMismatchError(what: what, expected: "\(expected.digest) of \(expected.size) bytes",
                                      actual: "more than \(expected.size) bytes")
        }
        hasher.update(chunk)
        defer { held = chunk }
        return held
    }

    /// Checks the whole blob; returns its descriptor and the last chunk, to be sent only now.
    mutating func finish(mediaType: String) throws -> (descriptor: Descriptor, last: [UInt8]?) {
        let digest = hasher.finalize()
        if let expected {
            guard expected.digest.isVerifiable else { throw UnsupportedDigestError(what: what, digest: expected.digest) }
            guard count == expected.size else {
                throw DigestMismatchError(what: what, expected: "\(expected.digest) of \(expected.size) bytes",
                                          actual: "\(count) bytes")
            }
            guard digest == expected.digest else {
                throw DigestMismatchError(what: what, expected: expected.digest.description, actual: digest.description)
            }
        }
        let last = held
        held = nil
        return (Descriptor(mediaType: expected?.mediaType ?? mediaType, digest: digest, size: count), last)
    }
}
