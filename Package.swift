// swift-tools-version: 6.0
import PackageDescription

// Dependency rule (never backwards): C shims → FreightCore → FreightHTTP → FreightCloud →
// FreightRegistry / FreightSecrets → FreightEngine → FreightTUI / FreightMetrics → freightliner.
// Only the C shim targets touch C macros or varargs. Every module a target imports is declared
// here, and only modules to its left in the rule: `.ci/check_imports.py` (run by `make test`)
// reads the rule from this comment and fails otherwise.
let propertyBased: Target.Dependency = .product(name: "PropertyBased", package: "swift-property-based")

let package = Package(
    name: "freightliner",
    products: [
        .executable(name: "freightliner", targets: ["freightliner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Job files (`freightliner run`): YAML with line and column of every node.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // --metrics-listen: Prometheus text format by swift-prometheus, served by FlyingFox (plain
        // sockets and Swift concurrency, no NIO: little to build).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.20.0"),
        // Tests only: property-based tests of every parser that reads outside input.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurses", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),

        // What `make build` knows about the build (commit, date), for --version.
        .target(name: "CBuildInfo"),

        .target(name: "FreightCore", dependencies: ["CCrypto"]),
        .target(name: "FreightHTTP", dependencies: ["FreightCore", "CCurl"]),
        .target(name: "FreightCloud", dependencies: ["FreightCore", "FreightHTTP", "CCrypto"]),
        .target(name: "FreightRegistry", dependencies: ["FreightCore", "FreightHTTP", "FreightCloud"]),
        .target(name: "FreightSecrets", dependencies: ["FreightCore", "FreightHTTP", "FreightCloud"]),
        // No FreightHTTP: the run's request counts reach its summary from the CLI, which owns the client.
        .target(name: "FreightEngine", dependencies: ["FreightCore", "FreightCloud", "FreightRegistry", "CZlib"]),
        .target(name: "FreightTUI", dependencies: ["FreightCore", "FreightEngine", "CCurses"]),
        // The run's numbers for Prometheus, and the small HTTP server of /metrics and /healthz.
        .target(name: "FreightMetrics", dependencies: [
            "FreightCore", "FreightEngine",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        .executableTarget(name: "freightliner", dependencies: [
            "CBuildInfo", "FreightCore", "FreightHTTP", "FreightRegistry", "FreightEngine", "FreightCloud", "FreightSecrets", "FreightTUI",
            "FreightMetrics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),

        .target(name: "FreightTestSupport", dependencies: ["FreightCore", "FreightRegistry", "CZlib"], path: "Tests/Support"),
        .testTarget(name: "FreightCoreTests", dependencies: ["FreightCore", "FreightTestSupport", propertyBased]),
        .testTarget(name: "FreightHTTPTests", dependencies: ["FreightHTTP", "FreightCore", "FreightTestSupport"]),
        .testTarget(name: "FreightRegistryTests",
                    dependencies: ["FreightRegistry", "FreightCloud", "FreightHTTP", "FreightCore", "FreightTestSupport", propertyBased]),
        .testTarget(name: "FreightEngineTests", dependencies: ["FreightEngine", "FreightRegistry", "FreightHTTP", "FreightCore",
                                                               "FreightTestSupport", propertyBased]),
        .testTarget(name: "FreightTUITests", dependencies: ["FreightTUI", "FreightEngine", "FreightCore", "FreightTestSupport",
                                                            propertyBased],
                    exclude: ["Golden"]),
        .testTarget(name: "CLITests", dependencies: ["FreightCore", "FreightEngine", "FreightTestSupport"]),
        .testTarget(name: "FreightCloudTests", dependencies: ["FreightCloud", "FreightHTTP", "FreightCore", "FreightTestSupport"]),
        .testTarget(name: "FreightSecretsTests",
                    dependencies: ["FreightSecrets", "FreightCloud", "FreightHTTP", "FreightCore", "FreightTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
