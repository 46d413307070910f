import Foundation
import FreightCore
import FreightHTTP
import FreightRegistry
import FreightTestSupport
import Testing

/// The Distribution API client against real docker-registry processes.
@Suite("Registry client", .budget(minutes: 8))
struct RegistryClientTests {
    let http = HTTPClient()

    func client(_ registry: TestRegistry, _ credentials: Credentials? = nil) -> RegistryClient {
        RegistryClient(registry: registry.host, http: http, credentials: StaticCredentials(credentials),
                       retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01))
    }

    @Test("all four manifest media types come back byte for byte, with platforms")
    func manifestTypes() async throws {
        let registry = try TestRegistry.start()
        try StandardImages().push(to: registry.reference("std/images"))
        let repository = RegistryRepository(client: client(registry), path: "std/images")
        for (tag, mediaType) in StandardImages.tags {
            let document = try await repository.manifest(tag)
            #expect(document.mediaType == mediaType, "\(tag)")
            #expect(document.bytes == (try Skopeo.rawManifest(registry.reference("std/images:\(tag)"))), "\(tag)")
            let head = try await repository.manifestDescriptor(tag)
            #expect(head?.digest == document.digest)
            #expect(head?.size == Int64(document.bytes.count))
        }
        #expect(try await repository.manifestDescriptor("no-such-tag") == nil)
    }

    @Test("catalog pagination follows Link headers (catalog: maxentries 2)")
    func catalogPagination() async throws {
        let registry = try TestRegistry.start(.init(catalogPageSize: 2))
        let images = try StandardImages()
        let names = ["a/one", "a/two", "b/three", "c/deep/four", "d5"]
        for name in names {
            try Fixtures.push(layout: images.layout, tag: "oci-single", to: registry.reference("\(name):v1"))
        }
        let client = client(registry)
        #expect(try await client.repositories().sorted() == names.sorted())
        #expect(try await client.repositories(under: "a").sorted() == ["a/one", "a/two"])
        #expect(try await client.repositories(under: "c/deep") == ["c/deep/four"])
    }

    @Test("tags/list pagination across pages (through a paginating proxy)")
    func tagPagination() async throws {
        let registry = try TestRegistry.start()
        let images = try StandardImages()
        let expected = (0..<23).map { "v\($0)" }
        try Fixtures.push(layout: images.layout, tag: "oci-single", to: registry.reference("many/tags:v0"))
        let document = try await RegistryRepository(client: client(registry), path: "many/tags").manifest("v0")
        for tag in expected.dropFirst() {
            try await RegistryRepository(client: client(registry), path: "many/tags").putManifest(document, tag: tag)
        }
        let proxy = try RegistryProxy(upstream: registry, tagsPageSize: 5)
        let viaProxy = RegistryClient(registry: proxy.host, http: http, credentials: StaticCredentials(nil))
        #expect(try await RegistryRepository(client: viaProxy, path: "many/tags").tags().sorted() == expected.sorted())
    }

    @Test("htpasswd: works with credentials, says why without or with a wrong password")
    func basicAuth() async throws {
        let registry = try TestRegistry.start(.init(auth: .htpasswd(user: "alice", password: "s3cret-pw")))
        try StandardImages().push(to: registry.reference("private/app"), user: "alice", password: "s3cret-pw")
        let good = RegistryRepository(client: client(registry, Credentials(username: "alice", password: Secret("s3cret-pw"))),
                                      path: "private/app")
        #expect(try await good.tags().count == StandardImages.tags.count)

        let anonymous = RegistryRepository(client: client(registry), path: "private/app")
        let missing = await #expect(throws: RegistryError.self) { try await anonymous.tags() }
        #expect(missing?.status == 401)
        #expect(missing?.description.contains("requires authentication") == true)
        #expect(missing?.description.contains(registry.host) == true)

        let wrong = RegistryRepository(client: client(registry, Credentials(username: "alice", password: Secret("wrong-pw"))),
                                       path: "private/app")
        let refused = await #expect(throws: RegistryError.self) { try await wrong.tags() }
        #expect(refused?.description.contains("refused the credentials") == true)
        #expect(refused?.description.contains("wrong-pw") == false)
    }

    @Test("bearer tokens from a token service: fetched once per scope, anonymous refused, wrong password explained")
    func tokenAuth() async throws {
        let registry = try TestRegistry.start(.init(auth: .token(user: "bob", password: "token-pw")))
        let credentials = Credentials(username: "bob", password: Secret("token-pw"))
        let repository = RegistryRepository(client: client(registry, credentials), path: "tok/app")
        let images = try StandardImages()
        // Push through our own client (the token flow for push scope), then read it back.
        let source = OCILayoutRepository(layout: try OCILayout.open(images.layout, create: false))
        let document = try await source.manifest("oci-single")
        guard case .image(let manifest) = document.content else { Issue.record("expected an image"); return }
        for blob in manifest.blobs {
            let upload = try await repository.beginUpload(expected: blob)
            for try await chunk in try await source.openBlob(blob) { try await upload.write(chunk) }
            _ = try await upload.commit()
        }
        try await repository.putManifest(document, tag: "v1")
        _ = try await repository.manifest("v1")
        let issued = try #require(try registry.tokenStats()?["issued"])
        #expect(issued >= 1)
        for _ in 0..<5 { _ = try await repository.manifest("v1") }
        #expect(try registry.tokenStats()?["issued"] == issued, "more reads in the same scope reuse the cached token")
        #expect(try Skopeo.digest(registry.reference("tok/app:v1"), credentials: "bob:token-pw") == document.digest)

        let anonymous = RegistryRepository(client: client(registry), path: "tok/app")
        let refused = await #expect(throws: RegistryError.self) { try await anonymous.manifest("v1") }
        #expect(refused?.description.contains("requires authentication") == true)

        let wrong = RegistryRepository(client: client(registry, Credentials(username: "bob", password: Secret("nope"))), path: "tok/app")
        let bad = await #expect(throws: RegistryError.self) { try await wrong.manifest("v1") }
        #expect(bad?.description.contains("refused the credentials") == true)
        #expect(bad?.description.contains("nope") == false)
    }

    @Test("an upload whose bytes do not match the digest fails and leaves no blob")
    func digestMismatch() async throws {
        let registry = try TestRegistry.start()
        let repository = RegistryRepository(client: client(registry), path: "bad/blob")
        let claimed = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256(of: Array("expected".utf8)), size: 8)
        let upload = try await repository.beginUpload(expected: claimed)
        try await upload.write(Array("tampered".utf8))
        let error = await #expect(throws: DigestMismatchError.self) { _ = try await upload.commit() }
        #expect(error?.description.contains(claimed.digest.description) == true)
        #expect(try await repository.blobSize(claimed.digest) == nil)
        #expect(try await repository.blobSize(Digest.sha256(of: Array("tampered".utf8))) == nil)
    }

    @Test("a streamed upload of unknown size (PATCH then PUT) and a cross-repository mount")
    func chunkedUploadAndMount() async throws {
        let registry = try TestRegistry.start()
        let source = RegistryRepository(client: client(registry), path: "up/source")
        let content = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let upload = try await source.beginUpload(expected: nil)
        var offset = 0
        while offset < content.count {
            try await upload.write(Array(content[offset..<min(content.count, offset + 100_000)]))
            offset += 100_000
        }
        let stored = try await upload.commit()
        #expect(stored.digest == Digest.sha256(of: content))
        #expect(try await source.blobSize(stored.digest) == Int64(content.count))

        let target = RegistryRepository(client: client(registry), path: "up/target")
        #expect(try await target.blobSize(stored.digest) == nil)
        #expect(try await target.mountBlob(stored.digest, from: "up/source"))
        #expect(try await target.blobSize(stored.digest) == Int64(content.count))
        var read: [UInt8] = []
        for try await chunk in try await target.openBlob(stored) { read += chunk }
        #expect(read == content)
    }

    @Test("a registry that is not running: a clear transport error naming the URL")
    func unreachable() async throws {
        let port = ServerProcess.freePort()
        let client = RegistryClient(registry: "127.0.0.1:\(port)", http: http, credentials: StaticCredentials(nil),
                                    retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01))
        let error = await #expect(throws: HTTPTransportError.self) {
            try await RegistryRepository(client: client, path: "x").tags()
        }
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
    }
}
