import FreightCore
import Testing
import FreightTestSupport

@Suite("Image references", .budget(minutes: 1))
struct ImageReferenceTests {
    @Test("Docker Hub defaults: docker.io and library/")
    func dockerHubDefaults() throws {
        let reference = try ImageReference(parsing: "alpine")
        #expect(reference.registry == "docker.io")
        #expect(reference.repository == "library/alpine")
        #expect(reference.tag == nil)
        #expect(reference.reference == "latest")
        #expect(try ImageReference(parsing: "bitnami/redis:7").repository == "bitnami/redis")
        #expect(try ImageReference(parsing: "index.docker.io/library/busybox").registry == "docker.io")
    }

    @Test("host, port, nested path, tag and digest")
    func fullReference() throws {
        let hex = String(repeating: "ab", count: 32)
        let reference = try ImageReference(parsing: "docker://127.0.0.1:5000/team/sub/app:1.2.3@sha256:\(hex)")
        #expect(reference.registry == "127.0.0.1:5000")
        #expect(reference.repository == "team/sub/app")
        #expect(reference.tag == "1.2.3")
        #expect(reference.digest?.hex == hex)
        #expect(reference.reference == "sha256:\(hex)")
        #expect(reference.description == "127.0.0.1:5000/team/sub/app:1.2.3@sha256:\(hex)")
    }

    @Test("localhost and IPv6 hosts", arguments: ["localhost/app", "localhost:5000/app:v1", "[::1]:5000/app", "registry.example.com/app"])
    func hosts(text: String) throws {
        let reference = try ImageReference(parsing: text)
        #expect(reference.registry != "docker.io")
        #expect(reference.repository == "app")
    }

    @Test("separators: '.', '_', '__' and runs of '-'", arguments: ["a.b/c_d", "a__b/c---d", "x/y.z-1_2"])
    func separators(path: String) throws {
        #expect(try ImageReference(parsing: "example.com/\(path)").repository == path)
    }

    @Test("a tag may be 128 characters, not 129")
    func tagLength() throws {
        let ok = String(repeating: "t", count: 128)
        #expect(try ImageReference(parsing: "example.com/app:\(ok)").tag == ok)
        let error = #expect(throws: ReferenceError.self) {
            try ImageReference(parsing: "example.com/app:\(ok)t")
        }
        #expect(error?.description.contains("longer than 128") == true)
    }

    @Test("malformed references name the value and the problem", arguments: [
        ("Example.com/App", "must be lowercase"),
        ("example.com/app:", "tag is empty"),
        ("example.com/app:-bad", "must not start with"),
        ("example.com//app", "empty component"),
        ("example.com/a..b", "invalid character sequence"),
        ("example.com/-app", "must start and end"),
        ("example.com:99999/app", "invalid port"),
        ("example.com/app@sha256:1234", "needs 64 hex digits"),
        ("example.com/app@md5:abcd", "unsupported digest algorithm"),
        ("", "empty"),
    ])
    func malformed(input: String, reason: String) {
        let error = #expect(throws: ReferenceError.self) { try ImageReference(parsing: input) }
        #expect(error?.value == input)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
    }

    @Test("a name longer than 255 characters is refused")
    func nameLength() {
        let long = "example.com/" + String(repeating: "a/", count: 130) + "b"
        #expect(throws: ReferenceError.self) { try ImageReference(parsing: long) }
    }

    @Test("parsing is total and round-trips: random inputs either fail cleanly or re-parse to the same value")
    func roundTripProperty() throws {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcz09._-/:@AZ[]")
        for _ in 0..<5000 {
            let text = String((0..<Int.random(in: 1...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            guard let reference = try? ImageReference(parsing: text) else { continue }
            let again = try ImageReference(parsing: reference.description)
            #expect(again == reference, "\(text) -> \(reference) -> \(again)")
        }
    }
}

@Suite("Locations", .budget(minutes: 1))
struct ImageLocationTests {
    @Test("oci:DIR[:TAG] and registry references")
    func locations() throws {
        #expect(try ImageLocation(parsing: "oci:/tmp/layout:v1") == .layout(path: "/tmp/layout", tag: "v1", digest: nil))
        #expect(try ImageLocation(parsing: "oci:relative") == .layout(path: "relative", tag: nil, digest: nil))
        guard case .registry(let reference) = try ImageLocation(parsing: "docker://quay.io/a/b:c") else {
            Issue.record("expected a registry location")
            return
        }
        #expect(reference.registry == "quay.io")
        #expect(throws: ReferenceError.self) { try ImageLocation(parsing: "oci:") }
    }

    @Test("oci:DIR:NAME takes any image-layout ref.name, split at the first ':' as skopeo does")
    func layoutNames() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try ImageLocation(parsing: "oci:/tmp/l:localhost/app:1") == .layout(path: "/tmp/l", tag: "localhost/app:1", digest: nil))
        #expect(try ImageLocation(parsing: "oci:/tmp/l:quay.io/team/app:v1.2-rc+build")
            == .layout(path: "/tmp/l", tag: "quay.io/team/app:v1.2-rc+build", digest: nil))
        #expect(try ImageLocation(parsing: "oci:/tmp/l:a--b@c") == .layout(path: "/tmp/l", tag: "a--b@c", digest: nil))
        #expect(try ImageLocation(parsing: "oci:/tmp/l:app@sha256:\(hex)")
            == .layout(path: "/tmp/l", tag: "app", digest: try Digest(parsing: "sha256:\(hex)")))
        for bad in ["oci:/x:", "oci:/x:a//b", "oci:/x:_a", "oci:/x:a-", "oci:/x:a..b", "oci:/x:/a", "oci:/x:a b"] {
            #expect(throws: ReferenceError.self, "\(bad)") { try ImageLocation(parsing: bad) }
        }
        let error = try #require(throws: ReferenceError.self) { try ImageLocation(parsing: "oci:/x:v1-") }
        #expect(error.description.contains("\"v1-\" is not a valid OCI layout image name"), "\(error)")
    }

    @Test("sync roots: HOST[/PREFIX], never a tag")
    func prefixes() throws {
        let root = try RegistryPrefix(parsing: "127.0.0.1:5000/mirror/")
        #expect(root.registry == "127.0.0.1:5000")
        #expect(root.prefix == "mirror")
        #expect(root.relativePath(of: "mirror/team/app") == "team/app")
        #expect(root.relativePath(of: "mirrorx/app") == nil)
        #expect(root.repository(relative: "team/app") == "mirror/team/app")
        #expect(try RegistryPrefix(parsing: "localhost:5000").prefix == "")
        let error = #expect(throws: ReferenceError.self) { try RegistryPrefix(parsing: "127.0.0.1:5000/app:v1") }
        #expect(error?.description.contains("not a tag") == true)
    }
}
