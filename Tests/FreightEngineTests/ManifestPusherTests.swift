import FreightCore
@testable import FreightEngine
import FreightRegistry
import FreightTestSupport
import Testing

/// Manifest pushes into a repository: each child once, never while a parent that names it is
/// verified, a lost child pushed again, and an error that names the missing child. In-process,
/// against `MemoryRegistry`, which refuses an index as distribution does.
@Suite("manifest pushes", .budget(minutes: 5))
struct ManifestPusherTests {
    /// A two-platform index over config-less images (the pusher never reads blobs), and a nested
    /// index over it.
    struct Graph {
        let children: [ManifestDocument]
        let index: ManifestDocument
        let nested: ManifestDocument

        init() throws {
            children = try ["amd64", "arm64"].map { architecture in
                let config = Descriptor(mediaType: MediaType.ociConfig, digest: Digest.sha256(of: Array(architecture.utf8)), size: 2)
                return try ManifestDocument(encoding: .image(ImageManifest(mediaType: MediaType.ociManifest, config: config, layers: [])))
            }
            index = try ManifestDocument(encoding: .index(ImageIndex(mediaType: MediaType.ociIndex,
                                                                     manifests: children.map(\.descriptor))))
            nested = try ManifestDocument(encoding: .index(ImageIndex(mediaType: MediaType.ociIndex, manifests: [index.descriptor])))
        }
    }

    @Test("release tags of one index pushed at once: each child is PUT once and no index is refused")
    func sharedChildren() async throws {
        let graph = try Graph()
        // Writes take long enough that unguarded pushes would overlap (and be refused).
        let registry = MemoryRegistry(manifestWriteTime: .milliseconds(20))
        let repository = registry.repository("team/app")
        let pusher = ManifestPusher(locks: ManifestLocks())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tag in ["latest", "stable", "1", "1.0.0"] {
                group.addTask { try await pusher.push(graph.children, top: graph.index, tag: tag, to: repository) }
            }
            for tag in ["nested", "nested-1"] {
                group.addTask { try await pusher.push(graph.children + [graph.index], top: graph.nested, tag: tag, to: repository) }
            }
            try await group.waitForAll()
        }
        let puts = registry.manifestPuts
        for child in graph.children {
            #expect(puts.filter { $0 == "team/app:\(child.digest)" }.count == 1, "\(puts)")
        }
        #expect(Set(registry.contents(of: "team/app").tags.keys) == ["latest", "stable", "1", "1.0.0", "nested", "nested-1"])
    }

    @Test("without the locks the same pushes are refused: the memory registry reproduces the race")
    func unguardedPushesRace() async throws {
        let graph = try Graph()
        let registry = MemoryRegistry(manifestWriteTime: .milliseconds(20))
        let repository = registry.repository("team/app")
        let refused = await withTaskGroup(of: Bool.self) { group in
            for tag in ["latest", "stable", "1", "1.0.0"] {
                group.addTask {
                    do {
                        for child in graph.children { try await repository.putManifest(child, tag: nil) }
                        try await repository.putManifest(graph.index, tag: tag)
                        return false
                    } catch let error as RegistryError {
                        return error.isManifestBlobUnknown
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(refused > 0, "the test double must show the failure the locks prevent")
    }

    @Test("a child the registry lost is confirmed missing, pushed again, and the index retried")
    func lostChild() async throws {
        let graph = try Graph()
        let lost = graph.children[1].digest
        let registry = MemoryRegistry { _, reference, attempt in
            reference == "v1" && attempt == 1 ? .lose(lost) : nil
        }
        let repository = registry.repository("team/app")
        try await ManifestPusher(locks: ManifestLocks()).push(graph.children, top: graph.index, tag: "v1", to: repository)
        let puts = registry.manifestPuts
        #expect(puts.filter { $0 == "team/app:\(lost)" }.count == 2, "\(puts)")
        #expect(puts.filter { $0 == "team/app:v1" }.count == 2, "\(puts)")
        #expect(registry.contents(of: "team/app").tags["v1"] == graph.index.digest)
    }

    @Test("a registry that keeps refusing: the error names the missing child and the attempts, not DIGEST_INVALID")
    func refusedForGood() async throws {
        let graph = try Graph()
        let child = graph.children[0].digest
        let registry = MemoryRegistry { _, reference, _ in reference == "v1" ? .refuseAsMissing(child) : nil }
        let repository = registry.repository("team/app")
        let error = await #expect(throws: MissingChildError.self) {
            try await ManifestPusher(locks: ManifestLocks()).push(graph.children, top: graph.index, tag: "v1", to: repository)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("child manifest \(child)"), "\(text)")
        #expect(text.contains("3 attempts"), "\(text)")
        #expect(text.hasPrefix("PUT memory/team/app:v1"), "\(text)")
        #expect(registry.manifestPuts.filter { $0 == "team/app:v1" }.count == 3)
    }

    @Test("the registry's error body keeps every code and the detail digest")
    func errorEntries() throws {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        let body = #"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"},"#
            + #"{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"\#(digest)"}]}"#
        let error = RegistryError(status: 400, headers: [:], body: Array(body.utf8), operation: "PUT r/app:stable")
        #expect(error.isManifestBlobUnknown)
        #expect(error.unknownReferences == [try Digest(parsing: digest)])
        #expect(error.description.contains("blob unknown to registry: \(digest)"), "\(error)")
        #expect(error.description.contains("DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN"), "\(error)")
    }
}
