import Foundation
import FreightCore
import FreightRegistry

/// An in-memory registry for testing the engine in-process, in milliseconds. A fake, since the
/// engine's scheduling (what runs at once, what waits, what is given up) cannot be steered in a
/// real registry; written to the distribution spec and behaving like distribution where the
/// engine's correctness depends on it: a manifest PUT is refused with `MANIFEST_BLOB_UNKNOWN`
/// (the missing digest as its detail) while a child it names is absent, and, like
/// distribution's non-atomic revision links, while that child is being written by another PUT;
/// with `verifiesBlobs`, also while a blob an image names is absent. An upload becomes visible
/// only when it completes with the right digest; a mount answers "declined" (distribution's 202)
/// when the other repository lacks the blob.
///
/// Every request is logged in order (`requests`), for tests to count HEADs, uploads and mounts
/// and to check what came before what. Fault hooks delay, hold (a `Gate`: never opened, the
/// request never finishes, until its task is cancelled), refuse or fail manifest PUTs and blob
/// requests.
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
        /// Hold the PUT at the gate, then go on with it.
        case hold(Gate)
        /// Answer with this HTTP status and error code; nothing is stored.
        case respond(status: Int, code: String)
    }

    /// What a fault hook may do to one blob request (a `Request` of kind `blobExists`, `blobRead`,
    /// `blobUpload` or `blobMount`).
    public enum BlobFault: Sendable {
        /// Answer after this long: a read before its first byte, an upload before it completes.
        case delay(Duration)
        /// Hold the request at the gate, then go on with it. A read delivers the first half of the
        /// blob and then waits for the rest; an upload has all its bytes and waits to complete.
        case hold(Gate)
        /// Answer with this HTTP status and error code; an upload so refused stores nothing.
        case respond(status: Int, code: String)
        /// A mount the registry declines (distribution answers 202 and opens an upload instead, so
        /// the client uploads); for any other request, no fault.
        case decline
    }

    /// One request to the registry, logged as it arrives (before any fault acts on it).
    public struct Request: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: String, Sendable {
            case manifestExists = "HEAD manifest"
            case manifestRead = "GET manifest"
            case manifestPut = "PUT manifest"
            case manifestDelete = "DELETE manifest"
            case tagList = "GET tags"
            case blobExists = "HEAD blob"
            case blobRead = "GET blob"
            /// An upload opened (`POST .../blobs/uploads/`).
            case uploadStart = "POST upload"
            /// An upload completed (`PUT ...?digest=`): the blob becomes visible if it checks out.
            case blobUpload = "PUT blob"
            /// An upload given up (`DELETE` of its session): nothing becomes visible.
            case uploadAbort = "DELETE upload"
            case blobMount = "POST mount"
        }

        public let kind: Kind
        public let repository: String
        /// The tag or digest; empty for a tag list and for an upload of content not known ahead.
        public let reference: String
        /// For a mount: the repository it mounts from.
        public let from: String?

        public var description: String { "\(kind.rawValue) \(repository):\(reference)" + (from.map { " from \($0)" } ?? "") }
    }

    struct State: Sendable {
        var repositories: [String: Repository] = [:]
        /// Manifests being written right now, by repository: unreadable, as distribution's links.
        var writing: [String: [Digest: Int]] = [:]
        var requests: [Request] = []
    }

    public let name: String
    /// How long a manifest write takes (the window in which it cannot be read).
    public let manifestWriteTime: Duration
    /// The size of the chunks a blob is read in.
    public let chunkSize: Int
    /// Whether an image manifest is refused while a blob it names is absent, as distribution does.
    public let verifiesBlobs: Bool
    let state = Locked(State())
    private let faults: @Sendable (_ repository: String, _ reference: String, _ attempt: Int) -> Fault?
    private let blobFaults: @Sendable (_ request: Request, _ attempt: Int) -> BlobFault?

    /// `faults` and `blobFaults` are asked about every manifest PUT and blob request with the
    /// attempt it is (1 for the first request of its kind for that repository and reference).
    public init(name: String = "memory", manifestWriteTime: Duration = .zero, chunkSize: Int = 16 * 1024,
                verifiesBlobs: Bool = false,
                faults: @escaping @Sendable (_ repository: String, _ reference: String, _ attempt: Int) -> Fault? = { _, _, _ in nil },
                blobFaults: @escaping @Sendable (_ request: Request, _ attempt: Int) -> BlobFault? = { _, _ in nil }) {
        self.name = name
        self.manifestWriteTime = manifestWriteTime
        self.chunkSize = max(1, chunkSize)
        self.verifiesBlobs = verifiesBlobs
        self.faults = faults
        self.blobFaults = blobFaults
    }

    public func repository(_ path: String) -> MemoryRepository { MemoryRepository(registry: self, path: path) }

    /// Every request so far, in the order they arrived.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// How many requests of `kind` arrived, for one repository and reference if given.
    public func count(_ kind: Request.Kind, in repository: String? = nil, reference: String? = nil) -> Int {
        state.withLock { state in
            state.requests.filter { request in
                request.kind == kind && repository.map { $0 == request.repository } ?? true
                    && reference.map { $0 == request.reference } ?? true
            }.count
        }
    }

    /// How many requests of `kind` arrived for `digest`, in any repository or in one.
    public func count(_ kind: Request.Kind, of digest: Digest, in repository: String? = nil) -> Int {
        count(kind, in: repository, reference: digest.description)
    }

    /// The manifest PUTs so far, as `REPOSITORY:REFERENCE`.
    public var manifestPuts: [String] {
        state.withLock { $0.requests.filter { $0.kind == .manifestPut }.map { "\($0.repository):\($0.reference)" } }
    }

    public func contents(of path: String) -> Repository { state.withLock { $0.repositories[path] ?? Repository() } }

    /// Logs a request; returns which attempt of its kind, repository and reference it is.
    @discardableResult
    func log(_ kind: Request.Kind, _ repository: String, _ reference: String, from: String? = nil) -> Int {
        state.withLock { state in
            state.requests.append(Request(kind: kind, repository: repository, reference: reference, from: from))
            return state.requests.filter { $0.kind == kind && $0.repository == repository && $0.reference == reference }.count
        }
    }

    /// Logs a blob request and asks the hook what to do with it.
    func blobRequest(_ kind: Request.Kind, _ repository: String, _ digest: Digest, from: String? = nil) -> BlobFault? {
        let attempt = log(kind, repository, digest.description, from: from)
        return blobFaults(Request(kind: kind, repository: repository, reference: digest.description, from: from), attempt)
    }

    /// Acts on a fault before the request is answered: waits, or throws as told.
    static func enact(_ fault: BlobFault?, operation: String) async throws {
        switch fault {
        case .delay(let duration)?: try await Task.sleep(for: duration)
        case .hold(let gate)?: try await gate.pass()
        case .respond(let status, let code)?: throw injected(status: status, code: code, operation: operation)
        case .decline?, nil: break
        }
    }

    static func injected(status: Int, code: String, operation: String) -> RegistryError {
        RegistryError(status: status, code: code, message: "refused by the test's fault hook", operation: operation)
    }

    func put(_ document: ManifestDocument, tag: String?, in path: String) async throws {
        let reference = tag ?? document.digest.description
        let attempt = log(.manifestPut, path, reference)
        let operation = "PUT \(name)/\(path):\(reference)"
        switch faults(path, reference, attempt) {
        case .refuseAsMissing(let digest)?:
            throw Self.missing(digest, operation: operation)
        case .lose(let digest)?:
            state.withLock { _ = $0.repositories[path]?.manifests.removeValue(forKey: digest) }
        case .hold(let gate)?:
            try await gate.pass()
        case .respond(let status, let code)?:
            throw Self.injected(status: status, code: code, operation: operation)
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
        if verifiesBlobs, case .image(let image) = document.content {
            // Foreign layers (with `urls`) live elsewhere; distribution does not look for them.
            let missing = state.withLock { state in
                image.blobs.first { $0.urls == nil && state.repositories[path]?.blobs[$0.digest] == nil }
            }
            if let missing { throw Self.missing(missing.digest, operation: operation) }
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

    public func manifestDescriptor(_ reference: String) async throws -> Descriptor? {
        registry.log(.manifestExists, path, reference)
        return resolve(reference)?.descriptor
    }

    public func manifest(_ reference: String) async throws -> ManifestDocument {
        registry.log(.manifestRead, path, reference)
        guard let document = resolve(reference) else {
            throw RegistryError(status: 404, code: "MANIFEST_UNKNOWN", message: "manifest unknown", operation: "GET \(displayName):\(reference)")
        }
        return document
    }

    public func putManifest(_ document: ManifestDocument, tag: String?) async throws {
        try await registry.put(document, tag: tag, in: path)
    }

    public func blobSize(_ digest: Digest) async throws -> Int64? {
        let fault = registry.blobRequest(.blobExists, path, digest)
        try await MemoryRegistry.enact(fault, operation: "HEAD \(displayName)@\(digest)")
        return registry.state.withLock { $0.repositories[path]?.blobs[digest].map { Int64($0.count) } }
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> BlobReader {
        let operation = "GET \(displayName)@\(descriptor.digest)"
        let fault = registry.blobRequest(.blobRead, path, descriptor.digest)
        let gate: Gate?
        if case .hold(let held)? = fault { gate = held } else { gate = nil }
        if gate == nil { try await MemoryRegistry.enact(fault, operation: operation) }
        guard let bytes = registry.state.withLock({ $0.repositories[path]?.blobs[descriptor.digest] }) else {
            throw RegistryError(status: 404, code: "BLOB_UNKNOWN", message: "blob unknown", operation: operation)
        }
        let size = registry.chunkSize
        func chunks(_ part: ArraySlice<UInt8>) -> [[UInt8]] {
            stride(from: part.startIndex, to: part.endIndex, by: size).map { Array(part[$0..<min($0 + size, part.endIndex)]) }
        }
        // Held: the first half arrives, then the stream stalls before the rest.
        let firstHalf = chunks(bytes[..<(bytes.count / 2)])
        let all = firstHalf + chunks(bytes[(bytes.count / 2)...])
        let next = Locked(0)
        return BlobReader(size: Int64(bytes.count)) {
            let index = next.withLock { next in defer { next += 1 }; return next }
            if index == firstHalf.count, let gate { try await gate.pass() }
            return index < all.count ? all[index] : nil
        }
    }

    public func beginUpload(expected: Descriptor?) async throws -> any BlobUpload {
        registry.log(.uploadStart, path, expected?.digest.description ?? "")
        return MemoryBlobUpload(repository: self, expected: expected)
    }

    public func mountBlob(_ digest: Digest, from repository: String) async throws -> Bool {
        let fault = registry.blobRequest(.blobMount, path, digest, from: repository)
        if case .decline? = fault { return false }
        try await MemoryRegistry.enact(fault, operation: "mount \(digest) from \(repository) into \(displayName)")
        return registry.state.withLock { state in
            guard let bytes = state.repositories[repository]?.blobs[digest] else { return false }
            state.repositories[path, default: .init()].blobs[digest] = bytes
            return true
        }
    }

    public func tags() async throws -> [String] {
        registry.log(.tagList, path, "")
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
        registry.log(.manifestDelete, path, reference)
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

    /// Stores a blob directly (test set-up: no request is logged, no fault applies).
    @discardableResult
    public func store(blob bytes: [UInt8]) -> Descriptor {
        let digest = Digest.sha256(of: bytes)
        registry.state.withLock { $0.repositories[path, default: .init()].blobs[digest] = bytes }
        return Descriptor(mediaType: "application/octet-stream", digest: digest, size: Int64(bytes.count))
    }
}

/// An upload into memory, visible only once it completes and its digest checks out.
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
        let registry = repository.registry
        let fault = registry.blobRequest(.blobUpload, repository.path, expected?.digest ?? digest)
        try await MemoryRegistry.enact(fault, operation: "PUT \(repository.displayName) upload of \(expected?.digest ?? digest)")
        if let expected, expected.digest != digest {
            throw DigestMismatchError(what: "blob for \(repository.displayName)", expected: expected.digest.description, actual: digest.description)
        }
        _ = repository.store(blob: content)
        return Descriptor(mediaType: expected?.mediaType ?? "application/octet-stream", digest: digest, size: Int64(content.count))
    }

    func abort() async {
        repository.registry.log(.uploadAbort, repository.path, expected?.digest.description ?? "")
    }
}
