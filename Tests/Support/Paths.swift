import Foundation

/// Where things are, relative to this source tree.
public enum Paths {
    /// The package root (this file is Tests/Support/Paths.swift).
    public static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    public static let fixtures = "\(root)/Tests/Fixtures"

    /// The release binary `make build` made (statically linked Swift runtime):
    /// `$FREIGHTLINER_RELEASE_BIN`, else `.build/release/freightliner`.
    public static var releaseBinary: String {
        ProcessInfo.processInfo.environment["FREIGHTLINER_RELEASE_BIN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(root)/.build/release/freightliner"
    }

    /// The Debian package `make deb` made: `$FREIGHTLINER_DEB`, else the newest
    /// `.build/freightliner_*.deb`; nil when there is none.
    public static var debianPackage: String? {
        if let path = ProcessInfo.processInfo.environment["FREIGHTLINER_DEB"], !path.isEmpty { return path }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/.build")) ?? []
        return files.filter { $0.hasPrefix("freightliner_") && $0.hasSuffix(".deb") }.sorted().last.map { "\(root)/.build/\($0)" }
    }

    /// The freightliner binary under test: `$FREIGHTLINER_BIN`, else the build next to the tests.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["FREIGHTLINER_BIN"], !path.isEmpty { return path }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // The xctest bundle on Linux is a file in the build directory; walk up until we find the binary.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("freightliner").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "\(root)/.build/debug/freightliner"
    }
}
