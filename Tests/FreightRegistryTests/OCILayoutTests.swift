import Foundation
import FreightCore
import FreightRegistry
import FreightTestSupport
import Testing

@Suite("OCI image layouts", .budget(minutes: 6))
struct OCILayoutTests {
    @Test("reads tags, manifests and blobs written by the image builder")
    func reads() async throws {
        let images = try StandardImages()
        let repository = OCILayoutRepository(layout: try OCILayout.open(images.layout, create: false))
        #expect(Set(try await repository.tags()) == Set(StandardImages.tags.keys))
        let document = try await repository.manifest("oci-multi")
        #expect(document.isIndex)
        #expect(try await repository.manifestDescriptor("oci-multi")?.digest == document.digest)
    }

    @Test("an index.json digest that tries to leave the layout is refused, naming it")
    func traversalInIndex() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("evil/blobs/sha256"), withIntermediateDirectories: true)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: directory.file("evil/oci-layout"), atomically: true, encoding: .utf8)
        try #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":10,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}"#
            .write(toFile: directory.file("evil/index.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: LayoutError.self) { try OCILayout.open(directory.file("evil"), create: false) }
        #expect(error?.description.contains("sha256:../../../../etc/passwd") == true)
    }

    @Test("a blobs directory that is a symlink out of the layout is refused")
    func symlinkEscape() async throws {
        let directory = TemporaryDirectory()
        let layout = directory.file("layout")
        _ = try OCILayout.open(layout, create: true)
        try FileManager.default.createDirectory(atPath: directory.file("outside"), withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: "\(layout)/blobs/sha256")
        try FileManager.default.createSymbolicLink(atPath: "\(layout)/blobs/sha256", withDestinationPath: directory.file("outside"))
        let repository = OCILayoutRepository(layout: try OCILayout.open(layout, create: false))
        let error = #expect(throws: LayoutError.self) { try repository.blobSize(Digest.sha256(of: [1])) }
        #expect(error?.description.contains("outside the layout") == true)
        await #expect(throws: LayoutError.self) { _ = try await repository.beginUpload(expected: nil) }
    }

    @Test("a directory with other files is not turned into a layout")
    func refusesNonEmpty() throws {
        let directory = TemporaryDirectory()
        try "hello".write(toFile: directory.file("notes.txt"), atomically: true, encoding: .utf8)
        let error = #expect(throws: LayoutError.self) { try OCILayout.open(directory.path, create: true) }
        #expect(error?.description.contains("not empty") == true)
    }

    @Test("a blob that does not match its digest is not stored")
    func corruptUpload() async throws {
        let directory = TemporaryDirectory()
        let repository = OCILayoutRepository(layout: try OCILayout.open(directory.file("l"), create: true))
        let expected = Descriptor(mediaType: MediaType.ociLayerTar, digest: Digest.sha256(of: [1, 2, 3]), size: 3)
        let upload = try await repository.beginUpload(expected: expected)
        try await upload.write([9, 9, 9])
        await #expect(throws: DigestMismatchError.self) { _ = try await upload.commit() }
        #expect(try repository.blobSize(expected.digest) == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.file("l/blobs/sha256"))
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
