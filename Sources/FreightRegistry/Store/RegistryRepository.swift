import Foundation
import FreightCore
import FreightHTTP

/// A repository in a registry, over the Distribution API.
public struct RegistryRepository: ImageRepository {
    public let client: RegistryClient
    public let path: String

    public init(client: RegistryClient, path: String) {
        self.client = client
        self.path = path
    }

    public var displayName: String { "\(client.registry)/\(path)" }
    public var storeIdentity: String { "registry:\(client.registry)" }

    private var acceptManifests: HTTPHeaders {
        ["Accept": MediaType.acceptedManifests.joined(separator: ", ")]
    }

    // MARK: Manifests

    public func manifestDescriptor(_ reference: String) async throws -> Descriptor? {
        let operation = "HEAD \(displayName):\(reference)"
        let response = try await client.send(.init(.head, "/v2/\(path)/manifests/\(reference)", scopes: [.pull(path)],
                                                   accept: [200, 404], operation: operation, headers: acceptManifests))
        await response.body.discard()
        guard response.status == 200 else { return nil }
        guard let digestText = response.headers["Docker-Content-Digest"],
              let digest = try? Digest(parsing: digestText),
              let contentType = response.headers["Content-Type"],
              let size = response.headers["Content-Length"].flatMap(Int64.init)
        else {
            // Some registries leave these out of HEAD answers; the full manifest tells.
            return try await manifest(reference).descriptor
        }
        return Descriptor(mediaType: ManifestDocument.stripParameters(contentType), digest: digest, size: size)
    }

    public func manifest(_ reference: String) async throws -> ManifestDocument {
        if let requested = try? Digest(parsing: reference), !requested.isVerifiable {
            throw UnsupportedDigestError(what: "the manifest \(displayName)@\(requested)", digest: requested)
        }
        let operation = "GET \(displayName):\(reference)"
        let source = "\(displayName):\(reference)"
        let response: RegistryClient.FetchedResponse
        do {
            response = try await client.fetch(.init(.get, "/v2/\(path)/manifests/\(reference)", scopes: [.pull(path)],
                                                    accept: [200], operation: operation, headers: acceptManifests),
                                              limit: ManifestDocument.maxSize) { head in
                if let length = head.headers["Content-Length"].flatMap(Int.init), length > ManifestDocument.maxSize {
                    throw ManifestError(source: source,
                                        reason: "the manifest is \(length) bytes, over the \(ManifestDocument.maxSize)-byte limit")
                }
            }
        } catch is HTTPBodyTooLarge {
            throw ManifestError(source: source, reason: "the manifest is over the \(ManifestDocument.maxSize)-byte limit")
        }
        let bytes = response.body
        let document = try ManifestDocument(bytes: bytes, contentType: response.headers["Content-Type"],
                                            source: "\(displayName):\(reference)")
        if let requested = try? Digest(parsing: reference), requested != document.digest {
            throw DigestMismatchError(what: "manifest \(displayName)@\(requested)", expected: requested.description,
                                      actual: document.digest.description)
        }
        if let header = response.headers["Docker-Content-Digest"], let claimed = try? Digest(parsing: header),
           claimed.algorithm == .sha256, claimed != document.digest {
            throw DigestMismatchError(what: "manifest \(displayName):\(reference)", expected: claimed.description,
                                      actual: document.digest.description)
        }
        return document
    }

    public func putManifest(_ document: ManifestDocument, tag: String?) async throws {
        try await put(document, reference: tag ?? document.digest.description, headers: [:])
    }

    public func replaceManifest(_ document: ManifestDocument, tag: String, expected: Digest?) async throws {
        // distribution serves a manifest's ETag as its quoted digest.
        try await put(document, reference: tag, headers: expected.map { ["If-Match": "\"\($0)\""] } ?? [:])
    }

    private func put(_ document: ManifestDocument, reference: String, headers extra: HTTPHeaders) async throws {
        try await client.prepareForWrite(path)
        let operation = "PUT \(displayName):\(reference)"
        var headers: HTTPHeaders = ["Content-Type": document.mediaType]
        for (name, value) in extra { headers.set(name, value) }
        let response = try await client.send(.init(.put, "/v2/\(path)/manifests/\(reference)", scopes: [.push(path)],
                                                   accept: [200, 201, 202, 204], operation: operation,
                                                   headers: headers, body: .bytes(document.bytes)))
        await response.body.discard()
        // A registry with the referrers API says so when it takes a manifest with a subject.
        if response.headers["OCI-Subject"] != nil { client.learnReferrersAPI() }
        if let header = response.headers["Docker-Content-Digest"], let stored = try? Digest(parsing: header),
           stored.algorithm == .sha256, stored != document.digest {
            throw DigestMismatchError(what: "manifest stored at \(displayName):\(reference)",
                                      expected: document.digest.description, actual: stored.description)
        }
    }

