import Foundation
import FreightCore

/// An OCI image layout seen as one repository: its tags are the `ref.name` annotations of
/// `index.json`.
public struct OCILayoutRepository: ImageRepository {
    public let layout: OCILayout

    public init(layout: OCILayout) { self.layout = layout }

    public var displayName: String { "oci:\(layout.root)" }
    public var storeIdentity: String { "oci:\(layout.root)" }
    public var path: String { "" }

    // MARK: Manifests

    public func manifestDescriptor(_ reference: String) async throws -> Descriptor? {
        if let digest = try? Digest(parsing: reference) {
            guard let size = try blobSize(digest) else { return nil }
            let document = try await manifest(reference)
            return Descriptor(mediaType: document.mediaType, digest: digest, size: size)
        }
        return await layout.descriptor(tag: reference)
    }

    public func manifest(_ reference: String) async throws -> ManifestDocument {
        let source = "\(displayName):\(reference)"
        let digest: Digest
        var mediaType: String?
        if let parsed = try? Digest(parsing: reference) {
            digest = parsed
        } else if let descriptor = await layout.descriptor(tag: reference) {
            digest = descriptor.digest
            mediaType = descriptor.mediaType
        } else {
            throw LayoutError(path: layout.root, reason: "has no image tagged \"\(reference)\"")
        }
        guard digest.isVerifiable else { throw UnsupportedDigestError(what: "the manifest \(source)", digest: digest) }
        let path = try layout.blobPath(digest)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int
        else { throw LayoutError(path: layout.root, reason: "is missing manifest blob \(digest)") }
        guard size <= ManifestDocument.maxSize else {
            throw ManifestError(source: source, reason: "the manifest is \(size) bytes, over the \(ManifestDocument.maxSize)-byte limit")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LayoutError(path: layout.root, reason: "cannot read manifest blob \(digest)")
        }
        let document = try ManifestDocument(bytes: Array(data), contentType: mediaType, source: source)
        guard document.digest == digest else {
            throw DigestMismatchError(what: "manifest \(source)", expected: digest.description, actual: document.digest.description)
        }
        return document
    }

    public func putManifest(_ document: ManifestDocument, tag: String?) async throws {
        if let tag { try validateTag(tag) }
        let path = try layout.blobPath(document.digest)
        if !FileManager.default.fileExists(atPath: path) {
            try OCILayout.writeAtomically(document.bytes, to: path)
        }
        if let tag { try await layout.setTag(tag, to: document.descriptor) }
    }

    // MARK: Blobs

    public func blobSize(_ digest: Digest) throws -> Int64? {
        let path = try layout.blobPath(digest)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.int64Value
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> BlobReader {
        let path = try layout.blobPath(descriptor.digest)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LayoutError(path: layout.root, reason: "is missing blob \(descriptor.digest)")
        }
        let size = try blobSize(descriptor.digest)
        let file = SendableFileHandle(handle: handle)
        return BlobReader(size: size, next: { try file.read() }, close: { file.close() })
    }

    public func beginUpload(expected: Descriptor?) async throws -> any BlobUpload {
        try LayoutBlobUpload(layout: layout, expected: expected)
    }

    public func mountBlob(_ digest: Digest, from repository: String) async throws -> Bool { false }

    public func tags() async throws -> [String] { await layout.tags() }

    /// A layout has no referrers API: referrers go by the fallback tag, as in a registry without one.
    public func referrers(of subject: Digest) async throws -> [Descriptor]? { nil }
    public func keepsReferrers() async throws -> Bool { false }

    public func replaceManifest(_ document: ManifestDocument, tag: String, expected: Digest?) async throws {
        try await putManifest(document, tag: tag)
    }

    /// Drops a name from `index.json` (the blobs stay: other names may share them).
    public func deleteManifest(_ reference: String) async throws {
        try await layout.removeTag(reference)
    }

    public func validateTag(_ tag: String) throws {
        try LayoutRefName.validate(tag, in: "\(displayName):\(tag)")
    }
}

/// A file read in chunks by one task at a time.
final class SendableFileHandle: @unchecked Sendable {
    private let handle: FileHandle

    init(handle: FileHandle) { self.handle = handle }

    func read() throws -> [UInt8]? {
        guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
        return Array(data)
    }

    func close() { try? handle.close() }
}

/// A blob written to a temporary file in the layout and renamed into place only when its
/// digest checks out.
actor LayoutBlobUpload: BlobUpload {
    private let layout: OCILayout
    private let temporary: String
    private let descriptor: Int32
    private var verifier: BlobVerifier
    private var finished = false

    init(layout: OCILayout, expected: Descriptor?) throws {
        self.layout = layout
        temporary = "\(try layout.blobDirectory(.sha256))/.upload-\(UUID().uuidString)"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw LayoutError(path: layout.root, reason: "cannot create a blob file: \(String(cString: strerror(errno)))")
        }
        verifier = BlobVerifier(expected: expected, what: "blob \(expected?.digest.description ?? "") for oci:\(layout.root)")
    }

    func write(_ chunk: [UInt8]) async throws {
        guard let forward = try verifier.accept(chunk) else { return }
        try writeAll(forward)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else {
                    throw LayoutError(path: layout.root, reason: "cannot write a blob: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    func commit() async throws -> Descriptor {
        do {
            let (result, last) = try verifier.finish(mediaType: "application/octet-stream")
            if let last { try writeAll(last) }
            guard fsync(descriptor) == 0 else {
                throw LayoutError(path: layout.root, reason: "cannot sync a blob: \(String(cString: strerror(errno)))")
            }
            close(descriptor)
            finished = true
            guard rename(temporary, try layout.blobPath(result.digest)) == 0 else {
                throw LayoutError(path: layout.root, reason: "cannot store blob \(result.digest): \(String(cString: strerror(errno)))")
            }
            return result
        } catch {
            await abort()
            throw error
        }
    }

    func abort() async {
        if !finished {
            close(descriptor)
            finished = true
        }
        unlink(temporary)
    }
}
