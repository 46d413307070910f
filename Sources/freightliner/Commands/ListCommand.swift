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
        // Rows stream out in order as they are read, so a long listing starts at once; a table
        // has fixed columns (TAG as wide as the longest tag, known from the list) for that.
        let tagWidth = max(3, entries.map { ($0.tag ?? "-").count }.max() ?? 0)
        if !json { Console.out(Self.tableLine(["TAG", "DIGEST", "TYPE", "SIZE", "PLATFORMS"], tagWidth: tagWidth)) }
        var rows: [Row] = []
        await Self.describe(entries, in: repository, window: Self.window) { row in
            rows.append(row)
            if json {
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
            } else {
                let digest = row.digest.map { "\($0.algorithm.rawValue):\($0.short)" } ?? "-"
                let cells = row.error != nil ? [row.tag ?? "-", digest, "unreadable", "-", "-"]
                    : [row.tag ?? "-", digest, Self.shortType(row.mediaType), ByteFormat.string(row.size),
                       row.platforms.isEmpty ? "-" : row.platforms.joined(separator: ",")]
                Console.out(Self.tableLine(cells, tagWidth: tagWidth))
            }
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

    /// Manifests read at once: enough to keep a registry across a WAN busy, few enough for one
    /// that rations requests.
    static let window = 32

    /// Describes every entry, at most `window` at a time, and hands each row to `emit` in the
    /// entries' order as soon as it and every row before it are known. Reading runs at most
    /// `4 × window` entries ahead of the oldest row not yet emitted, so memory stays bounded
    /// behind one slow manifest.
    private static func describe(_ entries: [Entry], in repository: any ImageRepository, window: Int,
                                 emit: (Row) -> Void) async {
        await withTaskGroup(of: (Int, Row).self) { group in
            var next = 0, emitted = 0, inFlight = 0
            var ready: [Int: Row] = [:]
            while true {
                while next < entries.count, inFlight < window, next < emitted + 4 * window {
                    let position = next, entry = entries[position]
                    group.addTask { (position, await Self.describe(entry, in: repository)) }
                    next += 1
                    inFlight += 1
                }
                guard let (position, row) = await group.next() else { return }
                inFlight -= 1
                ready[position] = row
                while let row = ready.removeValue(forKey: emitted) {
                    emit(row)
                    emitted += 1
                }
            }
        }
    }

    /// One row of the tag table: TAG padded to `tagWidth`, DIGEST and TYPE to their longest
    /// usual values, SIZE right-aligned, PLATFORMS last.
    static func tableLine(_ cells: [String], tagWidth: Int) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        let size = String(repeating: " ", count: max(0, 9 - cells[3].count)) + cells[3]
        return [pad(cells[0], tagWidth), pad(cells[1], 19), pad(cells[2], 12), size, cells[4]].joined(separator: "  ") + "\n"
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