    // MARK: Blobs

    public func blobSize(_ digest: Digest) async throws -> Int64? {
        var request = RegistryClient.Request(.head, "/v2/\(path)/blobs/\(digest)", scopes: [.pull(path)],
                                             accept: [200, 404], operation: "HEAD blob \(displayName)@\(digest.short)")
        request.followRedirects = true
        let response = try await client.send(request)
        await response.body.discard()
        guard response.status == 200 else { return nil }
        return response.headers["Content-Length"].flatMap(Int64.init) ?? -1
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> BlobReader {
        var request = RegistryClient.Request(.get, "/v2/\(path)/blobs/\(descriptor.digest)", scopes: [.pull(path)],
                                             accept: [200], operation: "GET blob \(displayName)@\(descriptor.digest)")
        request.followRedirects = true
        let response = try await client.send(request)
        let body = response.body
        return BlobReader(size: response.headers["Content-Length"].flatMap(Int64.init),
                          next: { try await body.next() }, close: { body.close() })
    }

    public func beginUpload(expected: Descriptor?) async throws -> any BlobUpload {
        try await client.prepareForWrite(path)
        let operation = "POST upload \(displayName)"
        let response = try await client.send(.init(.post, "/v2/\(path)/blobs/uploads/", scopes: [.push(path)],
                                                   accept: [202], operation: operation))
        await response.body.discard()
        guard let location = response.headers["Location"] else {
            throw ProtocolError(operation: operation, reason: "202 without a Location header")
        }
        return RegistryBlobUpload(repository: self, location: try client.resolve(location, base: response.head.url, operation: operation),
                                  expected: expected)
    }

    public func mountBlob(_ digest: Digest, from repository: String) async throws -> Bool {
        try await client.prepareForWrite(path)
        let url = RegistryClient.appendingQuery(RegistryClient.appendingQuery("/v2/\(path)/blobs/uploads/", "mount", digest.description),
                                                "from", repository)
        let response: HTTPResponse
        do {
            response = try await client.send(.init(.post, url, scopes: [.push(path), .pull(repository)], accept: [201, 202],
                                                   operation: "mount \(digest.short) from \(repository) into \(displayName)"))
        } catch let error as RegistryError where error.isUnauthorized || error.isNotFound || error.status == 405 {
            // No pull right on the other repository, or no mount support: upload instead.
            return false
        }
        await response.body.discard()
        if response.status == 201 { return true }
        // 202: the registry opened an upload session instead; close it, the caller uploads.
        if let location = response.headers["Location"],
           let url = try? client.resolve(location, base: response.head.url, operation: "cancel upload") {
            _ = try? await client.send(.init(.delete, url, scopes: [.push(path)], accept: [200, 202, 204, 404],
                                             operation: "cancel upload")).body.discard()
        }
        return false
    }

    public func referrers(of subject: Digest) async throws -> [Descriptor]? {
        guard try await keepsReferrers() else { return nil }
        return try await listReferrers(of: subject)
    }

    /// `GET /v2/NAME/referrers/DIGEST`: the list, or nil from a registry without the API.
    private func listReferrers(of subject: Digest) async throws -> [Descriptor]? {
        let operation = "GET referrers of \(displayName)@\(subject.short)"
        let response = try await client.fetch(.init(.get, "/v2/\(path)/referrers/\(subject)", scopes: [.pull(path)], accept: [200, 400, 404, 405],
                                                    operation: operation, headers: ["Accept": MediaType.ociIndex]),
                                              limit: ManifestDocument.maxSize)
        // A registry with the API never answers 404 (an unknown subject has no referrers): 404
        // is a registry without it, as distribution 2.8; 400 and 405 are others' way to say so.
        guard response.status == 200 else { return nil }
        guard let index = try? JSONDecoder().decode(ImageIndex.self, from: Data(response.body)) else {
            throw ProtocolError(operation: operation, reason: "the answer is not an image index")
        }
        return index.manifests
    }

    /// A digest nothing refers to: a registry with the API answers it with an empty list.
    public static let referrersProbe = Digest.sha256(of: Array("freightliner referrers probe".utf8))

    /// Whether the registry has the referrers API, asked once per registry (about a digest
    /// nothing refers to).
    public func keepsReferrers() async throws -> Bool {
        try await client.hasReferrersAPI { try await listReferrers(of: Self.referrersProbe) != nil }
    }

    public func deleteManifest(_ reference: String) async throws {
        try await client.prepareForWrite(path)
        let response = try await client.send(.init(.delete, "/v2/\(path)/manifests/\(reference)", scopes: [.delete(path)],
                                                   accept: [200, 202, 204], operation: "DELETE \(displayName):\(reference)"))
        await response.body.discard()
    }

    public func validateTag(_ tag: String) throws {
        try ImageReference.validateTag(tag, in: "\(displayName):\(tag)")
    }

    // MARK: Listing

    public func tags() async throws -> [String] {
        struct Page: Decodable {
            var tags: [String]?
        }
        let operation = "list tags of \(displayName)"
        return try await client.paginate(start: "/v2/\(path)/tags/list?n=1000", scopes: [.pull(path)], operation: operation) { bytes in
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(bytes)) else {
                throw ProtocolError(operation: operation, reason: "the answer is not a tag list")
            }
            // A tag becomes part of request paths (`/manifests/TAG`): one like "../../other"
            // would aim a read, or a push, at another repository.
            for tag in page.tags ?? [] {
                do {
                    try ImageReference.validateTag(tag, in: tag)
                } catch let error as ReferenceError {
                    throw ProtocolError(operation: operation, reason: "the registry listed an invalid tag \"\(tag)\": \(error.reason)")
                }
            }
            return page.tags ?? []
        }
    }
}

