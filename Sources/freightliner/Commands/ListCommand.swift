import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightRegistry

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List repositories under a prefix, or the tags of a repository with digest, type, platforms and size.",
        discussion: """
            HOST[/PREFIX] lists repositories (the catalog); HOST/REPO lists its tags; oci:DIR lists a layout's tags.
            A path that is not a repository is taken as a prefix.
            """
    )

    @Argument(help: "HOST[/PREFIX], HOST/REPO or oci:DIR.")
    var reference: String

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(name: .customLong("repositories"), help: "List repositories under the path even if it is a repository itself.")
    var repositoriesOnly = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            try await list()
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }

    private func list() async throws {
        let connections = try connection.wire().connections
        if reference.hasPrefix("oci:") {
            let (repository, _) = try connections.repository(for: try ImageLocation(parsing: reference), role: .source)
            try await listTags(of: repository)
            return
        }
        let prefix = try RegistryPrefix(parsing: reference)
        let client = connections.client(for: prefix.registry, role: .source)
        if !prefix.prefix.isEmpty, !repositoriesOnly {
            let repository = RegistryRepository(client: client, path: prefix.prefix)
            do {
                try await listTags(of: repository)
                return
            } catch let error as RegistryError where error.isNotFound {
                // Not a repository: list what is under it instead.
            }
        }
        let names = try await client.repositories(under: prefix.prefix)
        if json {
            for name in names { JSONReporter.write(["repository": name]) }
        } else {
            for name in names { print(name) }
        }
    }

    private struct Row: Sendable {
        let tag: String
        let descriptor: Descriptor
        let platforms: [String]
        let size: Int64
    }

    private func listTags(of repository: any ImageRepository) async throws {
        let tags = Self.ordered(try await repository.tags())
        let rows = try await withThrowingTaskGroup(of: (Int, Row).self) { group in
            let lane = AsyncSemaphore(permits: 8)
            for (position, tag) in tags.enumerated() {
                group.addTask {
                    try await lane.withPermit { (position, try await Self.describe(tag, in: repository)) }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if json {
            for row in rows {
                JSONReporter.write(["tag": row.tag, "digest": row.descriptor.digest.description, "media_type": row.descriptor.mediaType,
                                    "platforms": row.platforms, "size": row.size])
            }
            return
        }
        printTable([["TAG", "DIGEST", "TYPE", "PLATFORMS", "SIZE"]] + rows.map { row in
            [row.tag, "sha256:\(row.descriptor.digest.short)", Self.shortType(row.descriptor.mediaType),
             row.platforms.isEmpty ? "-" : row.platforms.joined(separator: ","), ByteFormat.string(row.size)]
        })
    }

    /// Digest, media type, platforms and total size (manifests and blobs) of one tag.
    private static func describe(_ tag: String, in repository: any ImageRepository) async throws -> Row {
        let document = try await repository.manifest(tag)
        switch document.content {
        case .image(let manifest):
            let size = Int64(document.bytes.count) + manifest.blobs.reduce(0) { $0 + $1.size }
            return Row(tag: tag, descriptor: document.descriptor, platforms: [], size: size)
        case .index(let index):
            var size = Int64(document.bytes.count)
            for child in index.manifests where MediaType.isImageManifest(child.mediaType) {
                if case .image(let manifest) = try await repository.manifest(child.digest.description).content {
                    size += child.size + manifest.blobs.reduce(0) { $0 + $1.size }
                }
            }
            let platforms = index.manifests.compactMap { $0.platform?.description }
            return Row(tag: tag, descriptor: document.descriptor, platforms: platforms, size: size)
        }
    }

    /// Versions in version order (1.2 before 1.10), then other tags by name.
    static func ordered(_ tags: [String]) -> [String] {
        tags.sorted { left, right in
            switch (SemanticVersion(tag: left), SemanticVersion(tag: right)) {
            case let (l?, r?): return l == r ? left < right : l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
    }

    static func shortType(_ mediaType: String) -> String {
        switch mediaType {
        case MediaType.ociIndex: return "oci-index"
        case MediaType.ociManifest: return "oci-manifest"
        case MediaType.dockerManifestList: return "docker-list"
        case MediaType.dockerManifest: return "docker-v2"
        default: return mediaType
        }
    }
}
