import Foundation

/// Where things are, relative to this source tree.
public enum Paths {
    /// The package root (this file is Tests/Support/Paths.swift).
    public static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    public static let fixtures = "\(root)/Tests/Fixtures"

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
