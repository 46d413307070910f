import Foundation
import FreightCore

/// Reads a registry's content with curl, for what skopeo cannot pull (artifacts with configs
/// that are not images): every manifest reachable from a reference, and every blob they name,
/// each checked against its digest and size.
public enum RegistryContent {
    static let accept = "Accept: " + (MediaType.acceptedManifests + ["application/vnd.oci.artifact.manifest.v1+json"]).joined(separator: ", ")

    /// The manifest's raw bytes as the registry serves them.
    public static func manifest(_ host: String, _ repository: String, _ reference: String) throws -> [UInt8] {
        let directory = TemporaryDirectory()
        try Shell.check(["curl", "-sf", "-H", accept, "-o", directory.file("m"), "http://\(host)/v2/\(repository)/manifests/\(reference)"])
        return Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("m"))))
    }

    /// Walks the graph under `reference`; returns how many manifests and blobs it verified.
    @discardableResult
    public static func verify(_ host: String, _ repository: String, _ reference: String) throws -> (manifests: Int, blobs: Int) {
        var manifests = 0, blobs = 0
        var queue = [reference]
        var seen: Set<String> = []
        while let next = queue.popLast() {
            guard seen.insert(next).inserted else { continue }
            let bytes = try manifest(host, repository, next)
            let document = try ManifestDocument(bytes: bytes, contentType: nil, source: "\(host)/\(repository):\(next)")
            if let digest = try? Digest(parsing: next), digest != document.digest {
                throw DigestMismatchFailure(what: "manifest \(repository)@\(next)", got: document.digest)
            }
            manifests += 1
            switch document.content {
            case .index(let index):
                queue += index.manifests.map(\.digest.description)
            case .image(let image):
                for blob in image.blobs {
                    try verifyBlob(host, repository, blob)
                    blobs += 1
                }
            }
        }
        return (manifests, blobs)
    }

    public static func verifyBlob(_ host: String, _ repository: String, _ blob: Descriptor) throws {
        let directory = TemporaryDirectory()
        try Shell.check(["curl", "-sf", "-L", "-o", directory.file("b"), "http://\(host)/v2/\(repository)/blobs/\(blob.digest)"])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("b"))))
        guard Digest.sha256(of: bytes) == blob.digest, Int64(bytes.count) == blob.size else {
            throw DigestMismatchFailure(what: "blob \(repository)@\(blob.digest) (\(bytes.count) bytes)", got: Digest.sha256(of: bytes))
        }
    }

    public struct DigestMismatchFailure: Error, CustomStringConvertible {
        public let what: String
        public let got: Digest
        public var description: String { "\(what) does not match its digest (got \(got))" }
    }
}
