import Foundation
import FreightCore

/// A standard set of test images covering the four manifest media types, written to a layout
/// and pushed to a registry repository.
public struct StandardImages: Sendable {
    /// tag → media type of its top-level manifest
    public static let tags: [String: String] = [
        "oci-single": MediaType.ociManifest,
        "oci-multi": MediaType.ociIndex,
        "docker-single": MediaType.dockerManifest,
        "docker-list": MediaType.dockerManifestList,
    ]

    public let layout: String
    private let directory: TemporaryDirectory

    public init(seed: UInt64 = 1, layerSize: Int = 64 * 1024) throws {
        directory = TemporaryDirectory("images")
        layout = directory.file("layout")
        let builder = try LayoutBuilder(path: layout, seed: seed)
        let shared = try builder.layer(.random(layerSize))
        try builder.tag(try builder.image(layers: [shared, try builder.layer(.random(layerSize))]), "oci-single")
        try builder.tag(try builder.multiPlatform(platforms: [Platform(architecture: "amd64", os: "linux"),
                                                               Platform(architecture: "arm64", os: "linux", variant: "v8")],
                                                  shared: [shared], layerSize: layerSize), "oci-multi")
        let dockerBase = try builder.layer(.random(layerSize), format: .docker)
        try builder.tag(try builder.image(layers: [dockerBase], format: .docker), "docker-single")
        try builder.tag(try builder.multiPlatform(platforms: [Platform(architecture: "amd64", os: "linux"),
                                                               Platform(architecture: "s390x", os: "linux")],
                                                  shared: [dockerBase], layerSize: layerSize, format: .docker), "docker-list")
    }

    /// Pushes every tag to `HOST/REPOSITORY`.
    public func push(to repository: String, user: String? = nil, password: String? = nil) throws {
        for tag in Self.tags.keys.sorted() {
            try Fixtures.push(layout: layout, tag: tag, to: "\(repository):\(tag)", user: user, password: password)
        }
    }
}
