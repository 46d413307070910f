import Foundation
import FreightCore
import FreightRegistry

/// An in-memory registry for testing the engine in-process, in milliseconds. It behaves like
/// distribution where the engine's correctness depends on it: a manifest PUT is refused with
/// `MANIFEST_BLOB_UNKNOWN` (the missing digest as its detail) while a child it names is absent,
/// and, like distribution's non-atomic revision links, while that child is being written by
/// another PUT. Fault hooks delay writes, refuse manifests, or lose content.
public final class MemoryRegistry: Sendable {
    public struct Repository: Sendable {
        public var manifests: [Digest: ManifestDocument] = [:]
        public var tags: [String: Digest] = [:]
        public var blobs: [Digest: [UInt8]] = [:]
    }

    /// What a fault hook may do to one manifest PUT.
    public enum Fault: Sendable {
        /// Refuse it as distribution does when a named child is missing.
        case refuseAsMissing(Digest)
        /// Forget this manifest of the repository just before the PUT is verified.
        case lose(Digest)
    }

    struct State: Sendable {
        var repositories: [String: Repository] = [:]
        /// Manifests being written right now, by repository: unreadable, as distribution's links.
        var writing: [String: [Digest: Int]] = [:]
        /// Every manifest PUT: repository, reference.
        var puts: [(repository: String, reference: String)] = []
    }

    public let name: String
    /// How long a manifest write takes (the window in which it cannot be read).
    public let manifestWriteTime: Duration
    let state = Locked(State())
    private let faults: @Sendable (_ repository: String, _ reference: String, _ attempt: Int) -> Fault?

    public init(name: String = "memory", manifestWriteTime: Duration = .zero,
                faults: @escaping @Sendable (_ repository: String, _ reference: String, _ attempt: Int) -> Fault? = { _, _, _ in nil }) {
        self.name = name
        self.manifestWriteTime = manifestWriteTime
        self.faults = faults
    }

    public func repository(_ path: String) -> MemoryRepository { MemoryRepository(registry: self, path: path) }

    /// The manifest PUTs so far, as `REPOSITORY:REFERENCE`.
    public var manifestPuts: [String] { state.withLock { $0.puts.map { "\($0.repository):\($0.reference)" } } }

    public func contents(of path: String) -> Repository { state.withLock { $0.repositories[path] ?? Repository() } }

    func put(_ document: ManifestDocument, tag: String?, in path: String) async throws {
        let reference = tag ?? document.digest.description
        let attempt = state.withLock { state -> Int in
            state.puts.append((path, reference))
            return state.puts.filter { $0.repository == path && $0.reference == reference }.count
        }
        let operation = "PUT \(name)/\(path):\(reference)"
        switch faults(path, reference, attempt) {
        case .refuseAsMissing(let digest)?:
            throw Self.missing(digest, operation: operation)
        case .lose(let digest)?:
            state.withLock { _ = $0.repositories[path]?.manifests.removeValue(forKey: digest) }
        case nil:
            break
        }
        if case .index(let index) = document.content {
            let missing = state.withLock { state in
                index.manifests.map(\.digest).first { child in
                    state.repositories[path]?.manifests[child] == nil || state.writing[path]?[child] != nil
                }
            }
            if let missing { throw Self.missing(missing, operation: operation) }
        }
        state.withLock { $0.writing[path, default: [:]][document.digest, default: 0] += 1 }
        if manifestWriteTime > .zero { try? await Task.sleep(for: manifestWriteTime) }
        state.withLock { state in
            state.writing[path]?[document.digest]! -= 1
            if state.writing[path]?[document.digest] == 0 { state.writing[path]?.removeValue(forKey: document.digest) }
            state.repositories[path, default: Repository()].manifests[document.digest] = document
            if let tag { state.repositories[path, default: Repository()].tags[tag] = document.digest }
        }
    }

    static func missing(_ digest: Digest, operation: String) -> RegistryError {
        RegistryError(status: 400, code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry: \(digest)", operation: operation,
                      entries: [.init(code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: digest.description)])
    }
}

/// One repository of a `MemoryRegistry`.
public struct MemoryRepository: ImageRepository {
    public let registry: MemoryRegistry
    public let path: String

    public var displayName: String { "\(registry.name)/\(path)" }
    public var storeIdentity: String { "memory:\(registry.name)" }

    private func resolve(_ reference: String) -> ManifestDocument? {
        registry.state.withLock { state in
            guard let repository = state.repositories[path],
                  let digest = (try? Digest(parsing: reference)) ?? repository.tags[reference] else { return nil }
            // Mid-write, a manifest cannot be read (distribution's revision link is being rewritten).
            guard state.writing[path]?[digest] == nil else { return nil }
            return repository.manifests[digest]
        }
    }

