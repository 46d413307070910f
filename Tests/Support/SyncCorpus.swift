import Foundation
import FreightCore

/// A tree of repositories for sync tests: different path depths, a base layer shared across
/// repositories, an OCI index and a Docker manifest list, and a repository with more tags than
/// one page. Pushed to a registry whose catalog paginates.
public struct SyncCorpus: Sendable {
    /// repository → tags
    public static let layout: [String: [String]] = [
        "base/os": ["1.0", "1.1"],
        "team/web": ["1.0", "1.1", "2.0"],
        "team/api": ["v1"],
        "team/deep/nested/app": ["list"],
        "tools/many": (0..<23).map { "0.\($0).0" },
        "zz/last": ["keep", "victim"],
    ]

    public static var tagCount: Int { layout.values.reduce(0) { $0 + $1.count } }

    private let directory = TemporaryDirectory("corpus")

    /// Builds the images and pushes them to `registry`; `layerSize` sets how much each moves.
    public init(pushTo registry: TestRegistry, layerSize: Int = 64 * 1024) throws {
        let path = directory.file("layout")
        let builder = try LayoutBuilder(path: path, seed: 99)
        let base = try builder.layer(.random(layerSize * 2))
        let dockerBase = try builder.layer(.random(layerSize), format: .docker)
        let platforms = [Platform(architecture: "amd64", os: "linux"), Platform(architecture: "arm64", os: "linux")]
        var pushes: [(String, String, [String])] = []
        func add(_ descriptor: Descriptor, repository: String, tags: [String]) throws {
            let name = "\(repository.replacingOccurrences(of: "/", with: "_"))-\(tags[0])"
            try builder.tag(descriptor, name)
            pushes.append((name, "\(repository):\(tags[0])", Array(tags.dropFirst())))
        }
        for tag in ["1.0", "1.1"] {
            try add(try builder.multiPlatform(platforms: platforms, shared: [base], layerSize: layerSize), repository: "base/os", tags: [tag])
        }
        for tag in ["1.0", "1.1", "2.0"] {
            try add(try builder.image(layers: [base, try builder.layer(.random(layerSize))], label: tag), repository: "team/web", tags: [tag])
        }
        try add(try builder.image(layers: [dockerBase, try builder.layer(.random(layerSize), format: .docker)], format: .docker),
                repository: "team/api", tags: ["v1"])
        try add(try builder.multiPlatform(platforms: platforms, shared: [dockerBase], layerSize: layerSize, format: .docker),
                repository: "team/deep/nested/app", tags: ["list"])
        try add(try builder.image(layers: [try builder.layer(.random(1024))]), repository: "tools/many", tags: Self.layout["tools/many"]!)
        try add(try builder.image(layers: [base, try builder.layer(.random(layerSize))], label: "keep"), repository: "zz/last", tags: ["keep"])
        try add(try builder.image(layers: [try builder.layer(.random(layerSize))], label: "victim"), repository: "zz/last", tags: ["victim"])
        for (tag, target, also) in pushes {
            try Fixtures.push(layout: path, tag: tag, to: "\(registry.host)/\(target)", alsoTags: also)
        }
    }

    /// Every `repository:tag` of the corpus.
    public static var references: [String] {
        layout.sorted { $0.key < $1.key }.flatMap { repository, tags in tags.map { "\(repository):\($0)" } }
    }
}
