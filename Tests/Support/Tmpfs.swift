import Foundation

/// A small tmpfs mounted on a fresh directory, for tests of a full or read-only disk; unmounted
/// when released. Mounting needs root (CAP_SYS_ADMIN): `isAvailable` says whether it works here.
public final class Tmpfs: Sendable {
    public let path: String
    private let directory: TemporaryDirectory

    public init(size: String, readOnly: Bool = false) throws {
        directory = TemporaryDirectory("tmpfs")
        path = directory.path
        let options = "size=\(size),mode=0700" + (readOnly ? ",ro" : "")
        try Shell.check(["mount", "-t", "tmpfs", "-o", options, "freightliner-test", path])
    }

    deinit {
        _ = try? Shell.run(["umount", "-l", path])
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Fills the file system up: writes a filler file until the disk says no more.
    public func fill() throws {
        _ = try Shell.run(["dd", "if=/dev/zero", "of=\(file(".filler"))", "bs=4096"])
        let free = try Shell.check(["stat", "-f", "-c", "%a", path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard free == "0" else { throw Shell.Failure(command: ["fill", path], result: .init(status: 1, stdout: free, stderr: "")) }
    }

    /// Frees what `fill` took.
    public func drain() throws {
        try FileManager.default.removeItem(atPath: file(".filler"))
    }

    /// Whether this process may mount a tmpfs (root in a container that allows it).
    public static let isAvailable: Bool = {
        guard getuid() == 0 else { return false }
        return (try? Tmpfs(size: "64k")) != nil
    }()
}
