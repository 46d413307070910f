import Foundation
import FreightCore

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/ALG/HEX`).
///
/// Every path inside it is built from a validated `Digest`, and the blob directory is checked
/// to resolve inside the layout, so neither a crafted `index.json` nor a symlink can make a read
/// or write escape it. `index.json` is replaced atomically (write, fsync, rename).
public actor OCILayout {
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"

    public nonisolated let root: String
    private var index: ImageIndex

    private init(root: String, index: ImageIndex) {
        self.root = root
        self.index = index
    }

    /// Opens an existing layout, or creates one when `create` is set and the directory is
    /// missing or empty.
    public static func open(_ path: String, create: Bool) throws -> OCILayout {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw LayoutError(path: path, reason: "exists and is not a directory")
        }
        let layoutFile = "\(path)/oci-layout"
        if !manager.fileExists(atPath: layoutFile) {
            let empty = !exists || ((try? manager.contentsOfDirectory(atPath: path))?.isEmpty ?? false)
            guard create else {
                throw LayoutError(path: path, reason: exists ? "is not an OCI image layout (no oci-layout file)" : "does not exist")
            }
            guard empty else {
                throw LayoutError(path: path, reason: "is not empty and not an OCI image layout; refusing to write into it")
            }
            do {
                try manager.createDirectory(atPath: "\(path)/blobs/sha256", withIntermediateDirectories: true)
                try writeAtomically(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutFile)
                try writeAtomically(Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8),
                                    to: "\(path)/index.json")
            } catch {
                throw LayoutError(path: path, reason: "cannot be created: \(FileSystemProblem.directoryBlocker(path) ?? FileSystemProblem.describe(error))")
            }
        }
        guard let indexData = manager.contents(atPath: "\(path)/index.json") else {
            throw LayoutError(path: path, reason: "has no readable index.json")
        }
        let index: ImageIndex
        do {
            index = try JSONDecoder().decode(ImageIndex.self, from: indexData)
        } catch {
            throw LayoutError(path: path, reason: "index.json is not a valid image index: \(Self.describe(error))")
        }
        return OCILayout(root: try realPath(path), index: index)
    }

    // MARK: Index

    public func descriptor(tag: String) -> Descriptor? {
        index.manifests.last { $0.annotations?[Self.refNameAnnotation] == tag }
    }

    public func tags() -> [String] {
        index.manifests.compactMap { $0.annotations?[Self.refNameAnnotation] }
    }

    /// Every manifest `index.json` lists, tagged or not.
    public func entries() -> [Descriptor] { index.manifests }

    /// Points `tag` at `descriptor`, replacing what the tag named before.
    public func setTag(_ tag: String, to descriptor: Descriptor) throws {
        var entry = descriptor
        entry.annotations = (entry.annotations ?? [:]).merging([Self.refNameAnnotation: tag]) { $1 }
        index.manifests.removeAll { $0.annotations?[Self.refNameAnnotation] == tag }
        index.manifests.append(entry)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(Array(try encoder.encode(index)), to: "\(root)/index.json")
    }

    /// Drops the entry named `tag`.
    public func removeTag(_ tag: String) throws {
        guard index.manifests.contains(where: { $0.annotations?[Self.refNameAnnotation] == tag }) else {
            throw LayoutError(path: root, reason: "has no image tagged \"\(tag)\"")
        }
        index.manifests.removeAll { $0.annotations?[Self.refNameAnnotation] == tag }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(Array(try encoder.encode(index)), to: "\(root)/index.json")
    }

    // MARK: Blobs

    /// The path of a blob; the digest was validated, and the directory must stay inside the layout.
    public nonisolated func blobPath(_ digest: Digest) throws -> String {
        "\(try blobDirectory(digest.algorithm))/\(digest.hex)"
    }

    /// `blobs/ALG`, created if missing, refused if a symlink takes it elsewhere.
    public nonisolated func blobDirectory(_ algorithm: Digest.Algorithm) throws -> String {
        let directory = "\(root)/blobs/\(algorithm.rawValue)"
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let real = try realPath(directory)
        guard real == directory else {
            throw LayoutError(path: root, reason: "blobs/\(algorithm.rawValue) resolves outside the layout (\(real)); refusing to use it")
        }
        return directory
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(UUID().uuidString)"
        let descriptor = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw LayoutError(path: path, reason: "cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else {
                    unlink(temporary)
                    throw LayoutError(path: path, reason: "cannot be written: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        guard fsync(descriptor) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw LayoutError(path: path, reason: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DigestError { return error.description }
        if case DecodingError.dataCorrupted(let context) = error,
           let underlying = context.underlyingError as? CustomStringConvertible {
            return underlying.description
        }
        if let error = error as? DecodingError { return "\(error)".prefix(300).description }
        return FileSystemProblem.describe(error)
    }
}

/// The canonical absolute path (symlinks resolved), as the kernel sees it.
func realPath(_ path: String) throws -> String {
    guard let resolved = realpath(path, nil) else {
        throw LayoutError(path: path, reason: "cannot be resolved: \(String(cString: strerror(errno)))")
    }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// A problem with an OCI layout directory; names the directory.
public struct LayoutError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "OCI layout \(path) \(reason)" }
}