    public func manifestDescriptor(_ reference: String) async throws -> Descriptor? { resolve(reference)?.descriptor }

    public func manifest(_ reference: String) async throws -> ManifestDocument {
        guard let document = resolve(reference) else {
            throw RegistryError(status: 404, code: "MANIFEST_UNKNOWN", message: "manifest unknown", operation: "GET \(displayName):\(reference)")
        }
        return document
    }

    public func putManifest(_ document: ManifestDocument, tag: String?) async throws {
        try await registry.put(document, tag: tag, in: path)
    }

    public func blobSize(_ digest: Digest) async throws -> Int64? {
        registry.state.withLock { $0.repositories[path]?.blobs[digest].map { Int64($0.count) } }
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> BlobReader {
        guard let bytes = registry.state.withLock({ $0.repositories[path]?.blobs[descriptor.digest] }) else {
            throw RegistryError(status: 404, code: "BLOB_UNKNOWN", message: "blob unknown", operation: "GET \(displayName)@\(descriptor.digest)")
        }
        let sent = Locked(false)
        return BlobReader(size: Int64(bytes.count)) {
            sent.withLock { done in
                defer { done = true }
                return done ? nil : bytes
            }
        }
    }

    public func beginUpload(expected: Descriptor?) async throws -> any BlobUpload {
        MemoryBlobUpload(repository: self, expected: expected)
    }

    public func mountBlob(_ digest: Digest, from repository: String) async throws -> Bool {
        registry.state.withLock { state in
            guard let bytes = state.repositories[repository]?.blobs[digest] else { return false }
            state.repositories[path, default: .init()].blobs[digest] = bytes
            return true
        }
    }

    public func tags() async throws -> [String] {
        guard let repository = registry.state.withLock({ $0.repositories[path] }) else {
            throw RegistryError(status: 404, code: "NAME_UNKNOWN", message: "repository name not known to registry",
                                operation: "list tags of \(displayName)")
        }
        return repository.tags.keys.sorted()
    }

    public func referrers(of subject: Digest) async throws -> [Descriptor]? { nil }
    public func keepsReferrers() async throws -> Bool { false }

    public func replaceManifest(_ document: ManifestDocument, tag: String, expected: Digest?) async throws {
        try await putManifest(document, tag: tag)
    }

    public func deleteManifest(_ reference: String) async throws {
        let removed = registry.state.withLock { state -> Bool in
            guard var repository = state.repositories[path] else { return false }
            defer { state.repositories[path] = repository }
            if let digest = try? Digest(parsing: reference) {
                guard repository.manifests.removeValue(forKey: digest) != nil else { return false }
                repository.tags = repository.tags.filter { $0.value != digest }
                return true
            }
            return repository.tags.removeValue(forKey: reference) != nil
        }
        guard removed else {
            throw RegistryError(status: 404, code: "MANIFEST_UNKNOWN", message: "manifest unknown", operation: "DELETE \(displayName):\(reference)")
        }
    }

    public func validateTag(_ tag: String) throws {
        try ImageReference.validateTag(tag, in: "\(displayName):\(tag)")
    }

    /// Stores a blob directly (test set-up).
    public func store(blob bytes: [UInt8]) -> Descriptor {
        let digest = Digest.sha256(of: bytes)
        registry.state.withLock { $0.repositories[path, default: .init()].blobs[digest] = bytes }
        return Descriptor(mediaType: "application/octet-stream", digest: digest, size: Int64(bytes.count))
    }
}

/// An upload into memory, visible only once its digest checks out.
final class MemoryBlobUpload: BlobUpload {
    private let repository: MemoryRepository
    private let expected: Descriptor?
    private let bytes = Locked<[UInt8]>([])

    init(repository: MemoryRepository, expected: Descriptor?) {
        self.repository = repository
        self.expected = expected
    }

    func write(_ chunk: [UInt8]) async throws { bytes.withLock { $0 += chunk } }

    func commit() async throws -> Descriptor {
        let content = bytes.value
        let digest = Digest.sha256(of: content)
        if let expected, expected.digest != digest {
            throw DigestMismatchError(what: "blob for \(repository.displayName)", expected: expected.digest.description, actual: digest.description)
        }
        _ = repository.store(blob: content)
        return Descriptor(mediaType: expected?.mediaType ?? "application/octet-stream", digest: digest, size: Int64(content.count))
    }

    func abort() async {}
}