/// An upload in progress: `PUT ?digest=` with the blob streamed as the body when the digest is
/// known, else a streamed `PATCH` followed by `PUT ?digest=`.
actor RegistryBlobUpload: BlobUpload {
    private let repository: RegistryRepository
    private let location: String
    private var verifier: BlobVerifier
    private let channel = ByteChannel(capacity: 1 << 20)
    private var request: Task<HTTPResponse, any Error>?

    init(repository: RegistryRepository, location: String, expected: Descriptor?) {
        self.repository = repository
        self.location = location
        self.verifier = BlobVerifier(expected: expected, what: "blob \(expected?.digest.description ?? "") for \(repository.displayName)")
    }

    private func startRequest() {
        guard request == nil else { return }
        let client = repository.client, path = repository.path, location = self.location, channel = self.channel
        let request: RegistryClient.Request
        if let expected = verifier.expected {
            request = .init(.put, RegistryClient.appendingQuery(location, "digest", expected.digest.description), scopes: [.push(path)],
                            accept: [201, 204], operation: "PUT blob \(expected.digest) to \(repository.displayName)",
                            headers: ["Content-Type": "application/octet-stream"], body: .stream(channel, length: expected.size))
        } else {
            request = .init(.patch, location, scopes: [.push(path)], accept: [202, 204],
                            operation: "PATCH blob upload to \(repository.displayName)",
                            headers: ["Content-Type": "application/octet-stream"], body: .stream(channel, length: nil))
        }
        self.request = Task { try await client.send(request) }
    }

    func write(_ chunk: [UInt8]) async throws {
        guard let forward = try verifier.accept(chunk) else { return }
        startRequest()
        try await send(forward)
    }

    private func send(_ chunk: [UInt8]) async throws {
        do {
            try await channel.write(chunk)
        } catch is ByteChannelClosed {
            // The registry answered before taking the whole body: its answer says why.
            _ = try await request?.value
            throw ProtocolError(operation: "upload to \(repository.displayName)", reason: "the registry closed the upload early")
        }
    }

    func commit() async throws -> Descriptor {
        let (descriptor, last): (Descriptor, [UInt8]?)
        do {
            (descriptor, last) = try verifier.finish(mediaType: "application/octet-stream")
        } catch {
            await abort()
            throw error
        }
        startRequest()
        if let last { try await send(last) }
        channel.finish()
        let response = try await request!.value
        await response.body.discard()
        var final = response
        if verifier.expected == nil {
            let operation = "PUT blob \(descriptor.digest) to \(repository.displayName)"
            guard let next = response.headers["Location"] else {
                throw ProtocolError(operation: operation, reason: "the PATCH answer has no Location")
            }
            let url = try repository.client.resolve(next, base: response.head.url, operation: operation)
            do {
                final = try await repository.client.send(.init(.put, RegistryClient.appendingQuery(url, "digest", descriptor.digest.description),
                                                               scopes: [.push(repository.path)], accept: [201, 204], operation: operation))
            } catch let error as RegistryError where error.isNotFound {
                // The PUT is retried when its answer is lost; if the first one went through, the
                // session is gone and the retry gets 404 although the blob is stored: look.
                guard try await repository.blobSize(descriptor.digest) == descriptor.size else { throw error }
                return descriptor
            }
            await final.body.discard()
        }
        if let header = final.headers["Docker-Content-Digest"], let stored = try? Digest(parsing: header),
           stored.algorithm == .sha256, stored != descriptor.digest {
            throw DigestMismatchError(what: "blob stored in \(repository.displayName)", expected: descriptor.digest.description,
                                      actual: stored.description)
        }
        return descriptor
    }

    func abort() async {
        channel.fail(CancellationError())
        request?.cancel()
        _ = try? await request?.value
        let response = try? await repository.client.send(.init(.delete, location, scopes: [.push(repository.path)],
                                                              accept: [200, 202, 204, 404], operation: "cancel upload"))
        await response?.body.discard()
    }
}
