import FreightCore

/// One repository of images, wherever it lives: a registry repository or an OCI image layout.
/// The engine copies between any two of these.
public protocol ImageRepository: Sendable {
    /// For messages and the dashboard: `127.0.0.1:5000/team/app`, `oci:/tmp/layout`.
    var displayName: String { get }

    /// The descriptor of the manifest a tag or digest names, without fetching it; nil when absent.
    func manifestDescriptor(_ reference: String) async throws -> Descriptor?
    /// The manifest a tag or digest names, verified against its digest.
    func manifest(_ reference: String) async throws -> ManifestDocument
    /// Stores a manifest under a tag, or only under its digest when `tag` is nil.
    func putManifest(_ document: ManifestDocument, tag: String?) async throws

    /// The size of a blob the repository holds, or nil when it does not.
    func blobSize(_ digest: Digest) async throws -> Int64?
    /// Streams a blob. The reader does not verify the digest: the consumer hashes what it uses.
    func openBlob(_ descriptor: Descriptor) async throws -> BlobReader
    /// Starts writing a blob; `expected` is its descriptor when known (a copy), nil when the
    /// content is produced on the fly (a recompressed layer).
    func beginUpload(expected: Descriptor?) async throws -> any BlobUpload
    /// Makes a blob of another repository of the same store available here without copying
    /// it. Returns false when the store cannot (the caller then uploads).
    func mountBlob(_ digest: Digest, from repository: String) async throws -> Bool

    /// Every tag, in the store's order.
    func tags() async throws -> [String]
    /// The manifests whose `subject` is `subject`, from the OCI 1.1 referrers API
    /// (`GET /v2/NAME/referrers/DIGEST`); nil when the store has no such API.
    func referrers(of subject: Digest) async throws -> [Descriptor]?
    /// Whether the store keeps referrers itself (its referrers API), so no fallback tag is needed.
    func keepsReferrers() async throws -> Bool
    /// Stores `document` under `tag` only if the tag still names `expected` (nil: nothing, or
    /// anything); a store that cannot tell just stores it. Throws a 412 `RegistryError` when
    /// the tag moved meanwhile.
    func replaceManifest(_ document: ManifestDocument, tag: String, expected: Digest?) async throws

    /// Deletes the manifest a tag or digest names (`DELETE /v2/NAME/manifests/REF`); throws the
    /// store's refusal as it gave it (a registry that cannot delete by tag, or not at all).
    func deleteManifest(_ reference: String) async throws

    /// Throws a `ReferenceError` naming `tag` when this store cannot hold an image under that
    /// name (a registry tag's grammar, or an OCI layout's `ref.name` grammar), so a copy can
    /// refuse it before moving a byte.
    func validateTag(_ tag: String) throws

    /// The repository path within its store (registry path; empty for a layout).
    var path: String { get }
    /// Identifies the store (registry host or layout directory): mounts only work within one.
    var storeIdentity: String { get }
}

/// A blob being written. Bytes are hashed as they arrive; `commit` makes the blob visible only
/// if they match what was expected, so a corrupt source never leaves a blob behind.
public protocol BlobUpload: Sendable {
    func write(_ chunk: [UInt8]) async throws
    /// Finishes the blob and returns its descriptor (digest and size of what was written).
    /// Throws `DigestMismatchError` when `expected` was given and the content differs.
    func commit() async throws -> Descriptor
    /// Abandons the upload; nothing becomes visible.
    func abort() async
}

/// A blob's bytes as they stream in, chunk by chunk.
public final class BlobReader: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// The size the store reported, when it did.
    public let size: Int64?
    private let nextChunk: @Sendable () async throws -> [UInt8]?
    private let close: @Sendable () -> Void

    public init(size: Int64?, next: @escaping @Sendable () async throws -> [UInt8]?,
                close: @escaping @Sendable () -> Void = {}) {
        self.size = size
        self.nextChunk = next
        self.close = close
    }

    deinit { close() }

    /// The next chunk, or nil at the end.
    public func next() async throws -> [UInt8]? { try await nextChunk() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: BlobReader
        public mutating func next() async throws -> [UInt8]? { try await reader.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: self) }
}
