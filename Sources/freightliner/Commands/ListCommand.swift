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
        let client = try connections.client(for: prefix.registry, role: .source)
        var notARepository: RegistryError?
        if !prefix.prefix.isEmpty, !repositoriesOnly {
            let repository = RegistryRepository(client: client, path: prefix.prefix)
            do {
                try await listTags(of: repository)
                return
            } catch let error as RegistryError where error.isNotFound {
                // Not a repository: list what is under it instead.
                notARepository = error
            }
        }
        let names: [String]
        do {
            names = try await client.repositories(under: prefix.prefix)
        } catch let error where notARepository != nil {
            // No catalog to look in (often not allowed): the path itself was not found.
            throw notFound(notARepository!, because: "and its catalog cannot be listed (\(error))")
        }
        if names.isEmpty, let notARepository {
            throw notFound(notARepository, because: "and no repository is under it")
        }
        if json {
            for name in names { JSONReporter.write(["repository": name]) }
        } else {
            for name in names { print(name) }
        }
    }

    /// A path that is neither a repository nor a prefix of one: the registry's own answer
    /// (`NAME_UNKNOWN`), exit 1 as for any item that is not there.
    private func notFound(_ error: RegistryError, because detail: String) -> ExitCode {
        printError("\(error) \(detail)")
        return ExitCode(ExitStatus.failedItems)
    }

    /// One image of the listing: what it is, or why it could not be read.
    private struct Row: Sendable {
        /// The tag, or nil for a layout's image without a `ref.name`.
        let tag: String?
        /// The digest when known before reading (a layout's entries), else from the manifest.
        var digest: Digest?
        var mediaType = ""
        var platforms: [String] = []
        var size: Int64 = 0
        var error: String?
    }

    /// What `listTags` reads: a tag or digest, and the row's name for it.
    private struct Entry: Sendable {
        let tag: String?
        let reference: String
        let digest: Digest?
    }

    /// Lists every image it can; one that cannot be read (a schema 1 tag, a manifest the
    /// registry cannot serve) is listed with its reason, and the command then exits 1.
    private func listTags(of repository: any ImageRepository) async throws {
        let entries: [Entry]
        if let layout = repository as? OCILayoutRepository {
            // By digest, so an image without a name (or two names for one) is listed too.
            entries = await layout.layout.entries().map { descriptor in
                Entry(tag: descriptor.annotations?[OCILayout.refNameAnnotation], reference: descriptor.digest.description,
                      digest: descriptor.digest)
            }
        } else {
            entries = Self.ordered(try await repository.tags()).map { Entry(tag: $0, reference: $0, digest: nil) }
        }
        let rows = await withTaskGroup(of: (Int, Row).self) { group in
            let lane = AsyncSemaphore(permits: 8)
            for (position, entry) in entries.enumerated() {
                group.addTask {
                    do {
                        return try await lane.withPermit { (position, await Self.describe(entry, in: repository)) }
                    } catch {
                        return (position, Row(tag: entry.tag, digest: entry.digest, error: "cancelled"))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if json {
            for row in rows {
                var object: [String: Any] = ["tag": row.tag ?? NSNull()]
                if let digest = row.digest { object["digest"] = digest.description }
                if let error = row.error {
                    object["error"] = error
                } else {
                    object["media_type"] = row.mediaType
                    object["platforms"] = row.platforms
                    object["size"] = row.size
                }
                JSONReporter.write(object)
            }
        } else {
            printTable([["TAG", "DIGEST", "TYPE", "PLATFORMS", "SIZE"]] + rows.map { row in
                let digest = row.digest.map { "\($0.algorithm.rawValue):\($0.short)" } ?? "-"
                guard row.error == nil else { return [row.tag ?? "-", digest, "unreadable", "-", "-"] }
                return [row.tag ?? "-", digest, Self.shortType(row.mediaType),
                        row.platforms.isEmpty ? "-" : row.platforms.joined(separator: ","), ByteFormat.string(row.size)]
            })
        }
        let unreadable = rows.filter { $0.error != nil }
        for row in unreadable {
            let name = "\(repository.displayName):\(row.tag ?? row.digest?.description ?? "?")"
            let error = row.error ?? ""
            printError(error.contains(name) ? error : "\(name): \(error)")
        }
        if !unreadable.isEmpty {
            printError("\(unreadable.count) of \(rows.count) images could not be read; the others are listed")
            throw ExitCode(ExitStatus.failedItems)
        }
    }

    /// Digest, media type, platforms and total size (manifests and blobs) of one image; an
    /// image that cannot be read gets its reason instead.
    private static func describe(_ entry: Entry, in repository: any ImageRepository) async -> Row {
        var row = Row(tag: entry.tag, digest: entry.digest)
        do {
            let document = try await repository.manifest(entry.reference)
            row.digest = document.digest
            row.mediaType = document.mediaType
            row.size = Int64(document.bytes.count)
            switch document.content {
            case .image(let manifest):
                row.size += manifest.blobs.reduce(0) { $0 + $1.size }
            case .index(let index):
                for child in index.manifests where MediaType.isImageManifest(child.mediaType) {
                    if case .image(let manifest) = try await repository.manifest(child.digest.description).content {
                        row.size += child.size + manifest.blobs.reduce(0) { $0 + $1.size }
                    }
                }
                row.platforms = index.manifests.compactMap { $0.platform?.description }
            }
        } catch {
            row.error = "\(error)"
        }
        return row
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
