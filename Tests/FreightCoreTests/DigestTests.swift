import FreightCore
import Testing
import FreightTestSupport

@Suite("Digests", .budget(minutes: 1))
struct DigestTests {
    @Test("SHA-256 of known input")
    func knownVector() {
        #expect(Digest.sha256(of: Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256(of: []).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("incremental hashing equals one-shot")
    func incremental() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = SHA256Hasher()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 7919)
            hasher.update(Array(bytes[offset..<end]))
            offset = end
        }
        #expect(hasher.finalize() == Digest.sha256(of: bytes))
    }

    @Test("only lowercase hex of the right length can become a digest (and so a path)", arguments: [
        "sha256:" + String(repeating: "A", count: 64),
        "sha256:" + String(repeating: "a", count: 63),
        "sha256:../../../../etc/passwd",
        "sha256:" + String(repeating: "a", count: 62) + "/.",
        "sha1:abc",
        "sha256",
    ])
    func refused(text: String) {
        let error = #expect(throws: DigestError.self) { try Digest(parsing: text) }
        #expect(error?.value == text)
    }
}

@Suite("Secrets never print", .budget(minutes: 1))
struct SecretTests {
    @Test("description, interpolation, dump and reflection show <redacted>")
    func redacted() {
        let secret = Secret("hunter2-password")
        #expect("\(secret)" == "<redacted>")
        #expect(String(describing: secret) == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        struct Holder { let name = "x"; let password = Secret("hunter2-password") }
        var holderDump = ""
        dump(Holder(), to: &holderDump)
        #expect(!holderDump.contains("hunter2"))
        #expect(!"\(Holder())".contains("hunter2"))
        #expect(secret.revealed == "hunter2-password")
    }
}
