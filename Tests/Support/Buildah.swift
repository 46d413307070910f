import Foundation
import FreightCore
import FreightRegistry

/// Debian's buildah as an image producer, the way users make images: from scratch, with files
/// copied in, committed and pushed in OCI or Docker format with each compression it offers.
///
/// Every call runs with `--storage-driver vfs` and a private `--root`/`--runroot` under this
/// builder's temporary directory, inside a private mount namespace where root's blob-info cache
/// (`/var/lib/containers/cache`, shared by buildah and skopeo) is a directory of this builder's
/// own: a stale entry there would make a push reuse a blob of another test's registry.
public final class Buildah: Sendable {
    public enum Format: String, Sendable {
        case oci
        case docker = "v2s2"
    }

    public enum Compression: String, Sendable, CaseIterable {
        case gzip, zstd
        case zstdChunked = "zstd:chunked"
        case none
    }

    private let directory = TemporaryDirectory("buildah")

    public init() throws {
        guard getuid() == 0 else { throw Unavailable(reason: "buildah tests need root (a private mount namespace)") }
        for tool in ["buildah", "unshare"] where (try? Shell.run(["sh", "-c", "command -v \(tool)"]).status) != 0 {
            throw Unavailable(reason: "\(tool) is not installed: run `make deps`")
        }
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Runs `buildah ARGUMENTS` (or `podman`, which shares buildah's storage) and returns
    /// stdout. Each call gets an empty blob-info cache: one push must not reuse what another
    /// push of the same image compressed differently.
    @discardableResult
    public func run(_ arguments: [String], tool: String = "buildah") throws -> String {
        let cache = "/var/lib/containers/cache"
        let privateCache = directory.file("cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: privateCache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: privateCache) }
        let command = [tool, "--root", directory.file("root"), "--runroot", directory.file("runroot"), "--storage-driver", "vfs"] + arguments
        let script = "mkdir -p \(cache) && mount --bind \"$0\" \(cache) && exec \"$@\""
        return try Shell.check(["unshare", "-m", "sh", "-c", script, privateCache] + command).stdout
    }

    /// Builds `name` (`localhost/NAME`) from scratch for `architecture`, with these files.
    public func image(_ name: String, architecture: String = "amd64", files: [String: [UInt8]], format: Format = .oci) throws {
        let context = directory.file("context-\(name)")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        let container = try run(["from", "--arch", architecture, "scratch"]).trimmingCharacters(in: .whitespacesAndNewlines)
        for (path, content) in files.sorted(by: { $0.key < $1.key }) {
            let file = "\(context)/\(URL(fileURLWithPath: path).lastPathComponent)"
            try Data(content).write(to: URL(fileURLWithPath: file))
            try run(["copy", container, file, path])
        }
        try run(["config", "--arch", architecture, "--os", "linux", "--label", "made-by=freightliner-tests", container])
        try run(["commit", "-q", "--format", format == .oci ? "oci" : "docker", container, name])
        try run(["rm", container])
    }

    /// Pushes `name` to a registry reference (`HOST/REPO:TAG`, plain HTTP). Uncompressed
    /// layers cannot be pushed to a registry by buildah (it compresses them whatever it is
    /// told), so those go to a `dir:` first and from there, byte for byte, into the registry.
    public func push(_ name: String, to reference: String, format: Format, compression: Compression) throws {
        if compression == .none {
            let dir = directory.file("dir-\(UUID().uuidString)")
            try run(["push", "-q", "--format", format.rawValue, "--disable-compression", name, "dir:\(dir)"])
            let layout = directory.file("layout-\(UUID().uuidString)")
            try DirTransport.layout(from: dir, into: layout, tag: "image")
            try Fixtures.push(layout: layout, tag: "image", to: reference)
            return
        }
        try run(["push", "-q", "--tls-verify=false", "--format", format.rawValue, "--compression-format", compression.rawValue,
                 name, "docker://\(reference)"])
    }

    /// A manifest list over `images`, pushed with every image (`buildah manifest push --all`).
    public func pushList(_ list: String, of images: [String], to reference: String, format: Format = .oci) throws {
        try run(["manifest", "create", list])
        for image in images { try run(["manifest", "add", list, "containers-storage:localhost/\(image)"]) }
        try run(["manifest", "push", "-q", "--all", "--tls-verify=false", "--format", format.rawValue, list, "docker://\(reference)"])
    }

    /// `podman save --format oci-dir`: a layout whose `ref.name` is the full reference.
    public func podmanSave(_ name: String, into layout: String) throws {
        try run(["save", "-q", "--format", "oci-dir", "-o", layout, name], tool: "podman")
    }
}

/// containers/image's `dir:` transport (`manifest.json`, blobs named by hex digest), turned
/// into an OCI layout byte for byte so `push_layout.py` can push it unchanged.
public enum DirTransport {
    public static func layout(from dir: String, into layout: String, tag: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: "\(layout)/blobs/sha256", withIntermediateDirectories: true)
        let manifest = Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/manifest.json")))
        let document = try ManifestDocument(bytes: manifest, contentType: nil, source: dir)
        try Data(manifest).write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(document.digest.hex)"))
        for file in try manager.contentsOfDirectory(atPath: dir) where file.count == 64 {
            try manager.copyItem(atPath: "\(dir)/\(file)", toPath: "\(layout)/blobs/sha256/\(file)")
        }
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: "\(layout)/oci-layout"))
        var entry = document.descriptor
        entry.annotations = [OCILayout.refNameAnnotation: tag]
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [entry])
        try Data(try ManifestDocument(encoding: .index(index)).bytes).write(to: URL(fileURLWithPath: "\(layout)/index.json"))
    }
}
